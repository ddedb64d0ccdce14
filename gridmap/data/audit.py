"""The audit log (migration 0015): append-only for everyone, read by the auditor.

Every view of a party's unmasked personal data is recorded here in the same transaction as
the read that returns it, so that a view the log does not know cannot happen.
"""

from __future__ import annotations

from datetime import datetime

import psycopg


def record(
    conn: psycopg.Connection,
    street_code: str,
    action: str,
    account: dict | None,
    username: str = "",
    incident_id: int | None = None,
    fields: tuple[str, ...] | list[str] = (),
    detail: str = "",
    remote_addr: str = "",
    user_agent: str = "",
) -> None:
    """One line of the log: who (``account``, or the name typed when it is unknown), what,
    which incident and fields, and from where."""
    conn.execute(
        """INSERT INTO audit_log (street_code, account_id, username, action, incident_id, fields,
                                  detail, remote_addr, user_agent)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)""",
        (
            street_code,
            account["id"] if account else None,
            (account["username"] if account else username)[:64],
            action,
            incident_id,
            list(fields),
            detail[:2000],
            remote_addr[:64],
            user_agent[:512],
        ),
    )


def entries(
    conn: psycopg.Connection,
    street_code: str,
    since: datetime | None = None,
    until: datetime | None = None,
    action: str = "",
    username: str = "",
    incident_id: int | None = None,
    limit: int = 200,
) -> list[dict]:
    """The newest lines first, filtered."""
    return conn.execute(
        """SELECT l.id, l.at, l.account_id, l.username, l.action, x.name AS action_name,
                  l.incident_id, l.fields, l.detail, l.remote_addr, l.user_agent,
                  p.name AS person_name
             FROM audit_log l
             JOIN audit_action x ON x.code = l.action
             LEFT JOIN account a ON a.id = l.account_id
             LEFT JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
            WHERE l.street_code = %(s)s
              AND (%(since)s::timestamptz IS NULL OR l.at >= %(since)s)
              AND (%(until)s::timestamptz IS NULL OR l.at < %(until)s)
              AND (%(action)s = '' OR l.action = %(action)s)
              AND (%(username)s = '' OR l.username = %(username)s)
              AND (%(incident)s::bigint IS NULL OR l.incident_id = %(incident)s)
            ORDER BY l.at DESC, l.id DESC LIMIT %(limit)s""",
        {
            "s": street_code,
            "since": since,
            "until": until,
            "action": action,
            "username": username,
            "incident": incident_id,
            "limit": limit,
        },
        prepare=False,
    ).fetchall()


def actions(conn: psycopg.Connection) -> list[dict]:
    return conn.execute("SELECT code, name FROM audit_action ORDER BY code").fetchall()
