"""What the server answered to a submission with a client id (migration 0017)."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb


def lock(conn: psycopg.Connection, street_code: str, client_id: str) -> None:
    """Serialise submissions of one client id: a retry that arrives while the first is being
    stored waits for it, then finds its receipt."""
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('gridmap.receipt'), hashtext(%s || %s))",
        (street_code, client_id),
    )


def get(conn: psycopg.Connection, street_code: str, client_id: str) -> dict | None:
    return conn.execute(
        "SELECT digest, account_id, status, body FROM api_receipt"
        " WHERE street_code = %s AND client_id = %s",
        (street_code, client_id),
    ).fetchone()


def put(
    conn: psycopg.Connection,
    street_code: str,
    client_id: str,
    digest: str,
    account_id: int | None,
    status: int,
    body: dict,
) -> None:
    conn.execute(
        "INSERT INTO api_receipt (street_code, client_id, digest, account_id, status, body)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (street_code, client_id, digest, account_id, status, Jsonb(body)),
    )
