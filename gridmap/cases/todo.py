"""待办: what waits for a person, within their scope — the supervisions they must answer (and,
for a supervisor, those still unanswered), closures to review, cases returned to them for more
work, cases due within three days, and closed cases to call back. Shown as a count in the
header, as a page, and on the phone.
"""

from __future__ import annotations

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.cases import service
from gridmap.cases.supervision import KINDS
from gridmap.core import clock
from gridmap.data import referrals, streets, supervision, todo

SECTIONS = {
    "answer": "督办、催办待我答复",
    "awaiting": "我督办的、尚未答复",
    "review": "待我审核的办结",
    "returned": "退回重办",
    "due_soon": "3 天内到期",
    "call_back": "待回访",
    "referral_replied": "联动单位已答复（近 7 天）",
    "referral_waiting": "转办待答复",
}


def of(conn: psycopg.Connection, actor: Actor) -> list[dict]:
    """The actor's to-do lists that apply to them, in :data:`SECTIONS` order, each with its
    items (at most 50; ``count`` says how many are shown)."""
    if not policy.allows(actor.role.code, "see_incidents"):
        return []
    now, scope = clock.now(), actor.scope
    mine = actor.account["id"] if actor.account else None
    found: dict[str, list] = {}
    if policy.allows(actor.role.code, "move_case"):
        asked = [
            {**s, "kind_name": KINDS[s["kind"]]} for s in supervision.unanswered(conn, scope, now)
        ]
        found["answer"] = [s for s in asked if s["by_account"] != mine]
        if policy.may_supervise(actor):
            found["awaiting"] = [s for s in asked if s["by_account"] == mine]
        if _reviews(conn, actor):
            found["review"] = todo.cases(conn, scope, "review", now)
        found["returned"] = todo.cases(conn, scope, "returned", now)
        found["due_soon"] = todo.cases(conn, scope, "due_soon", now)
    if policy.allows(actor.role.code, "call_back"):
        found["call_back"] = todo.cases(conn, scope, "call_back", now)
    if policy.allows(actor.role.code, "refer_case"):
        for key, replied in (("referral_replied", True), ("referral_waiting", False)):
            found[key] = [
                {
                    **r,
                    "note": f"{r['department_name']}：{r['reply'] if replied else r['note']}",
                    "answer_by": r["reply_by"],
                }
                for r in referrals.waiting(conn, scope, now, replied)
            ]
    return [
        {"key": key, "label": label, "items": found[key], "count": len(found[key])}
        for key, label in SECTIONS.items()
        if key in found
    ]


def count(conn: psycopg.Connection, actor: Actor) -> int:
    """How many things wait (the header's badge): everything but the supervisor's own wait."""
    return sum(s["count"] for s in of(conn, actor) if s["key"] not in _WAITING_ON_OTHERS)


# What the person asked of others and waits for: listed, not counted as their own to-do.
_WAITING_ON_OTHERS = {"awaiting", "referral_waiting"}


def _reviews(conn, actor: Actor) -> bool:
    street = streets.get(conn, actor.street_code)
    reviewers = service.REVIEWERS[street["closure_review"] if street else "center"]
    return policy.may_move(actor, sorted(reviewers))
