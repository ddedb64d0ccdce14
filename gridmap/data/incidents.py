"""Incidents: reference data, the bulk writer, and reads."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import psycopg
from psycopg.copy import QueuedLibpqWriter


def reference(conn: psycopg.Connection) -> dict:
    """Kinds, their states and categories, as the validator and the pages need them."""
    kinds = {
        r["code"]: r["name"]
        for r in conn.execute("SELECT code, name FROM incident_kind ORDER BY sort")
    }
    statuses = {
        (r["kind"], r["code"]): r
        for r in conn.execute(
            "SELECT kind, code, name, is_final FROM incident_status ORDER BY kind, sort"
        )
    }
    categories = {
        (r["kind"], r["code"]): r["name"]
        for r in conn.execute("SELECT kind, code, name FROM incident_category")
    }
    return {"kinds": kinds, "statuses": statuses, "categories": categories}


def new_batch(conn: psycopg.Connection, street_code: str, source: str, rows: int) -> int:
    return conn.execute(
        "INSERT INTO load_batch (street_code, source, rows) VALUES (%s, %s, %s) RETURNING id",
        (street_code, source, rows),
    ).fetchone()["id"]


def copy_in(conn: psycopg.Connection, street_code: str, frame: pd.DataFrame) -> None:
    """Write placed, validated incidents with one binary COPY, the fastest path PostgreSQL has.

    ``frame`` holds the columns of ``_COPY_COLUMNS`` (lon and lat instead of geom). Rows are
    written in frame order, so their ids follow it (:func:`ids_of_batch` lists them so). They
    are encoded chunk by chunk while a worker thread streams the previous chunk to the server,
    so on two cores the encoding hides behind the server's work.
    """
    sql = f"COPY incident ({', '.join(_COPY_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
    encoding, encoded = conn.info.encoding, {}
    with conn.cursor() as cur, cur.copy(sql, writer=QueuedLibpqWriter(cur)) as copy:
        copy.write(_BINARY_HEADER)
        for start in range(0, len(frame), _CHUNK_ROWS):
            chunk = frame.iloc[start : start + _CHUNK_ROWS]
            copy.write(_binary_rows(chunk, street_code, encoding, encoded))
        copy.write(_BINARY_TRAILER)


# Binary COPY: a header, then per row a 2-byte field count and, per field, a 4-byte length (-1
# for NULL) and the value in the type's binary form; then a trailer. Fields that have the same
# width on every row of a chunk are laid out with numpy in one byte matrix; text of varying
# width is encoded once per distinct value (or combination of values) and joined row by row.
_CHUNK_ROWS = 50_000
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension
_BINARY_TRAILER = b"\xff\xff"
_NULL = b"\xff\xff\xff\xff"
_EPOCH_2000_US = 946_684_800_000_000  # PostgreSQL counts microseconds from 2000-01-01 UTC
_POINT_4326 = (25).to_bytes(4, "big") + b"\x01\x01\x00\x00\x20\xe6\x10\x00\x00"  # EWKB head
_TIMES = ["occurred_at", "reported_at", "due_at", "closed_at"]
_INTEGERS = ["reported_by", "batch_id", "division_id", "unit_id", "grid_id"]
# Text columns that travel together: each distinct combination is encoded once.
_TEXT_GROUPS = [
    ("unit_code", "grid_code", "village_code", "package_area_code"),
    ("kind", "category", "status"),
    ("title",),
    ("description",),
    ("details",),
]
_NOT_NULL_TEXT = {"category", "title", "description"}  # an empty one is stored as ''
_COPY_COLUMNS = [
    "geom",
    *_TIMES,
    *_INTEGERS,
    "street_code",
    *[c for group in _TEXT_GROUPS for c in group],
]


def _binary_rows(chunk: pd.DataFrame, street_code: str, encoding: str, encoded: dict) -> bytes:
    """The rows of ``chunk`` in binary COPY format, fields in the order of _COPY_COLUMNS.

    ``encoded`` keeps the encoded text of the combinations seen in earlier chunks.
    """
    n = len(chunk)
    parts = [_repeat(len(_COPY_COLUMNS).to_bytes(2, "big"), n), _points(chunk)]
    for col in _TIMES:
        stamps = pd.DatetimeIndex(pd.to_datetime(chunk[col], utc=True)).as_unit("us")
        missing = stamps.isna()
        parts.append(_numbers(np.where(missing, 0, stamps.asi8 - _EPOCH_2000_US), missing, ">i8"))
    for col in _INTEGERS:
        values = pd.array(chunk[col]).astype("Int64")
        numbers = values.to_numpy(dtype=np.int64, na_value=0)
        if numbers.min() < -(2**31) or numbers.max() >= 2**31:
            raise psycopg.errors.NumericValueOutOfRange(f"integer out of range ({col})")
        parts.append(_numbers(numbers, values.isna(), ">i4"))
    parts.append(_repeat(_text_field("street_code", street_code, encoding), n))
    for group in _TEXT_GROUPS:
        codes, firsts = _factorize_rows(chunk, group)
        repeated = len(firsts) * 4 <= n  # worth remembering for the next chunks
        fields = []
        for values in chunk.iloc[firsts][list(group)].itertuples(index=False, name=None):
            field = encoded.get((group, values))
            if field is None:
                field = b"".join(
                    _text_field(c, v, encoding) for c, v in zip(group, values, strict=True)
                )
                if repeated:
                    encoded[(group, values)] = field
            fields.append(field)
        if len({len(f) for f in fields}) == 1:  # the same width on every row
            table = np.frombuffer(b"".join(fields), dtype=np.uint8).reshape(len(fields), -1)
            parts.append(table[codes])
        else:
            parts.append(np.array(fields, dtype=object)[codes])
    return _join_rows(parts, n)


def _repeat(value: bytes, n: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(value, dtype=np.uint8), (n, len(value)))


def _points(chunk: pd.DataFrame) -> np.ndarray:
    """geometry(Point, 4326) fields: EWKB, little-endian, with the SRID."""
    xy = np.column_stack([chunk["lon"].to_numpy(dtype="<f8"), chunk["lat"].to_numpy(dtype="<f8")])
    return np.concatenate([_repeat(_POINT_4326, len(chunk)), xy.view(np.uint8)], axis=1)


def _numbers(values: np.ndarray, missing, dtype: str) -> np.ndarray:
    """Fixed-width number fields: a byte matrix, or byte strings per row when some are NULL."""
    width = np.dtype(dtype).itemsize
    missing = np.asarray(missing, dtype=bool)
    if missing.all():
        return _repeat(_NULL, len(values))
    fields = np.concatenate(
        [
            _repeat(width.to_bytes(4, "big"), len(values)),
            values.astype(dtype).view(np.uint8).reshape(-1, width),
        ],
        axis=1,
    )
    if not missing.any():
        return fields
    rows = np.array(fields.view(f"V{4 + width}").ravel().tolist(), dtype=object)
    rows[missing] = _NULL
    return rows


def _text_field(col: str, value, encoding: str) -> bytes:
    """A text (or jsonb) field. As with CSV, a missing or empty value is NULL, except in the
    columns stored as '' when empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        value = ""
    if value == "" and col not in _NOT_NULL_TEXT:
        return _NULL
    data = str(value).encode(encoding)
    if col == "details":
        data = b"\x01" + data  # jsonb's binary form: a version byte, then the JSON text
    return len(data).to_bytes(4, "big") + data


def _factorize_rows(frame: pd.DataFrame, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's combination of ``columns``, and the first row of each combination."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        more, distinct = pd.factorize(frame[col], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * max(len(distinct), 1) + more)
    firsts = np.empty(codes.max() + 1, dtype=np.int64)
    firsts[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return codes, firsts


def _join_rows(parts: list[np.ndarray], n: int) -> bytes:
    """Concatenate, row by row, byte matrices (same width on every row) and byte strings."""
    segments, run = [], []
    for part in [*parts, None]:
        if part is not None and part.dtype == np.uint8:
            run.append(part)
            continue
        if run:
            block = np.ascontiguousarray(np.concatenate(run, axis=1))
            segments.append(block.view(f"V{block.shape[1]}").ravel())
            run = []
        if part is not None:
            segments.append(part)
    if len(segments) == 1:
        return segments[0].tobytes()
    columns = [s.tolist() if s.dtype != object else s for s in segments]
    return b"".join(itertools.chain.from_iterable(zip(*columns, strict=True)))


def add_to_tally(conn: psycopg.Connection, street_code: str, rows: pd.DataFrame) -> None:
    """Add a batch's counts to incident_tally (one COPY into a scratch table, one upsert)."""
    conn.execute(
        "CREATE TEMP TABLE tally_batch (LIKE incident_tally INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    columns = [
        "package_area_code",
        "village_code",
        "grid_code",
        "month",
        "kind",
        "category",
        "closed",
        "n",
        "sum_lon",
        "sum_lat",
    ]
    # Codes, dates, booleans and numbers only: tab-separated text needs no escaping.
    text = (
        rows[columns]
        .assign(street_code=street_code)[["street_code", *columns]]
        .to_csv(sep="\t", header=False, index=False)
    )
    with (
        conn.cursor() as cur,
        cur.copy(f"COPY tally_batch (street_code, {', '.join(columns)}) FROM STDIN") as copy,
    ):
        copy.write(text)
    conn.execute(
        """INSERT INTO incident_tally AS t SELECT * FROM tally_batch
           ON CONFLICT (street_code, month, kind, category, closed, package_area_code,
                        village_code, grid_code)
           DO UPDATE SET n = t.n + excluded.n, sum_lon = t.sum_lon + excluded.sum_lon,
                         sum_lat = t.sum_lat + excluded.sum_lat"""
    )
    conn.execute("DROP TABLE tally_batch")


def analyze(conn: psycopg.Connection) -> None:
    """Refresh the planner's statistics of the incident table (after a bulk load)."""
    conn.execute("ANALYZE incident")


def set_reporters_to_grid_members(
    conn: psycopg.Connection, street_code: str, batch_id: int
) -> None:
    """Credit each incident of a batch to the grid member on duty there when it happened."""
    conn.execute(
        """UPDATE incident i SET reported_by = r.person_id
             FROM incident_responsible r
            WHERE r.street_code = i.street_code AND r.incident_id = i.id
              AND r.role = 'grid_member' AND i.street_code = %s AND i.batch_id = %s""",
        (street_code, batch_id),
    )


def ids_of_batch(conn: psycopg.Connection, street_code: str, batch_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM incident WHERE street_code = %s AND batch_id = %s ORDER BY id",
        (street_code, batch_id),
    ).fetchall()
    return [r["id"] for r in rows]


def add_parties(conn: psycopg.Connection, street_code: str, parties: pd.DataFrame) -> None:
    """Personal data of parties (incident_id, role, name, id_number, phone)."""
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY incident_party (street_code, incident_id, role, name, id_number, phone)"
            " FROM STDIN"
        ) as copy,
    ):
        for r in parties.itertuples(index=False):
            copy.write_row((street_code, int(r.incident_id), r.role, r.name, r.id_number, r.phone))


def get(conn: psycopg.Connection, street_code: str, incident_id: int) -> dict | None:
    return conn.execute(
        """SELECT i.id, i.kind, k.name AS kind_name, i.category, i.status, s.name AS status_name,
                  i.title, i.description, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
                  i.occurred_at, i.reported_at, i.division_id, i.unit_code, i.grid_code,
                  i.village_code, i.package_area_code
             FROM incident i JOIN incident_kind k ON k.code = i.kind
             JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
            WHERE i.street_code = %s AND i.id = %s""",
        (street_code, incident_id),
    ).fetchone()


def responsible(conn: psycopg.Connection, street_code: str, incident_id: int) -> list[dict]:
    return conn.execute(
        "SELECT role, role_name, level, person_id, name, title FROM incident_responsible"
        " WHERE street_code = %s AND incident_id = %s ORDER BY level, person_id",
        (street_code, incident_id),
    ).fetchall()
