"""Accounts: who may sign in, as what, and what the six-level chain lets them see now.

Passwords are checked in gridmap.accounts.passwords; this module only stores their hashes and the
counters that throttle sign-in. What a 'chain' account may see is read from the person's
assignments at the moment of asking (scope_of), never stored with the account.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.scope import Scope
from gridmap.core.errors import BadInput, NotFound
from gridmap.data.dberrors import refusals

_COLUMNS = """a.id, a.street_code, a.username, a.person_id, a.role, r.name AS role_name,
              a.password_hash, a.must_set_password, a.failed_attempts, a.locked_until,
              a.disabled_at, a.session_epoch, a.created_at, a.password_set_at,
              p.name AS person_name, p.left_at AS person_left_at, a.department_code,
              d.name AS department_name"""
_FROM = """FROM account a JOIN account_role r ON r.code = a.role
           LEFT JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
           LEFT JOIN department d ON d.street_code = a.street_code AND d.code = a.department_code"""


def by_username(conn: psycopg.Connection, street_code: str, username: str) -> dict | None:
    return conn.execute(
        f"SELECT {_COLUMNS} {_FROM} WHERE a.street_code = %s AND a.username = %s",
        (street_code, username),
    ).fetchone()


def by_id(conn: psycopg.Connection, street_code: str, account_id: int) -> dict | None:
    return conn.execute(
        f"SELECT {_COLUMNS} {_FROM} WHERE a.street_code = %s AND a.id = %s",
        (street_code, account_id),
    ).fetchone()


def listing(conn: psycopg.Connection, street_code: str) -> list[dict]:
    return conn.execute(
        f"SELECT {_COLUMNS} {_FROM} WHERE a.street_code = %s ORDER BY a.role, a.username",
        (street_code,),
    ).fetchall()


def roles(conn: psycopg.Connection) -> list[dict]:
    return conn.execute("SELECT code, name, description FROM account_role ORDER BY code").fetchall()


def create(
    conn: psycopg.Connection,
    street_code: str,
    username: str,
    role: str,
    person_id: int | None,
    password_hash: str,
    must_set_password: bool = True,
    department_code: str | None = None,
) -> int:
    """A new account; its password is a one-time one unless ``must_set_password`` is False
    (the demo's accounts). A 联动单位's account names its department."""
    if by_username(conn, street_code, username) is not None:
        raise BadInput(f"用户名「{username}」已被使用，请换一个。")
    with refusals():
        row = conn.execute(
            """INSERT INTO account (street_code, username, person_id, role, password_hash,
                                    must_set_password, department_code)
               VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id""",
            (
                street_code,
                username,
                person_id,
                role,
                password_hash,
                must_set_password,
                department_code,
            ),
        ).fetchone()
    return row["id"]


def record_failure(
    conn: psycopg.Connection, account_id: int, max_failures: int, lock_minutes: int
) -> bool:
    """Count a failed sign-in; lock the account once the count reaches ``max_failures``.
    Returns whether it is now locked."""
    row = conn.execute(
        """UPDATE account
              SET failed_attempts = CASE WHEN failed_attempts + 1 >= %(max)s THEN 0
                                         ELSE failed_attempts + 1 END,
                  locked_until = CASE WHEN failed_attempts + 1 >= %(max)s
                                      THEN now() + make_interval(mins => %(mins)s)
                                      ELSE locked_until END
            WHERE id = %(id)s
        RETURNING locked_until > now() AS locked""",
        {"id": account_id, "max": max_failures, "mins": lock_minutes},
    ).fetchone()
    return bool(row and row["locked"])


def record_success(conn: psycopg.Connection, account_id: int, new_hash: str | None) -> None:
    """A good sign-in clears the failures (and stores a rehashed password when the hasher's
    parameters have grown since)."""
    conn.execute(
        """UPDATE account SET failed_attempts = 0, locked_until = NULL,
                  password_hash = coalesce(%s, password_hash)
            WHERE id = %s""",
        (new_hash, account_id),
    )


def set_password(conn: psycopg.Connection, account_id: int, password_hash: str) -> None:
    """The person's own new password (after a one-time one, or changed later)."""
    conn.execute(
        """UPDATE account SET password_hash = %s, must_set_password = false,
                  password_set_at = now(), failed_attempts = 0, locked_until = NULL
            WHERE id = %s""",
        (password_hash, account_id),
    )


def reset(conn: psycopg.Connection, street_code: str, account_id: int, one_time_hash: str) -> None:
    """A one-time password from an administrator: every live session of the account ends."""
    _update(
        conn,
        street_code,
        account_id,
        """password_hash = %(hash)s, must_set_password = true, failed_attempts = 0,
           locked_until = NULL, session_epoch = session_epoch + 1""",
        {"hash": one_time_hash},
    )


def end_sessions(conn: psycopg.Connection, street_code: str, account_id: int) -> None:
    """Every session of the account is over (a sign-out): a copy of its cookie no longer
    opens anything, on this device or another."""
    _update(conn, street_code, account_id, "session_epoch = session_epoch + 1", {})


def set_disabled(
    conn: psycopg.Connection, street_code: str, account_id: int, disabled: bool
) -> None:
    """Disable (every live session ends at its next request) or enable an account."""
    if disabled:
        change = "disabled_at = now(), session_epoch = session_epoch + 1"
    else:
        change = "disabled_at = NULL, failed_attempts = 0, locked_until = NULL"
    _update(conn, street_code, account_id, change, {})


def _update(conn, street_code: str, account_id: int, change: str, params: dict) -> None:
    row = conn.execute(
        f"UPDATE account SET {change} WHERE street_code = %(s)s AND id = %(id)s RETURNING id",
        {**params, "s": street_code, "id": account_id},
    ).fetchone()
    if row is None:
        raise NotFound(f"账号 {account_id} 不存在。")


def scope_of(conn: psycopg.Connection, account: dict, at: datetime) -> Scope:
    """What the account may see at ``at``, as the policy's table says its kind of account sees:
    the whole street (the center; planners without the center's duties), or the areas of the
    person's assignments in force then (the chain; none once they have left)."""
    street = account["street_code"]
    kind = policy.role(account["role"]).scope
    if kind == policy.STREET:
        return Scope.street(street)
    if kind == policy.STREET_READ:
        return Scope(street, whole=True, label="全街道")
    if kind != policy.ASSIGNMENTS or account["person_id"] is None:
        return Scope.of_areas(street, {})
    rows = conn.execute(
        """SELECT r.scope AS level, array_agg(DISTINCT a.scope_code) AS codes,
                  string_agg(DISTINCT r.name, '、') AS roles,
                  array_agg(DISTINCT r.code) AS duties
             FROM assignment_standing a
             JOIN role r ON r.code = a.role AND r.level IS NOT NULL
             JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
            WHERE a.street_code = %s AND a.person_id = %s AND a.valid @> %s::timestamptz
              AND (p.left_at IS NULL OR p.left_at > %s)
            GROUP BY r.scope""",
        (street, account["person_id"], at, at),
    ).fetchall()
    areas = {r["level"]: set(r["codes"]) for r in rows}
    label = "、".join(r["roles"] for r in rows)
    duties = {d for r in rows for d in r["duties"]}
    return Scope.of_areas(street, areas, label=label, duties=duties)
