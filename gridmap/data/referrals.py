"""转办 to a 联动单位 (migration 0025): the departments, the referrals of a case (within a scope),
and what was sent to one department (for its own account).

A department's account reads by its department, never by a scope of areas: it sees the cases
sent to it, as sent, and nothing else of the street.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.core.errors import Conflict
from gridmap.data.dberrors import refusals

_ROWS = """
SELECT r.id, r.incident_id, r.department_code, d.name AS department_name, r.at, r.note,
       r.reply_by, r.replied_at, r.reply, coalesce(p.name, a.username) AS by_name, i.title,
       ra.username AS replied_by_name,
       (r.replied_at IS NULL AND r.reply_by < %(now)s) AS late,
       (r.replied_at > r.reply_by) AS replied_late
  FROM incident_referral r
  JOIN department d ON d.street_code = r.street_code AND d.code = r.department_code
  JOIN incident i ON i.street_code = r.street_code AND i.id = r.incident_id
  JOIN account a ON a.id = r.by_account
  LEFT JOIN account ra ON ra.id = r.replied_by
  LEFT JOIN person p ON p.street_code = r.street_code AND p.id = r.by_person
 WHERE {} ORDER BY r.at DESC, r.id DESC LIMIT %(limit)s"""


def departments(conn: psycopg.Connection, street_code: str, active_only: bool = True) -> list:
    return conn.execute(
        "SELECT code, name, active FROM department WHERE street_code = %s"
        + (" AND active" if active_only else "")
        + " ORDER BY name",
        (street_code,),
    ).fetchall()


def add(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    department_code: str,
    note: str,
    reply_by: datetime,
    by_person: int | None,
    by_account: int,
) -> dict:
    try:
        with conn.transaction(), refusals():
            return conn.execute(
                """INSERT INTO incident_referral (street_code, incident_id, department_code, note,
                                                  reply_by, by_person, by_account)
                   VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id, at""",
                (street_code, incident_id, department_code, note, reply_by, by_person, by_account),
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise Conflict("该案件已转办给这个单位、尚未答复，不能重复转办。") from None


def of_case(conn: psycopg.Connection, scope: Scope, incident_id: int, now: datetime) -> list:
    """A case's referrals, newest first (within the scope)."""
    allowed, params = scope.where("i")
    condition = sql.SQL("{} AND r.incident_id = %(id)s").format(allowed)
    return conn.execute(
        sql.SQL(_ROWS).format(condition),
        {**params, "id": incident_id, "now": now, "limit": 100},
        prepare=False,
    ).fetchall()


def waiting(conn: psycopg.Connection, scope: Scope, now: datetime, replied: bool) -> list:
    """The scope's referrals: replied in the last 7 days (``replied``), or still unanswered."""
    allowed, params = scope.where("i")
    test = "r.replied_at > %(now)s - interval '7 days'" if replied else "r.replied_at IS NULL"
    condition = sql.SQL("{} AND {}").format(allowed, sql.SQL(test))
    return conn.execute(
        sql.SQL(_ROWS).format(condition), {**params, "now": now, "limit": 50}, prepare=False
    ).fetchall()


def sent_to(conn: psycopg.Connection, street_code: str, department_code: str, now) -> list:
    """What was referred to one department, unanswered first, with the case as the center
    described it (kind, title, description, place by name, state) and nothing of its
    parties."""
    return conn.execute(
        """SELECT r.id, r.incident_id, r.at, r.note, r.reply_by, r.replied_at, r.reply,
                  (r.replied_at IS NULL AND r.reply_by < %(now)s) AS late,
                  k.name AS kind_name, i.title, i.description, s.name AS status_name,
                  i.occurred_at, v.name AS village_name, g.name AS grid_name,
                  coalesce(p.name, a.username) AS by_name
             FROM incident_referral r
             JOIN incident i ON i.street_code = r.street_code AND i.id = r.incident_id
             JOIN incident_kind k ON k.code = i.kind
             JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
             JOIN account a ON a.id = r.by_account
             LEFT JOIN person p ON p.street_code = r.street_code AND p.id = r.by_person
             LEFT JOIN grid g ON g.id = i.grid_id
             LEFT JOIN village v ON v.division_id = i.division_id AND v.code = i.village_code
            WHERE r.street_code = %(s)s AND r.department_code = %(d)s
            ORDER BY r.replied_at IS NOT NULL, r.reply_by, r.id DESC LIMIT 200""",
        {"s": street_code, "d": department_code, "now": now},
    ).fetchall()


def reply(
    conn: psycopg.Connection,
    street_code: str,
    department_code: str,
    referral_id: int,
    text: str,
    account_id: int,
) -> dict | None:
    """The department's reply (and the case returned to the center); None when no referral
    of that number was sent to the department."""
    with refusals():
        return conn.execute(
            """UPDATE incident_referral SET reply = %s, replied_by = %s, replied_at = now()
                WHERE street_code = %s AND department_code = %s AND id = %s
                RETURNING id, incident_id, replied_at""",
            (text, account_id, street_code, department_code, referral_id),
        ).fetchone()
