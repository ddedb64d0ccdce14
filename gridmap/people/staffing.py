"""The administrator's work (系统管理员): accounts, the street's people and the assignments of
the six-level chain; and the auditor's (审计员) reading of the log.

A new account and a reset get a one-time password, returned once; its owner sets their own at
the next sign-in. Nothing is deleted: accounts are disabled, people leave, assignments end.
Every change is written to the audit log in the same transaction, under the acting account (or
``cli`` for the owner at the console).
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.accounts import passwords, policy
from gridmap.accounts.policy import Actor
from gridmap.core.clock import local
from gridmap.core.errors import BadInput, NotFound
from gridmap.data import accounts, audit, corrections, people, referrals, streets
from gridmap.people import auditwords

ADMIN = "admin"  # the administrator's account on a new server


def _log(conn, actor: Actor, action: str, detail: str, origin: dict | None = None) -> None:
    audit.record(
        conn,
        actor.street_code,
        action,
        actor.account,
        username=actor.username,
        detail=detail,
        **(origin or {}),
    )


def street_exists(conn: psycopg.Connection, street_code: str) -> None:
    if streets.get(conn, street_code) is None:
        raise NotFound(f"街道 {street_code} 尚无数据：请先导入街道的划分（或运行 gridmap demo）。")


def account_listing(conn: psycopg.Connection, actor: Actor) -> dict:
    """The accounts, the kinds of account, and the people an account may belong to."""
    policy.require(actor, "manage_accounts")
    street = actor.street_code
    return {
        "accounts": accounts.listing(conn, street),
        "roles": accounts.roles(conn),
        "people": [p for p in people.listing(conn, street) if p["left_at"] is None],
        "departments": referrals.departments(conn, street),
    }


def create_account(
    conn: psycopg.Connection,
    actor: Actor,
    username: str,
    role: str,
    person_id: int | None,
    origin: dict | None = None,
    department_code: str | None = None,
) -> str:
    """A new account with a one-time password, which is returned (shown once). Every account
    belongs to a person (docs/access.md); only the bootstrap administrator, made by
    :func:`administrator`, does not. A 联动单位's account names its department."""
    if person_id is None:
        raise BadInput(
            "账号必须属于一名人员：请选择所属人员（只有初始的系统管理员账号 admin 可以不属于人员，"
            "由 gridmap accounts admin 创建）。"
        )
    if (role == "department") != bool(department_code):
        raise BadInput("联动单位账号须选择所属单位（派出所、司法所……）；其他类型的账号不选单位。")
    return _create_account(conn, actor, username, role, person_id, origin, department_code)


def _create_account(
    conn, actor: Actor, username: str, role: str, person_id, origin, department_code=None
) -> str:
    policy.require(actor, "manage_accounts")
    username = username.strip().lower()
    if role not in policy.ROLES:
        known = "、".join(policy.ROLES)
        raise BadInput(f"未知的账号类型：{role!r}（应为 {known} 之一）。")
    one_time = passwords.one_time()
    accounts.create(
        conn,
        actor.street_code,
        username,
        role,
        person_id,
        passwords.hash_password(one_time),
        department_code=department_code or None,
    )
    _log(conn, actor, "account_created", f"{username}（{role}）", origin)
    return one_time


def by_username(conn: psycopg.Connection, actor: Actor, username: str) -> dict:
    policy.require(actor, "manage_accounts")
    account = accounts.by_username(conn, actor.street_code, username.strip().lower())
    if account is None:
        raise BadInput(f"没有账号 {username}。")
    return account


def reset(
    conn: psycopg.Connection, actor: Actor, account_id: int, origin: dict | None = None
) -> tuple[dict, str]:
    """A one-time password for the account (every live session of it ends); returns the
    account and the password."""
    account = _account(conn, actor, account_id)
    one_time = passwords.one_time()
    accounts.reset(conn, actor.street_code, account_id, passwords.hash_password(one_time))
    _log(conn, actor, "password_reset", account["username"], origin)
    return account, one_time


def set_disabled(
    conn: psycopg.Connection,
    actor: Actor,
    account_id: int,
    disabled: bool,
    origin: dict | None = None,
) -> dict:
    """Disable (every live session ends at its next request) or enable an account."""
    account = _account(conn, actor, account_id)
    if disabled and actor.account and account["id"] == actor.account["id"]:
        raise BadInput("不能停用您自己正在使用的账号。")
    accounts.set_disabled(conn, actor.street_code, account_id, disabled)
    action = "account_disabled" if disabled else "account_enabled"
    _log(conn, actor, action, account["username"], origin)
    return account


def _account(conn, actor: Actor, account_id: int) -> dict:
    policy.require(actor, "manage_accounts")
    account = accounts.by_id(conn, actor.street_code, account_id)
    if account is None:
        raise BadInput(f"账号 {account_id} 不存在。")
    return account


def administrator(conn: psycopg.Connection, actor: Actor) -> str:
    """Create the administrator's account (or reset it, if it exists); its one-time password."""
    found = accounts.by_username(conn, actor.street_code, ADMIN)
    if found is None:
        return _create_account(conn, actor, ADMIN, "admin", None, None)
    return reset(conn, actor, found["id"])[1]


def admin_password_changed(conn: psycopg.Connection, street_code: str) -> bool:
    """Whether the administrator has set their own password (production safety)."""
    account = accounts.by_username(conn, street_code, ADMIN)
    return account is not None and not account["must_set_password"]


def people_listing(conn: psycopg.Connection, actor: Actor) -> dict:
    """The street's people, the assignments in force, and the chain's roles."""
    policy.require(actor, "manage_accounts")
    street = actor.street_code
    return {
        "people": people.listing(conn, street),
        "assignments": people.assignments_now(conn, street),
        "roles": people.chain_roles(conn),
        "corrections": corrections.recent(conn, street),
    }


def add_person(
    conn: psycopg.Connection,
    actor: Actor,
    name: str,
    gender: str | None,
    phone: str,
    title: str,
    origin: dict | None = None,
) -> int:
    policy.require(actor, "manage_accounts")
    pid = people.add_person(conn, actor.street_code, name, gender or None, phone, title)
    _log(conn, actor, "person_created", f"{pid} {name}", origin)
    return pid


def person_leaves(
    conn: psycopg.Connection,
    actor: Actor,
    person_id: int,
    at: datetime,
    origin: dict | None = None,
) -> None:
    """A person leaves: their assignments end with them; they are never deleted."""
    policy.require(actor, "manage_accounts")
    people.end_person(conn, actor.street_code, person_id, at)
    _log(conn, actor, "person_changed", f"{person_id} 离任 {local(at):%Y-%m-%d}", origin)


def add_assignment(
    conn: psycopg.Connection,
    actor: Actor,
    person_id: int,
    role: str,
    scope_code: str,
    start: datetime,
    origin: dict | None = None,
) -> int:
    policy.require(actor, "manage_accounts")
    aid = people.add_assignment(conn, actor.street_code, person_id, role, scope_code, start)
    _log(conn, actor, "assignment_created", f"{aid}: 人员 {person_id} {role} {scope_code}", origin)
    return aid


def end_assignment(
    conn: psycopg.Connection,
    actor: Actor,
    assignment_id: int,
    at: datetime,
    origin: dict | None = None,
) -> None:
    policy.require(actor, "manage_accounts")
    people.end_assignment(conn, actor.street_code, assignment_id, at)
    _log(conn, actor, "assignment_ended", f"{assignment_id} 截止 {local(at):%Y-%m-%d}", origin)


def audit_log(conn: psycopg.Connection, actor: Actor, **filters) -> list[dict]:
    """The audit log, newest first, filtered (gridmap.data.audit.entries), its codes in words
    (gridmap.people.auditwords)."""
    policy.require(actor, "read_audit")
    lines = audit.entries(conn, actor.street_code, **filters)
    duties = {r["code"]: r["name"] for r in people.chain_roles(conn)}
    return auditwords.in_words(lines, duties)


def audit_actions(conn: psycopg.Connection) -> list[dict]:
    return audit.actions(conn)
