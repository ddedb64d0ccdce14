"""The administrator corrects the past (更正): a period of responsibility, or a leaving, that
was recorded wrongly or months late.

Ending a period, or a leaving, more than a few days back is refused as a plain change: it would
take cases out of the record of the people who answered for them without a word. A correction
says why, is made by an administrator's account, keeps the row as first recorded beside the new
one (gridmap.data.corrections) and is written to the audit log in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.core.clock import local
from gridmap.core.errors import BadInput
from gridmap.data import audit
from gridmap.data import corrections as ledger


def _account_id(actor: Actor) -> int:
    policy.require(actor, "manage_accounts")
    if not actor.account:
        raise BadInput("更正须以一个系统管理员账号进行（命令行请用 --user 指明）。")
    return actor.account["id"]


def _day(moment: datetime | None) -> str:
    return f"{local(moment):%Y-%m-%d}" if moment else "在任"


def _period(start: datetime, end: datetime | None) -> str:
    return f"{_day(start)} 至 {_day(end) if end else '今（在任）'}"


def correct_assignment(
    conn: psycopg.Connection,
    actor: Actor,
    assignment_id: int,
    start: datetime,
    end: datetime | None,
    reason: str,
    origin: dict | None = None,
) -> dict:
    """Correct an assignment's period; the row that now stands, with what it replaced."""
    account_id = _account_id(actor)
    new_id = ledger.correct_assignment(
        conn, actor.street_code, assignment_id, start, end, reason, account_id
    )
    row = ledger.assignment(conn, actor.street_code, new_id)
    audit.record(
        conn,
        actor.street_code,
        "assignment_corrected",
        actor.account,
        username=actor.username,
        detail=(
            f"任职 {assignment_id}（{row['person_name']} {row['role_name']} {row['scope_code']}）"
            f"原记 {_period(row['was_from'], row['was_to'])}，"
            f"更正为 {_period(row['valid_from'], row['valid_to'])}（任职 {new_id}）；"
            f"原因：{row['reason']}"
        ),
        **(origin or {}),
    )
    return row


def correct_leaving(
    conn: psycopg.Connection,
    actor: Actor,
    person_id: int,
    left_at: datetime,
    reason: str,
    origin: dict | None = None,
) -> dict:
    """Correct when a person left; the person's record after the correction."""
    account_id = _account_id(actor)
    before = ledger.person(conn, actor.street_code, person_id)["left_at"]
    ledger.correct_leaving(conn, actor.street_code, person_id, left_at, reason, account_id)
    after = ledger.person(conn, actor.street_code, person_id)
    audit.record(
        conn,
        actor.street_code,
        "person_left_corrected",
        actor.account,
        username=actor.username,
        detail=(
            f"人员 {person_id}（{after['name']}）离任时间原记 "
            f"{_day(before) if before else '未登记'}，更正为 {_day(after['left_at'])}；"
            f"原因：{after['leaving'][0]['reason']}"
        ),
        **(origin or {}),
    )
    return after


def person_record(conn: psycopg.Connection, actor: Actor, person_id: int) -> dict:
    """A person with every assignment they held, as first recorded and as corrected."""
    policy.require(actor, "manage_accounts")
    return ledger.person(conn, actor.street_code, person_id)


def recent(conn: psycopg.Connection, actor: Actor) -> list[dict]:
    policy.require(actor, "manage_accounts")
    return ledger.recent(conn, actor.street_code)
