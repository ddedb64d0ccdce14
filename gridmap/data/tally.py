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
    """Add a batch's counts (a gridmap.tally.Tally) to incident_tally: one binary COPY into
    a scratch table, one upsert that adds the monthly cells of rows already there."""
    conn.execute(
        "CREATE TEMP TABLE tally_batch (LIKE incident_tally INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    keys, n, encoding = tally.keys, len(tally.keys), conn.info.encoding

    def encode(col, value):
        return pgbinary.text(str(value), encoding)

    text = ("package_area_code", "village_code", "grid_code")
    parts = [
        pgbinary.field_count(len(_COLUMNS), n),
        pgbinary.repeat(pgbinary.text(street_code, encoding), n),
        pgbinary.text_fields(keys, text, encode),
        pgbinary.numbers(keys["year"].to_numpy(), None, ">i2"),
        pgbinary.text_fields(keys, ("kind", "category"), encode),
        pgbinary.numbers(keys["closed"].to_numpy(), None, "|b1"),
        pgbinary.arrays(tally.n, ">i4"),
        pgbinary.arrays(tally.sum_lon, ">f8"),
        pgbinary.arrays(tally.sum_lat, ">f8"),
    ]
    sql = f"COPY tally_batch ({', '.join(_COLUMNS)}) FROM STDIN WITH (FORMAT binary)"
    with conn.cursor() as cur, cur.copy(sql) as copy:
        copy.write(pgbinary.HEADER + pgbinary.join_rows(parts) + pgbinary.TRAILER)
    conn.execute(
        """INSERT INTO incident_tally AS t SELECT * FROM tally_batch
           ON CONFLICT (street_code, year, kind, category, closed, package_area_code,
                        village_code, grid_code)
           DO UPDATE SET n = tally_add(t.n, excluded.n),
                         sum_lon = tally_add(t.sum_lon, excluded.sum_lon),
                         sum_lat = tally_add(t.sum_lat, excluded.sum_lat)"""
    )
    conn.execute("DROP TABLE tally_batch")


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
