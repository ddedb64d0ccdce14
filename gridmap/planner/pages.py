"""What the planner's pages read: the plans and earlier divisions, a plan with its villages and
difference, a village for the editor, two divisions side by side, and the people who may be
named grid members. The same policy as the writes (gridmap.accounts.policy: see_plans)."""

from __future__ import annotations

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.core import clock
from gridmap.core.errors import BadInput, NotFound
from gridmap.data import areas, divisions, streets
from gridmap.data import plans as store
from gridmap.planner import plans, release


def _street(conn, actor: Actor) -> dict:
    policy.require(actor, "see_plans")
    return streets.get(conn, actor.street_code)


def index(conn: psycopg.Connection, actor: Actor) -> dict:
    return {
        "street": _street(conn, actor),
        "plans": store.listing(conn, actor.street_code),
        "divisions": divisions.published(conn, actor.street_code, clock.now()),
    }


def plan(conn: psycopg.Connection, actor: Actor, plan_id: int) -> dict:
    """A plan, the villages it changed (latest revisions), the villages in force to choose
    from, and its difference from the division in force (or the one it replaced)."""
    street = _street(conn, actor)
    found = plans.plan(conn, actor.scope, plan_id)
    changed = store.latest_revisions(conn, actor.street_code, plan_id)
    division = areas.in_force(conn, actor.street_code, clock.now())
    villages = store.villages_in_force(conn, division["id"]) if division else []
    diff = release.diff(conn, actor.scope, plan_id) if changed else None
    names = {v["code"]: v["name"] for v in villages}
    return {
        "street": street,
        "plan": found,
        "changed": changed,
        "villages": villages,
        "diff": diff,
        "scheduled": scheduled(conn, actor, found, names),
    }


def scheduled(conn, actor: Actor, found: dict, names: dict, village_code=None) -> list[dict]:
    """For a draft: the plans scheduled for a later day (已排期) that change its villages (or
    ``village_code``), each with its effective moment and the names of those villages. A
    draft starts from the division in force, without their changes; published after them, it
    would put its own drawing of such a village in place of theirs."""
    if found["status"] != "draft":
        return []
    out: dict[int, dict] = {}
    for r in store.scheduled(conn, actor.street_code, clock.now(), found["id"]):
        if village_code in (None, r["village_code"]):
            item = out.setdefault(r["id"], {**r, "villages": [], "codes": []})
            item["villages"].append(names.get(r["village_code"], r["village_code"]))
            item["codes"].append(r["village_code"])
    return list(out.values())


def village(conn: psycopg.Connection, actor: Actor, plan_id: int, code: str) -> dict:
    """The plan and a village of the division in force, for its editor."""
    street = _street(conn, actor)
    found = plans.plan(conn, actor.scope, plan_id)
    division = areas.in_force(conn, actor.street_code, clock.now())
    shown = store.village_in_force(conn, division["id"], code) if division else None
    if shown is None:
        raise NotFound(f"现行区划中没有村（社区）{code}")
    ahead = scheduled(conn, actor, found, {code: shown["name"]}, code)
    return {"street": street, "plan": found, "village": shown, "scheduled": ahead}


def two_divisions(conn: psycopg.Connection, actor: Actor, left, right) -> dict:
    """Two published divisions and their grids: unless ``left`` and ``right`` name others, the
    last two (the previous one and the one in force, or, when a plan is scheduled, the one in
    force and the one to come)."""
    street = _street(conn, actor)
    published = divisions.published(conn, actor.street_code, clock.now())
    if not published:
        raise NotFound("街道还没有已发布的网格划分")
    ids = [d["id"] for d in published]
    left = _pick(left, ids, ids[-2] if len(ids) > 1 else ids[-1])
    right = _pick(right, ids, ids[-1])
    chosen = [next(d for d in published if d["id"] == i) for i in (left, right)]
    return {
        "street": street,
        "divisions": published,
        "left": left,
        "right": right,
        "chosen": chosen,
        "grids": [areas.grids(conn, d["id"], d["valid_from"]) for d in chosen],
    }


def _pick(value: str | None, ids: list[int], default: int) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) not in ids:
        raise BadInput("请选择已发布的区划版本")
    return int(value)


def members_to_name(conn: psycopg.Connection, actor: Actor, village_code: str) -> list[dict]:
    """The people who may be named the village's grid members, told apart by duty and place."""
    policy.require(actor, "see_plans")
    return store.present_people(conn, actor.scope, village_code)


def names_of(conn: psycopg.Connection, actor: Actor, person_ids: set[int]) -> dict[int, str]:
    return store.people(conn, actor.scope, person_ids)


def latest(conn: psycopg.Connection, actor: Actor, plan_id: int, village_code: str):
    return store.latest(conn, actor.street_code, plan_id, village_code)


def unit_codes_ever(conn: psycopg.Connection, actor: Actor, village_code: str) -> set[str]:
    """Every unit code the village has had, in any division or plan (a cut takes a new one)."""
    return store.unit_codes_ever(conn, actor.street_code, village_code)
