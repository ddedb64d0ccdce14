"""incident_tally: the batches it leaves out, folding them in, compacting it (migration 0011).

The database keeps the tally itself, by triggers, whoever writes; nothing here writes a count
of its own. These calls only ask the database to aggregate a batch it was told to leave out,
and to merge the tally's appended rows.
"""

from __future__ import annotations

import psycopg


def untallied_batches(conn: psycopg.Connection, street_code: str) -> list[int]:
    """Batches whose incidents incident_tally leaves out (counted directly by readers)."""
    rows = conn.execute(
        "SELECT id FROM load_batch WHERE street_code = %s AND NOT tallied ORDER BY id",
        (street_code,),
    ).fetchall()
    return [r["id"] for r in rows]


def fold(conn: psycopg.Connection, street_code: str, batch_id: int) -> bool:
    """Add a left-out batch to the tally in one aggregate and mark it tallied (False: it
    already was)."""
    row = conn.execute("SELECT tally_fold(%s, %s) AS done", (street_code, batch_id)).fetchone()
    return row["done"]


def compact(conn: psycopg.Connection, street_code: str) -> int:
    """Merge the street's tally rows into one per key; the rows written (-1: another
    compaction of the street is running, and this one did nothing)."""
    return conn.execute("SELECT tally_compact(%s) AS n", (street_code,)).fetchone()["n"]


def rows(conn: psycopg.Connection, street_code: str) -> int:
    return conn.execute(
        "SELECT count(*) AS n FROM incident_tally WHERE street_code = %s", (street_code,)
    ).fetchone()["n"]
