"""Streets (街道): the tenant of every other table."""

from __future__ import annotations

import psycopg


def upsert(conn: psycopg.Connection, code: str, name: str, synthetic: bool) -> None:
    conn.execute(
        "INSERT INTO street (code, name, synthetic) VALUES (%s, %s, %s)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, synthetic = excluded.synthetic",
        (code, name, synthetic),
    )


def get(conn: psycopg.Connection, code: str) -> dict | None:
    return conn.execute(
        "SELECT code, name, synthetic FROM street WHERE code = %s", (code,)
    ).fetchone()


def purge(conn: psycopg.Connection, code: str) -> None:
    """Delete a street and everything it holds (used to reload the demo street).

    Published divisions refuse changes; the purge flag, local to this transaction, lets the
    guard trigger pass for this one deliberate, whole-street deletion.
    """
    conn.execute("SELECT set_config('gridmap.purge', %s, true)", (code,))
    for table in (
        "incident_event",
        "incident_party",
        "incident",
        "load_batch",
        "assignment",
        "person",
        "demo_hotspot",
    ):
        conn.execute(f"DELETE FROM {table} WHERE street_code = %s", (code,))
    conn.execute("DELETE FROM division WHERE street_code = %s", (code,))
    conn.execute("DELETE FROM street WHERE code = %s", (code,))
