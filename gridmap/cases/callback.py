"""回访: after a case is closed, the center calls the party back and records how satisfied they
are. 不满意 reopens the case where its workflow allows a closed case to be taken up again
(a dispute that flares up: 纠纷反复，重新调处), in the same transaction as the callback.
"""

from __future__ import annotations

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.cases import service
from gridmap.core.errors import BadInput
from gridmap.data import callbacks as records
from gridmap.data import workflow

RESULTS = records.RESULTS


def call_back(
    conn: psycopg.Connection, actor: Actor, incident_id: int, result: str, note: str
) -> dict:
    """Record the callback of the case's latest closing; returns it, with ``reopened`` the
    state the case went back to (None when it stays closed)."""
    policy.require(actor, "call_back")
    if result not in RESULTS:
        raise BadInput("回访结果只能是满意、基本满意或不满意。")
    note = note.strip()
    if result == "unsatisfied" and len(note) < 2:
        raise BadInput("回访不满意时，请写明当事人不满意的原因。")
    if not actor.account:
        raise BadInput("回访须以一个账号进行。")
    case = service.one(conn, actor, incident_id)
    if case["closed_at"] is None:
        raise BadInput(f"案件 {incident_id} 尚未办结，回访须在办结之后。")
    done = records.add(
        conn,
        actor.street_code,
        incident_id,
        case["closed_at"],
        result,
        note,
        actor.person_id,
        actor.account["id"],
    )
    done["reopened"] = _reopen(conn, actor, case, note) if result == "unsatisfied" else None
    return done


def _reopen(conn, actor: Actor, case: dict, note: str) -> str | None:
    """Take the case up again where its workflow allows it from its closed state."""
    back = [
        t
        for t in workflow.transitions(conn)
        if t["kind"] == case["kind"] and t["from_status"] == case["status"] and not t["closes"]
    ]
    if not back:
        return None
    step = back[0]
    service.move(
        conn,
        actor,
        case["id"],
        step["to_status"],
        reason=f"回访不满意：{note}",
        expected=case["status"],
    )
    return step["to_name"]


def of_case(conn: psycopg.Connection, actor: Actor, incident_id: int) -> list[dict]:
    policy.require(actor, "see_incidents")
    return records.of_case(conn, actor.scope, incident_id)
