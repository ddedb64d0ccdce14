"""转办: the center refers a case to a 联动单位 (派出所、司法所、法庭、信访办、综合执法, or one the
street adds) with a date to reply by; the department's own account sees what was sent to it,
replies, and so returns it to the center. The case stays the center's: a referral is a request
and its answer, both kept as written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.cases import service
from gridmap.core import clock
from gridmap.core.clock import LOCAL
from gridmap.core.errors import BadInput, NotFound
from gridmap.data import referrals as records

LONGEST = 60  # days to reply by, at most


def departments(conn: psycopg.Connection, actor: Actor) -> list[dict]:
    return records.departments(conn, actor.street_code)


def refer(
    conn: psycopg.Connection,
    actor: Actor,
    incident_id: int,
    department_code: str,
    note: str,
    reply_by: date,
) -> dict:
    """Refer an open case of the actor's scope to a department of the street."""
    policy.require(actor, "refer_case")
    if not actor.account:
        raise BadInput("转办须以一个账号进行。")
    known = {d["code"]: d["name"] for d in records.departments(conn, actor.street_code)}
    if department_code not in known:
        raise BadInput(
            f"没有这个联动单位：{department_code!r}（可选：{'、'.join(known.values())}）。"
        )
    case = service.one(conn, actor, incident_id)
    if case["closed_at"] is not None:
        raise BadInput(f"案件 {incident_id} 已办结，不能再转办。")
    today = clock.now().astimezone(LOCAL).date()
    if not today <= reply_by <= today + timedelta(days=LONGEST):
        raise BadInput(f"答复期限应为今天至 {LONGEST} 天之内的某一天。")
    due = datetime.combine(reply_by + timedelta(days=1), datetime.min.time(), LOCAL)
    done = records.add(
        conn,
        actor.street_code,
        incident_id,
        department_code,
        note.strip(),
        due,
        actor.person_id,
        actor.account["id"],
    )
    return {**done, "department_name": known[department_code]}


def of_case(conn: psycopg.Connection, actor: Actor, incident_id: int) -> list[dict]:
    policy.require(actor, "see_incidents")
    return records.of_case(conn, actor.scope, incident_id, clock.now())


def _department(actor: Actor) -> str:
    policy.require(actor, "answer_referral")
    code = (actor.account or {}).get("department_code")
    if not code:
        raise BadInput("该账号不属于任何联动单位。")
    return code


def inbox(conn: psycopg.Connection, actor: Actor) -> list[dict]:
    """What was referred to the actor's own department (from the account, never the URL)."""
    return records.sent_to(conn, actor.street_code, _department(actor), clock.now())


def answer(conn: psycopg.Connection, actor: Actor, referral_id: int, text: str) -> dict:
    """The department replies to a referral sent to it, and so returns the case."""
    code = _department(actor)
    text = text.strip()
    if len(text) < 2:
        raise BadInput("请填写答复内容（至少 2 个字）。")
    done = records.reply(conn, actor.street_code, code, referral_id, text, actor.account["id"])
    if done is None:
        raise NotFound("没有这条转办，或它不是转办给本单位的。")
    return done
