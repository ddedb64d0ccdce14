"""incident_tally: adding a batch's counts, and the batches it leaves out (migration 0007)."""

from __future__ import annotations

import psycopg

from gridmap.data import pgbinary


def untallied_batches(conn: psycopg.Connection, street_code: str) -> list[int]:
    """Batches whose incidents incident_tally leaves out (see migration 0007)."""
    rows = conn.execute(
        "SELECT id FROM load_batch WHERE street_code = %s AND NOT tallied ORDER BY id",
        (street_code,),
    ).fetchall()
    return [r["id"] for r in rows]


def add(conn: psycopg.Connection, street_code: str, tally) -> None:
    """Add a batch's counts (a gridmap.tally.Tally) to incident_tally, adding the monthly cells
    of rows already there. A few rows (a pin: one) go as statement parameters; a large batch
    goes by one binary COPY into a scratch table, which costs 7 ms to set up — a third of a pin.
    """
    if len(tally.keys) <= FEW:
        rows = [
            (street_code, pa, village, grid, int(year), kind, category, bool(closed))
            + (n.tolist(), lon.tolist(), lat.tolist())
            for (pa, village, grid, year, kind, category, closed), n, lon, lat in zip(
                tally.keys.itertuples(index=False, name=None),
                tally.n,
                tally.sum_lon,
                tally.sum_lat,
                strict=True,
            )
        ]
        with conn.cursor() as cur:
            cur.executemany(_UPSERT.format(source=_VALUES), rows)
        return
    conn.execute(
        "CREATE TEMP TABLE tally_batch (LIKE incident_tally INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    sql = f"COPY tally_batch ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
    with conn.cursor() as cur, cur.copy(sql) as copy:
        copy.write(_binary(street_code, tally, conn.info.encoding))
    conn.execute(_UPSERT.format(source="SELECT * FROM tally_batch"))
    conn.execute("DROP TABLE tally_batch")


FEW = 100


def _binary(street_code: str, tally, encoding: str) -> bytes:
    keys, n = tally.keys, len(tally.keys)

    def encode(col, value):
        return pgbinary.text(str(value), encoding)

    parts = [
        pgbinary.field_count(len(_COLUMNS), n),
        pgbinary.repeat(pgbinary.text(street_code, encoding), n),
        pgbinary.text_fields(keys, ("package_area_code", "village_code", "grid_code"), encode),
        pgbinary.numbers(keys["year"].to_numpy(), None, ">i2"),
        pgbinary.text_fields(keys, ("kind", "category"), encode),
        pgbinary.numbers(keys["closed"].to_numpy(), None, "|b1"),
        pgbinary.arrays(tally.n, ">i4"),
        pgbinary.arrays(tally.sum_lon, ">f8"),
        pgbinary.arrays(tally.sum_lat, ">f8"),
    ]
    return pgbinary.HEADER + pgbinary.join_rows(parts) + pgbinary.TRAILER


_UPSERT = """INSERT INTO incident_tally AS t {source}
    ON CONFLICT (street_code, year, kind, category, closed, package_area_code, village_code,
                 grid_code)
    DO UPDATE SET n = tally_add(t.n, excluded.n),
                  sum_lon = tally_add(t.sum_lon, excluded.sum_lon),
                  sum_lat = tally_add(t.sum_lat, excluded.sum_lat)"""
# The table's columns, in order.
_VALUES = (
    "VALUES (%s, %s, %s, %s, %s::smallint, %s, %s, %s, %s::integer[], %s::float8[], %s::float8[])"
)
_COLUMNS = [
    "street_code",
    "package_area_code",
    "village_code",
    "grid_code",
    "year",
    "kind",
    "category",
    "closed",
    "n",
    "sum_lon",
    "sum_lat",
]
