"""A plan against the division in force: its difference, its publish, its cancellation.

Publishing a plan (发布) builds a new division: the one in force now with the plan's villages
replaced (gridmap.data.plan_publish), and puts it in force from the effective moment (today:
the moment of publishing; a later day: that day's 00:00, Beijing time). From then on new
incidents land in the new grids; older ones keep the grid and people of their time, their
snapshot. The grid members named in the plan take their grids at the same moment, and those
who leave a grid give it up then. Open cases whose point now lies in another grid are handed
over to it when the plan comes into force (plan_hand_over, migration 0020); a scheduled plan's
cases are handed over by ``gridmap plans due`` on its day, and until its day it can be
cancelled.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import shapely

from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.core import clock
from gridmap.core.errors import BadInput, Conflict, NotFound
from gridmap.data import areas, audit, divisions
from gridmap.data import plan_publish as publishing
from gridmap.data import plans as store
from gridmap.data.dberrors import refusals
from gridmap.planner import planning, plans, workload


def villages(conn, scope: Scope, plan_id: int, at=None) -> list[plans.Draft]:
    """The drafts of every village the plan changes."""
    plans.plan(conn, scope, plan_id)  # NotFound for a plan that is not
    revisions = store.latest_revisions(conn, scope.street_code, plan_id)
    return [plans.draft(conn, scope, plan_id, r["village_code"], at) for r in revisions]


def diff(conn, scope: Scope, plan_id: int, at=None, drafts=None, by_unit=None) -> dict:
    """What the plan changes, village by village, against the division in force at ``at``
    (``drafts`` and ``by_unit``, when the caller has read them already). By default: now, and
    for a published plan the moment before it came into force (the division it replaced)."""
    if at is None:
        found = plans.plan(conn, scope, plan_id)
        published = found["status"] == "published"
        at = found["effective"] - timedelta(microseconds=1) if published else clock.now()
    division = areas.in_force(conn, scope.street_code, at)
    drafts = drafts if drafts is not None else villages(conn, scope, plan_id, at)
    if by_unit is None:
        by_unit = workload.of_villages(conn, scope, [d.village["code"] for d in drafts], at)
    out = []
    for d in drafts:
        code = d.village["code"]
        before_units = store.division_units(conn, division["id"], code)
        before_grids = store.division_grids(conn, scope, division["id"], code, at)
        counts = _counts(conn, scope, d, at, by_unit.get(code, {}))
        out.append(_village_diff(d, before_units, before_grids, counts))
    names = store.people(
        conn,
        scope,
        {p for v in out for m in v["members"] for p in [m["person_id"]]},
    )
    for v in out:
        for m in v["members"]:
            m["name"] = names.get(m["person_id"], str(m["person_id"]))
    return {
        "villages": out,
        "units_moved": sum(len(v["moved"]) for v in out),
        "households_moved": sum(v["households_moved"] for v in out),
        "grids_created": sum(len(v["created"]) for v in out),
        "grids_retired": sum(len(v["retired"]) for v in out),
        "units_cut": sum(len(v["cut"]) for v in out),
        "units_redrawn": sum(len(v["redrawn"]) for v in out),
    }


def _counts(conn, scope: Scope, d: plans.Draft, at, by_code: dict) -> dict[str, int]:
    """Incidents of the last twelve months per unit of the plan (gridmap.planner.workload)."""
    return {c: sum(k.values()) for c, k in workload.of_draft(conn, scope, d, by_code, at).items()}


def _village_diff(d: plans.Draft, before_units, before_grids, counts) -> dict:
    old = {u["code"]: u for u in before_units}
    new = {u.code: u for u in d.units.itertuples(index=False)}
    old_grid_of = {c: u["grid_code"] for c, u in old.items()}

    def origin(u) -> str | None:  # the grid a unit of the plan was in before
        return old_grid_of.get(u.code) or old_grid_of.get(store.text_or_none(u.split_from))

    moved = [
        {
            "code": u.code,
            "name": u.name,
            "households": int(u.households),
            "from": origin(u),
            "to": u.grid_code,
        }
        for u in new.values()
        if origin(u) != u.grid_code
    ]
    lineage: dict[str, Counter] = {}
    for u in new.values():
        lineage.setdefault(u.grid_code, Counter())[origin(u) or "新单元"] += int(u.households)
    old_codes = {g["code"] for g in before_grids}
    new_codes = {g["code"] for g in d.grids}
    incidents_before, incidents_after = Counter(), Counter()
    for c, u in old.items():
        incidents_before[u["grid_code"]] += counts.get(c, 0)
    for c, u in new.items():
        incidents_after[u.grid_code] += counts.get(c, 0)
    names = {g["code"]: g["name"] for g in before_grids} | {g["code"]: g["name"] for g in d.grids}
    shapes = {c: shapely.from_wkb(bytes(u["wkb"])) for c, u in old.items()}
    cut = [
        {
            "code": u.code,
            "name": u.name,
            "households": int(u.households),
            "from": store.text_or_none(u.split_from),
        }
        for u in new.values()
        if u.code not in old
    ]
    redrawn = [
        {"code": u.code, "name": u.name}
        for u in new.values()
        if u.code in shapes and not shapely.equals(u.geometry, shapes[u.code])
    ]
    return {
        "cut": cut,
        "redrawn": redrawn,
        "village": d.village,
        "revision": d.revision,
        "names": names,
        "moved": moved,
        "households_moved": sum(m["households"] for m in moved),
        "created": sorted(new_codes - old_codes),
        "retired": sorted(old_codes - new_codes),
        "lineage": {g: dict(c) for g, c in sorted(lineage.items())},
        "members": _members(before_grids, d, moved),
        "incidents": [
            {"grid": g, "before": incidents_before.get(g, 0), "after": incidents_after.get(g, 0)}
            for g in sorted(old_codes | new_codes)
        ],
    }


def _members(before_grids, d: plans.Draft, moved) -> list[dict]:
    """Grid members whose area changes: a grid gained or lost, or a unit in or out of theirs."""
    before = {}
    for g in before_grids:
        for p in g["members"]:
            before.setdefault(p, set()).add(g["code"])
    after = {}
    for g in d.grids:
        for p in g["members"]:
            after.setdefault(p, set()).add(g["code"])
    touched = {m["from"] for m in moved} | {m["to"] for m in moved}
    out = []
    for p in sorted(set(before) | set(after)):
        b, a = sorted(before.get(p, ())), sorted(after.get(p, ()))
        if b != a or set(a) & touched:
            out.append({"person_id": p, "before": b, "after": a})
    return out


def effective_of(day: date | None, now: datetime) -> datetime:
    """Today means now; a later day begins at its 00:00 in Beijing."""
    today = now.astimezone(clock.LOCAL).date()
    if day is None or day == today:
        return now
    if day < today:
        raise BadInput(f"生效日期 {day:%Y-%m-%d} 早于今天：只能今天或以后生效")
    return datetime(day.year, day.month, day.day, tzinfo=clock.LOCAL)


def publish(conn, actor: Actor, plan_id: int, day, r: plans.Rules) -> dict:
    """Publish the plan from ``day`` (None: now). Every village must pass its check."""
    account, scope = plans.author(actor, "publish_plan"), actor.scope
    with refusals(), conn.transaction():
        found = store.lock(conn, scope.street_code, plan_id)
        if found is None:
            raise NotFound(f"方案 {plan_id} 不存在")
        if found["status"] != "draft":
            raise Conflict(f"方案 {plan_id} 已发布或已取消，不能再发布")
        now = conn.execute("SELECT now() AS t").fetchone()["t"]
        effective = effective_of(day, now)
        drafts = villages(conn, scope, plan_id, now)
        if not drafts:
            raise BadInput("方案还没有保存任何村（社区）的调整，无需发布")
        base = _base(conn, scope, effective)
        by_unit = workload.of_villages(conn, scope, [d.village["code"] for d in drafts], now)
        _refuse_problems(conn, scope, drafts, by_unit, r)
        _refuse_overtaken(conn, scope, plan_id, drafts)
        summary = diff(conn, scope, plan_id, now, drafts, by_unit)
        name = store.get(conn, scope.street_code, plan_id)["name"]
        new = divisions.create_draft(conn, scope.street_code, name, f"网格调整方案 {plan_id}")
        revisions = {d.village["code"]: d.revision for d in drafts}
        publishing.compose_division(conn, scope.street_code, base["id"], new, plan_id, revisions)
        planning.check_publishable(conn, new, effective)
        brief = {k: v for k, v in summary.items() if k != "villages"}
        brief["villages"] = [v["village"]["name"] for v in summary["villages"]]
        publishing.publish(conn, scope.street_code, plan_id, new, effective, account["id"], brief)
        _assign(conn, scope, plan_id, base["id"], drafts, effective)
        audit.record(
            conn,
            scope.street_code,
            "plan_published",
            account,
            detail=f"方案 {plan_id}「{name}」，{effective.astimezone(clock.LOCAL):%Y-%m-%d %H:%M}"
            f" 生效：{'、'.join(brief['villages'])}；移动单元 {brief['units_moved']} 个",
        )
        handed = publishing.hand_over(conn, scope.street_code, plan_id)
    return {
        **brief,
        "division_id": new,
        "effective": effective,
        "scheduled": effective > now,  # in force from a day to come: handed over then
        "handed_over": handed,
    }


def _base(conn, scope: Scope, effective: datetime) -> dict:
    """The division a new one follows: the last published (in force, or scheduled)."""
    published = divisions.published(conn, scope.street_code, clock.now())
    current = [d for d in published if d["valid_to"] is None]
    if not current:
        raise NotFound("街道目前没有已发布的网格划分")
    if current[0]["valid_from"] >= effective:
        start = current[0]["valid_from"].astimezone(clock.LOCAL)
        which = "已排期区划" if current[0]["state"] == divisions.SCHEDULED else "现行区划"
        raise BadInput(
            f"生效时间早于{which}「{current[0]['name']}」的生效时间 {start:%Y-%m-%d %H:%M}"
        )
    return current[0]


def _refuse_problems(conn, scope: Scope, drafts, by_unit: dict, r: plans.Rules) -> None:
    found = []
    for d in drafts:
        names = store.people(conn, scope, {p for g in d.grids for p in g["members"]})
        counts = workload.of_draft(conn, scope, d, by_unit.get(d.village["code"], {}))
        for p in plans.check(d, counts, names, r).problems:
            if p.kind in plans.BLOCKING:
                found.append(f"{d.village['name']}：{p.message}")
    if found:
        raise BadInput("方案还有问题，未发布：" + "；".join(found[:20]), details=found)


def _refuse_overtaken(conn, scope: Scope, plan_id: int, drafts) -> None:
    """A village changed by another plan published since this plan began it: publishing this
    one would put back what that one changed."""
    for d in drafts:
        since = store.first_saved(conn, scope.street_code, plan_id, d.village["code"])
        later = store.published_since(conn, scope.street_code, d.village["code"], since, plan_id)
        if later:
            raise Conflict(
                f"{d.village['name']} 已由方案「{later[0]['name']}」"
                "在本方案开始修改之后调整并发布；"
                "本方案对该村的调整基于旧的划分，未发布。请新建方案，在现行划分上重新调整该村。"
            )


def _assign(conn, scope: Scope, plan_id: int, base: int, drafts, effective) -> None:
    """The plan's grid members take their grids at ``effective``; others leave them then."""
    for d in drafts:
        old = [
            g["code"] for g in store.division_grids(conn, scope, base, d.village["code"], effective)
        ]
        wanted = {(p, g["code"]) for g in d.grids for p in g["members"]}
        held = set()
        for a in publishing.open_grid_members(
            conn, scope, old + [g["code"] for g in d.grids], effective
        ):
            if (a["person_id"], a["scope_code"]) in wanted:
                held.add((a["person_id"], a["scope_code"]))
            elif a["valid_from"] < effective:
                publishing.end_assignment(conn, scope.street_code, plan_id, a["id"], effective)
        for person, grid in sorted(wanted - held):
            publishing.start_assignment(conn, scope.street_code, plan_id, person, grid, effective)


def cancel(conn, actor: Actor, plan_id: int) -> None:
    account, scope = plans.author(actor, "publish_plan"), actor.scope
    with refusals(), conn.transaction():
        name = plans.plan(conn, scope, plan_id)["name"]
        publishing.withdraw(conn, scope.street_code, plan_id, account["id"])
        audit.record(
            conn, scope.street_code, "plan_cancelled", account, detail=f"方案 {plan_id}「{name}」"
        )


def due(conn, scope: Scope) -> dict[int, int]:
    """Hand over the open cases of every plan come into force since (``gridmap plans due``)."""
    with conn.transaction():
        return {
            p: publishing.hand_over(conn, scope.street_code, p)
            for p in publishing.due(conn, scope.street_code)
        }


def duplicate(conn, actor: Actor, plan_id: int, name: str) -> int:
    """A new draft starting from the plan's latest revisions (each becomes revision 1)."""
    account, scope = plans.author(actor, "edit_plan"), actor.scope
    with refusals(), conn.transaction():
        source = plans.plan(conn, scope, plan_id)
        name = name or f"{source['name']}（副本）"
        new = store.create(conn, scope.street_code, name, "", account["id"], plan_id)
        plans.created(conn, scope.street_code, account, new, name, plan_id)
        for d in villages(conn, scope, plan_id):
            store.insert_revision(
                conn,
                scope.street_code,
                new,
                d.village["code"],
                1,
                account["id"],
                f"复制自方案 {plan_id} 第 {d.revision} 版",
                d.grids,
                d.units,
            )
    return new
