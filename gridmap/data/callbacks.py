"""回访 of closed cases (migration 0023): one per closing, kept as written."""

from __future__ import annotations

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.core.errors import Conflict
from gridmap.data.dberrors import refusals

RESULTS = {"satisfied": "满意", "fairly": "基本满意", "unsatisfied": "不满意"}


def add(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    closed_at,
    result: str,
    note: str,
    by_person: int | None,
    by_account: int,
) -> dict:
    try:
        with conn.transaction(), refusals():
            return conn.execute(
                """INSERT INTO incident_callback (street_code, incident_id, closed_at, result,
                                                  note, by_person, by_account)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, at""",
                (street_code, incident_id, closed_at, result, note, by_person, by_account),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict("这次办结已经回访过，不能重复回访。") from None


def of_case(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    allowed, params = scope.where("i")
    query = sql.SQL(
        """SELECT c.id, c.at, c.closed_at, c.result, c.note,
                  coalesce(p.name, a.username) AS by_name
             FROM incident_callback c
             JOIN incident i ON i.street_code = c.street_code AND i.id = c.incident_id
             JOIN account a ON a.id = c.by_account
             LEFT JOIN person p ON p.street_code = c.street_code AND p.id = c.by_person
            WHERE {} AND c.incident_id = %(id)s ORDER BY c.at DESC"""
    ).format(allowed)
    rows = conn.execute(query, {**params, "id": incident_id}, prepare=False).fetchall()
    return [{**r, "result_name": RESULTS[r["result"]]} for r in rows]
