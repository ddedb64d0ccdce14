"""督办 / 催办 of a case and their answers (migration 0023), read within a scope.

A supervision is written when it is made and answered once; the database refuses one of a
closed case, a changed note or a second answer (repeatable 15_casework) in words.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.data.dberrors import refusals

_ROWS = """
SELECT s.id, s.incident_id, s.kind, s.at, s.note, s.answer_by, s.answered_at, s.answer,
       s.by_account, i.title, i.grid_code,
       coalesce(p.name, a.username) AS by_name, q.name AS answered_by_name,
       (s.answered_at IS NULL AND s.answer_by < %(now)s) AS late,
       (s.answered_at > s.answer_by) AS answered_late
  FROM incident_supervision s
  JOIN incident i ON i.street_code = s.street_code AND i.id = s.incident_id
  JOIN account a ON a.id = s.by_account
  LEFT JOIN person p ON p.street_code = s.street_code AND p.id = s.by_person
  LEFT JOIN person q ON q.street_code = s.street_code AND q.id = s.answered_by
 WHERE {} AND {}
 ORDER BY s.at DESC, s.id DESC LIMIT %(limit)s"""


def add(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    kind: str,
    note: str,
    answer_by: datetime,
    by_person: int | None,
    by_account: int,
) -> dict:
    with refusals():
        return conn.execute(
            """INSERT INTO incident_supervision (street_code, incident_id, kind, note, answer_by,
                                                 by_person, by_account)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, at, answer_by""",
            (street_code, incident_id, kind, note, answer_by, by_person, by_account),
        ).fetchone()


def answer(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    supervision_id: int,
    text: str,
    by_person: int | None,
) -> dict | None:
    """Write the answer; None when the case has no such supervision."""
    with refusals():
        return conn.execute(
            """UPDATE incident_supervision SET answer = %s, answered_by = %s, answered_at = now()
                WHERE street_code = %s AND incident_id = %s AND id = %s
                RETURNING id, answered_at""",
            (text, by_person, street_code, incident_id, supervision_id),
        ).fetchone()


def of_case(conn: psycopg.Connection, scope: Scope, incident_id: int, now: datetime) -> list:
    """A case's supervisions, newest first, with who made and who answered them."""
    allowed, params = scope.where("i")
    query = sql.SQL(_ROWS).format(allowed, sql.SQL("s.incident_id = %(id)s"))
    return conn.execute(
        query, {**params, "id": incident_id, "now": now, "limit": 100}, prepare=False
    ).fetchall()


def unanswered(conn: psycopg.Connection, scope: Scope, now: datetime, limit: int = 100) -> list:
    """The scope's supervisions not yet answered, of cases still open (the handlers' 待办)."""
    allowed, params = scope.where("i")
    query = sql.SQL(_ROWS).format(allowed, sql.SQL("s.answered_at IS NULL AND i.closed_at IS NULL"))
    return conn.execute(query, {**params, "now": now, "limit": limit}, prepare=False).fetchall()
