"""Corrections of the past: a period of responsibility, or a person's leaving, recorded wrongly.

The database writes them (migration 0022, repeatable 14_corrections): the row as first
recorded stays, superseded at the moment of the correction, and a new row holds the corrected
period with its reason and the administrator who made it. Nothing here edits history; these
functions call the two doors and read the ledger back.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.core.errors import NotFound
from gridmap.data.dberrors import refusals


def correct_assignment(
    conn: psycopg.Connection,
    street_code: str,
    assignment_id: int,
    start: datetime,
    end: datetime | None,
    reason: str,
    account_id: int,
) -> int:
    """Correct one assignment's period to [start, end) (end None: still in post); the id of
    the row that now stands for it."""
    with conn.transaction(), refusals():
        return conn.execute(
            "SELECT assignment_correct(%s, %s, tstzrange(%s, %s), %s, %s) AS id",
            (street_code, assignment_id, start, end, reason, account_id),
        ).fetchone()["id"]


def correct_leaving(
    conn: psycopg.Connection,
    street_code: str,
    person_id: int,
    left_at: datetime,
    reason: str,
    account_id: int,
) -> int:
    """Correct when a person left (their periods are corrected with it); the id of the
    person_correction row."""
    with conn.transaction(), refusals():
        return conn.execute(
            "SELECT person_correct_left(%s, %s, %s, %s, %s) AS id",
            (street_code, person_id, left_at, reason, account_id),
        ).fetchone()["id"]


def assignment(conn: psycopg.Connection, street_code: str, assignment_id: int) -> dict:
    """One row of the ledger, standing or superseded, with its person and duty in words."""
    row = conn.execute(
        _LEDGER + " WHERE a.street_code = %s AND a.id = %s",
        (street_code, assignment_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"任职记录 {assignment_id} 不存在。")
    return row


def person(conn: psycopg.Connection, street_code: str, person_id: int) -> dict:
    """A person, their whole ledger of assignments (superseded rows beside their corrections)
    and the corrections of their leaving."""
    found = conn.execute(
        "SELECT id, name, gender, phone, title, left_at FROM person"
        " WHERE street_code = %s AND id = %s",
        (street_code, person_id),
    ).fetchone()
    if found is None:
        raise NotFound(f"人员 {person_id} 不存在。")
    found["assignments"] = conn.execute(
        _LEDGER + " WHERE a.street_code = %s AND a.person_id = %s"
        " ORDER BY lower(a.valid) DESC, a.id DESC",
        (street_code, person_id),
    ).fetchall()
    found["leaving"] = conn.execute(
        """SELECT c.id, c.left_before, c.left_after, c.reason, c.corrected_at,
                  ac.username AS corrected_by
             FROM person_correction c LEFT JOIN account ac ON ac.id = c.corrected_by
            WHERE c.street_code = %s AND c.person_id = %s ORDER BY c.id DESC""",
        (street_code, person_id),
    ).fetchall()
    return found


def recent(conn: psycopg.Connection, street_code: str, limit: int = 50) -> list[dict]:
    """The latest corrections of periods, newest first, each with what it replaced."""
    return conn.execute(
        _LEDGER + " WHERE a.street_code = %s AND a.corrects IS NOT NULL"
        " ORDER BY a.id DESC LIMIT %s",
        (street_code, limit),
    ).fetchall()


# A ledger row: its person and duty in words, its period, whether it stands, and for a
# correction the period it replaced, its reason, its author and when it was made.
_LEDGER = """
SELECT a.id, a.person_id, p.name AS person_name, a.role, r.name AS role_name, a.scope_code,
       lower(a.valid) AS valid_from, upper(a.valid) AS valid_to, a.superseded_at,
       a.corrects, a.reason, ac.username AS corrected_by,
       o.superseded_at AS corrected_at, lower(o.valid) AS was_from, upper(o.valid) AS was_to,
       (SELECT n.id FROM assignment n WHERE n.street_code = a.street_code AND n.corrects = a.id)
           AS corrected_as
  FROM assignment a
  JOIN role r ON r.code = a.role
  JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
  LEFT JOIN account ac ON ac.id = a.corrected_by
  LEFT JOIN assignment o ON o.street_code = a.street_code AND o.id = a.corrects
"""
