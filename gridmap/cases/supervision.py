"""督办 and 催办: the center, or a leader of the chain above the grid, asks the people handling a
case for an answer by a date (包保责任制: the 包片 leader answers for their package area); the
handler answers once, in words. Both are records of the case, counted per leader and handler.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.cases import service
from gridmap.core import clock
from gridmap.core.clock import LOCAL
from gridmap.core.errors import BadInput, Forbidden, NotFound
from gridmap.data import supervision as records

KINDS = {"supervise": "督办", "urge": "催办"}
LONGEST = 60  # days: an answer asked for later than this is a deadline, not a supervision


def supervise(
    conn: psycopg.Connection,
    actor: Actor,
    incident_id: int,
    kind: str,
    note: str,
    answer_by: date,
) -> dict:
    """督办 or 催办 an open case of the actor's scope; the answer is due by the end of
    ``answer_by`` (Beijing time)."""
    policy.require(actor, "supervise_case")
    if not policy.may_supervise(actor):
        raise Forbidden("只有综治中心、包片领导和村（社区）书记可以督办、催办。")
    if kind not in KINDS:
        raise BadInput(f"未知的督办类型：{kind!r}（应为督办或催办）。")
    case = service.one(conn, actor, incident_id)
    if case["closed_at"] is not None:
        raise BadInput(f"案件 {incident_id} 已办结，不能再{KINDS[kind]}。")
    today = clock.now().astimezone(LOCAL).date()
    if not today <= answer_by <= today + timedelta(days=LONGEST):
        raise BadInput(f"答复期限应为今天至 {LONGEST} 天之内的某一天。")
    due = datetime.combine(answer_by + timedelta(days=1), datetime.min.time(), LOCAL)
    if not actor.account:
        raise BadInput("督办须以一个账号进行（命令行请用 --user 指明）。")
    return records.add(
        conn,
        actor.street_code,
        incident_id,
        kind,
        note.strip(),
        due,
        actor.person_id,
        actor.account["id"],
    )


def answer(
    conn: psycopg.Connection, actor: Actor, incident_id: int, supervision_id: int, text: str
) -> dict:
    """The handler's answer to a supervision of their case, written once."""
    policy.require(actor, "move_case")
    service.one(conn, actor, incident_id)
    done = records.answer(
        conn, actor.street_code, incident_id, supervision_id, text.strip(), actor.person_id
    )
    if done is None:
        raise NotFound(f"案件 {incident_id} 没有这条督办。")
    return done


def of_case(conn: psycopg.Connection, actor: Actor, incident_id: int) -> list[dict]:
    policy.require(actor, "see_incidents")
    rows = records.of_case(conn, actor.scope, incident_id, clock.now())
    return [{**r, "kind_name": KINDS[r["kind"]]} for r in rows]
