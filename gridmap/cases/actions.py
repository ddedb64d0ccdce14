"""What a person may do on a case now, for the case page's panel: the workflow's steps their
duties allow, 延期 where the step's rule allows one, 督办 / 催办, answers to supervisions, and
回访 of its latest closing. Each is checked again, whole, when it is done.
"""

from __future__ import annotations

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.cases import callback, referrals, service, supervision


def panel(conn: psycopg.Connection, actor: Actor, case: dict) -> dict:
    role = actor.role.code
    handles = policy.allows(role, "move_case")
    supervisions = supervision.of_case(conn, actor, case["id"])
    callbacks = callback.of_case(conn, actor, case["id"])
    is_open = case["closed_at"] is None
    called = any(c["closed_at"] == case["closed_at"] for c in callbacks)
    return {
        "moves": service.moves(conn, actor, case) if handles else [],
        "may_extend": handles and is_open and case["due_at"] is not None,
        "may_supervise": (
            is_open and policy.allows(role, "supervise_case") and policy.may_supervise(actor)
        ),
        "may_answer": handles,
        "supervisions": supervisions,
        "callbacks": callbacks,
        "may_call_back": (not is_open) and policy.allows(role, "call_back") and not called,
        "may_refer": is_open and policy.allows(role, "refer_case"),
        "departments": referrals.departments(conn, actor) if handles else [],
        "referrals": referrals.of_case(conn, actor, case["id"]),
        "results": callback.RESULTS,
        "kinds": supervision.KINDS,
    }
