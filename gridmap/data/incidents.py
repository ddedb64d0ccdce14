"""Incidents: reference data, the bulk writer, and reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from gridmap.accounts import pii
from gridmap.accounts.scope import Scope
from gridmap.data import pgbinary
from gridmap.data.dberrors import refusals


def reference(conn: psycopg.Connection) -> dict:
    """Kinds, their states and categories, as the validator and the pages need them."""
    kinds = {
        r["code"]: r["name"]
        for r in conn.execute("SELECT code, name FROM incident_kind ORDER BY sort")
    }
    statuses = {
        (r["kind"], r["code"]): r
        for r in conn.execute(
            "SELECT kind, code, name, is_final, initial FROM incident_status ORDER BY kind, sort"
        )
    }
    categories = {
        (r["kind"], r["code"]): r["name"]
        for r in conn.execute("SELECT kind, code, name FROM incident_category")
    }
    return {"kinds": kinds, "statuses": statuses, "categories": categories}


def new_batch(
    conn: psycopg.Connection, street_code: str, source: str, rows: int, tallied: bool = True
) -> int:
    return conn.execute(
        "INSERT INTO load_batch (street_code, source, rows, tallied) VALUES (%s, %s, %s, %s)"
        " RETURNING id",
        (street_code, source, rows, tallied),
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
        copy.write(pgbinary.HEADER)
        for start in range(0, len(frame), _CHUNK_ROWS):
            chunk = frame.iloc[start : start + _CHUNK_ROWS]
            copy.write(_binary_rows(chunk, street_code, encoding, encoded))
        copy.write(pgbinary.TRAILER)


# Fields in the order of _COPY_COLUMNS. Text columns that travel together are grouped: each
# distinct combination is encoded once (see pgbinary.text_fields).
_CHUNK_ROWS = 50_000
_TIMES = ["occurred_at", "reported_at", "due_at", "closed_at", "status_since"]
_INTEGERS = ["reported_by", "batch_id", "division_id", "unit_id", "grid_id"]
_TEXT_GROUPS = [
    ("unit_code", "grid_code", "village_code", "package_area_code"),
    ("kind", "category", "status"),
    ("title",),
    ("description",),
    ("details",),
    ("source", "source_key"),
]
_NOT_NULL_TEXT = {"category", "title", "description"}  # an empty one is stored as ''
_COPY_COLUMNS = [
    "geom",
    *_TIMES,
    *_INTEGERS,
    "street_code",
    "client_id",
    *[c for group in _TEXT_GROUPS for c in group],
]


def _binary_rows(chunk: pd.DataFrame, street_code: str, encoding: str, encoded: dict) -> bytes:
    """The rows of ``chunk`` in binary COPY format, fields in the order of _COPY_COLUMNS.

    ``encoded`` keeps the encoded text of the combinations seen in earlier chunks.
    """
    n = len(chunk)
    parts = [
        pgbinary.field_count(len(_COPY_COLUMNS), n),
        pgbinary.points(chunk["lon"], chunk["lat"]),
    ]
    parts += [pgbinary.timestamps(chunk[col]) for col in _TIMES]
    for col in _INTEGERS:
        values = pd.array(chunk[col]).astype("Int64")
        numbers = values.to_numpy(dtype=np.int64, na_value=0)
        if numbers.min() < -(2**31) or numbers.max() >= 2**31:
            raise psycopg.errors.NumericValueOutOfRange(f"integer out of range ({col})")
        parts.append(pgbinary.numbers(numbers, values.isna(), ">i4"))
    parts.append(pgbinary.repeat(_text_field("street_code", street_code, encoding), n))
    parts.append(_uuid_fields(chunk["client_id"]))

    def encode(col, value):
        return _text_field(col, value, encoding)

    parts += [pgbinary.text_fields(chunk, group, encode, encoded) for group in _TEXT_GROUPS]
    return pgbinary.join_rows(parts)


def _uuid_fields(values: pd.Series) -> np.ndarray:
    """uuid fields (16 bytes each); NULL where missing."""
    missing = values.isna().to_numpy()
    if missing.all():
        return pgbinary.repeat(pgbinary.NULL, len(values))
    return np.array(
        [
            pgbinary.NULL if m else pgbinary.field(v.bytes)
            for v, m in zip(values, missing, strict=True)
        ],
        dtype=object,
    )


def _text_field(col: str, value, encoding: str) -> bytes:
    """A text (or jsonb) field. As with CSV, a missing or empty value is NULL, except in the
    columns stored as '' when empty."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        value = ""
    if value == "" and col not in _NOT_NULL_TEXT:
        return pgbinary.NULL
    data = str(value).encode(encoding)
    if col == "details":
        data = b"\x01" + data  # jsonb's binary form: a version byte, then the JSON text
    return pgbinary.field(data)


_INSERT_ONE = """
INSERT INTO incident (street_code, client_id, kind, category, status, title, description, geom,
                      occurred_at, reported_at, status_since, due_at, reported_by, source,
                      division_id, unit_id, grid_id, unit_code, grid_code, village_code,
                      package_area_code)
SELECT %(street)s, %(client_id)s, %(kind)s, %(category)s, %(status)s, %(title)s,
       %(description)s, ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326), %(occurred_at)s,
       %(reported_at)s, %(reported_at)s, gm_due(%(street)s, %(kind)s, %(status)s, d.day, d.day),
       %(reported_by)s, %(source)s, %(division_id)s, %(unit_id)s, %(grid_id)s, %(unit_code)s,
       %(grid_code)s, %(village_code)s, %(package_area_code)s
  FROM (SELECT gm_day_start(gm_day(%(reported_at)s::timestamptz)) AS day) d
ON CONFLICT DO NOTHING
RETURNING id, due_at, (SELECT c.light FROM gm_clock(status_since, due_at, closed_at, now()) c),
          (SELECT c.days_left FROM gm_clock(status_since, due_at, closed_at, now()) c)
"""


def insert_one(conn: psycopg.Connection, street_code: str, row: dict) -> dict | None:
    """One open incident (a pin), placed (``row`` holds the snapshot columns) and in its first
    state, whose deadline gm_due gives from the day it was reported, as for a ledger's rows.
    The database checks it as it checks every row (migration 0009). None when its client id
    is already stored."""
    with refusals():
        return conn.execute(_INSERT_ONE, {**row, "street": street_code}).fetchone()


def lock_bulk_loads(conn: psycopg.Connection) -> None:
    """Hold, until the transaction ends, the lock every large load takes first: two of them
    at once would drop and rebuild the same indexes under one another."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('gridmap.bulk_load'))")


def stored_client_ids(conn: psycopg.Connection, street_code: str, ids: list) -> dict:
    """Of the given client ids, those already stored: client id → incident id."""
    rows = conn.execute(
        "SELECT client_id, id FROM incident WHERE street_code = %s AND client_id = ANY(%s)",
        (street_code, ids),
    ).fetchall()
    return {r["client_id"]: r["id"] for r in rows}


def stored_source_keys(
    conn: psycopg.Connection, street_code: str, source: str, keys: list[str]
) -> dict:
    """Of a ledger's row keys, those already imported: key → incident id."""
    rows = conn.execute(
        "SELECT source_key, id FROM incident WHERE street_code = %s AND source = %s"
        " AND source_key = ANY(%s)",
        (street_code, source, keys),
    ).fetchall()
    return {r["source_key"]: r["id"] for r in rows}


def deadlines(conn: psycopg.Connection, street_code: str, steps: pd.DataFrame) -> list[dict]:
    """The deadline (gm_due, the one definition) of each step: rows of kind, status and the
    local day it started (a step's deadline depends on its first day only)."""
    return conn.execute(
        """SELECT x.kind, x.status, x.day,
                  gm_due(%s, x.kind, x.status, gm_day_start(x.day), gm_day_start(x.day)) AS due
             FROM unnest(%s::text[], %s::text[], %s::date[]) AS x(kind, status, day)""",
        (
            street_code,
            steps["kind"].tolist(),
            steps["status"].tolist(),
            [d.date() if hasattr(d, "date") else d for d in steps["day"]],
        ),
    ).fetchall()


def stored_rows(conn: psycopg.Connection, at_most: int) -> int:
    """About how many incidents are stored (all streets): the planner's estimate, or a count
    that stops at ``at_most`` when the table has not been analysed since it was emptied."""
    row = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'incident'::regclass")
    estimate = row.fetchone()["reltuples"]
    if estimate >= 0:
        return int(estimate)
    return conn.execute(
        "SELECT count(*) AS n FROM (SELECT FROM incident LIMIT %s) s", (at_most,)
    ).fetchone()["n"]


def drop_secondary_indexes(conn: psycopg.Connection) -> int:
    """Drop the incident table's indexes that enforce nothing (not its primary key, not a
    unique key), keeping their definitions to build them again; takes the bulk-load lock. The
    owner's function does it (migration 0012); returns how many it dropped."""
    return conn.execute("SELECT bulk_indexes_drop() AS n").fetchone()["n"]


def create_indexes(conn: psycopg.Connection) -> int:
    """Build again the indexes drop_secondary_indexes dropped in this transaction."""
    return conn.execute("SELECT bulk_indexes_restore() AS n").fetchone()["n"]


def analyze(conn: psycopg.Connection) -> None:
    """Refresh the planner's statistics of the incident table (after a bulk load)."""
    conn.execute("SELECT incident_analyze()")


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


def add_parties(
    conn: psycopg.Connection, street_code: str, parties: pd.DataFrame, key: bytes
) -> None:
    """Personal data of parties (incident_id, role, name, id_number, phone), each with the
    keyed hash of its ID number (gridmap.accounts.pii.id_key) under ``key``."""
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY incident_party (street_code, incident_id, role, name, id_number, phone, id_key)"
            " FROM STDIN"
        ) as copy,
    ):
        for r in parties.itertuples(index=False):
            copy.write_row(
                (
                    street_code,
                    int(r.incident_id),
                    r.role,
                    r.name,
                    r.id_number,
                    r.phone,
                    pii.id_key(r.id_number, key),
                )
            )


def rekey_parties(conn: psycopg.Connection, street_code: str, key: bytes) -> int:
    """Give every party with an ID number its keyed hash under ``key`` (rows stored before
    migration 0016, or after PII_KEY changed); returns how many changed."""
    rows = conn.execute(
        "SELECT id, id_number, id_key FROM incident_party"
        " WHERE street_code = %s AND id_number IS NOT NULL",
        (street_code,),
    ).fetchall()
    changed = [(pii.id_key(r["id_number"], key), r["id"]) for r in rows]
    changed = [(k, i) for (k, i), r in zip(changed, rows, strict=True) if k != r["id_key"]]
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE incident_party SET id_key = %s WHERE street_code = %s AND id = %s",
            [(k, street_code, i) for k, i in changed],
        )
    return len(changed)


def get(conn: psycopg.Connection, scope: Scope, incident_id: int) -> dict | None:
    """One incident, if it is in the scope."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT i.id, i.kind, k.name AS kind_name, i.category, i.status,
                      s.name AS status_name, i.title, i.description, ST_X(i.geom) AS lon,
                      ST_Y(i.geom) AS lat, i.occurred_at, i.reported_at, i.division_id,
                      i.unit_code, i.grid_code, i.village_code, i.package_area_code
                 FROM incident i JOIN incident_kind k ON k.code = i.kind
                 JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
                WHERE {} AND i.id = %(id)s"""
        ).format(allowed),
        {**params, "id": incident_id},
    ).fetchone()


def responsible(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    """Who answered for the incident's place when it happened, if it is in the scope."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT r.role, r.role_name, r.level, r.person_id, r.name, r.title
                 FROM incident i
                 JOIN incident_responsible r ON r.street_code = i.street_code
                      AND r.incident_id = i.id
                WHERE {} AND i.id = %(id)s ORDER BY r.level, r.person_id"""
        ).format(allowed),
        {**params, "id": incident_id},
    ).fetchall()
