"""Streets (街道): the tenant of every other table."""

from __future__ import annotations

import psycopg

from gridmap.data.dberrors import refusals


def upsert(conn: psycopg.Connection, code: str, name: str, synthetic: bool) -> None:
    conn.execute(
        "INSERT INTO street (code, name, synthetic) VALUES (%s, %s, %s)"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name, synthetic = excluded.synthetic",
        (code, name, synthetic),
    )


def get(conn: psycopg.Connection, code: str) -> dict | None:
    return conn.execute(
        "SELECT code, name, synthetic, closure_review FROM street WHERE code = %s", (code,)
    ).fetchone()


def purge(conn: psycopg.Connection, code: str) -> None:
    """Delete a street and everything it holds (the demo's reload), through purge_street(),
    the one door for it (migration 0010): only the owner role may run it."""
    conn.execute("SELECT purge_street(%s)", (code,))


def set_closure_review(conn: psycopg.Connection, code: str, by: str) -> None:
    """Who reviews closures claimed from the field: 'center' or 'village'."""
    with refusals():
        conn.execute("UPDATE street SET closure_review = %s WHERE code = %s", (by, code))
