"""Keeping incident_tally (migration 0011): folding in a batch a large load left out, and
merging the tally's appended rows. The database keeps the counts itself, by triggers, whoever
writes; these calls only ask it to aggregate and to merge."""

from __future__ import annotations

import psycopg


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
