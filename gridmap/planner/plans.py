"""A planner's plan (网格调整方案), one village at a time: open it, change it, check it, save it.

One core for the planner's page and the ``gridmap plans`` commands. A village's draft is its
latest revision in the plan, or the village as the division in force has it. What the page (or
a file) sends is never trusted: gridmap.planner.body reads it against the draft it was based on,
:func:`check` runs every test of gridmap.planner.check, and :func:`save` refuses a unit layer that
is not a true coverage of the village (invalid, overlapping, leaving a gap, crossing the edge),
a content that names what the village does not have, and a save based on a revision someone
else has since replaced. What a planner may leave unfinished in a draft (an empty grid, a grid
in two pieces, a grid without a grid member, a grid outside the band) is saved and shown, and
stops the publish (gridmap.planner.release) instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.core import clock
from gridmap.core.errors import BadInput, ConfigError, Conflict, NotFound
from gridmap.data import areas, audit
from gridmap.data import plans as store
from gridmap.data.dberrors import refusals
from gridmap.data.geometry import from_wkb
from gridmap.data.plans import text_or_none  # noqa: F401  (a draft's text, never NaN)
from gridmap.planner import check as plancheck
from gridmap.planner import rebalance, workload

# Problems that a saved draft may not have: the unit layer must stay a true coverage.
REFUSED = {"invalid", "overlap", "gap", "outside", "unknown_grid"}
# Problems that stop a publish (a band is the street's aim, not a rule: it warns).
BLOCKING = REFUSED | {"pieces", "empty", "no_member"}
UNIT_COLUMNS = ["code", "name", "kind", "households", "population", "grid_code", "split_from"]


@dataclass(frozen=True)
class Rules:
    band_village: plancheck.Band
    band_community: plancheck.Band
    tolerance: float
    weights: dict[str, float]

    def band(self, kind: str) -> plancheck.Band:
        return self.band_community if kind == "社区" else self.band_village


def rules(config) -> Rules:
    """The planner's settings (PLAN_*), read once."""

    def band(name: str) -> plancheck.Band:
        m = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", str(config[name]))
        if not m or int(m.group(1)) > int(m.group(2)):
            raise ConfigError(f"设置项 {name} 应形如 300-500，收到：{config[name]!r}")
        return plancheck.Band(int(m.group(1)), int(m.group(2)))

    weights = {}
    for part in filter(None, (p.strip() for p in str(config["PLAN_WEIGHTS"]).split(","))):
        kind, _, value = part.partition(":")
        try:
            weights[kind.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"设置项 PLAN_WEIGHTS 应形如 petition:3，收到：{part!r}") from None
    return Rules(
        band("PLAN_BAND_VILLAGE"),
        band("PLAN_BAND_COMMUNITY"),
        float(config["PLAN_TOLERANCE"]),
        weights,
    )


@dataclass(frozen=True)
class Draft:
    plan_id: int
    village: dict  # code, name, kind, package_area_code
    edge: shapely.Geometry  # the village's boundary (a plan never moves it)
    revision: int  # 0: not saved yet in this plan
    grids: list[dict]  # code, name, members (person ids)
    units: gpd.GeoDataFrame  # UNIT_COLUMNS + geometry
    saved_by: str | None = None
    saved_at: datetime | None = None


def author(actor: Actor, action: str) -> dict:
    """The account a change of a plan is made as, if its kind may ``action`` (the policy gives
    that to planners); a plan names its author, the owner at the console too."""
    policy.require(actor, action)
    if actor.account is None:
        raise BadInput("网格调整方案须记录操作的账号：请用 --user 指明（规划人员）")
    return actor.account


def create(conn, actor: Actor, name: str, note: str = "") -> int:
    account = author(actor, "edit_plan")
    if not name or not name.strip():
        raise BadInput("请填写方案名称")
    with refusals():
        plan_id = store.create(conn, actor.street_code, name.strip(), note, account["id"])
        created(conn, actor.street_code, account, plan_id, name.strip())
    return plan_id


def created(conn, street_code: str, account: dict, plan_id: int, name: str, source=None) -> None:
    """The audit line of a new plan (a copy says of which), in the transaction that makes it."""
    copied = f"，复制自方案 {source}" if source is not None else ""
    audit.record(
        conn, street_code, "plan_created", account, detail=f"方案 {plan_id}「{name}」{copied}"
    )


def plan(conn, scope: Scope, plan_id: int) -> dict:
    found = store.get(conn, scope.street_code, plan_id)
    if found is None:
        raise NotFound(f"方案 {plan_id} 不存在")
    return found


def draft(conn, scope: Scope, plan_id: int, village_code: str, at=None) -> Draft:
    """The village's draft in the plan: its latest revision, else the division in force."""
    at = at or clock.now()
    plan(conn, scope, plan_id)
    division = areas.in_force(conn, scope.street_code, at)
    if division is None:
        raise NotFound("街道目前没有生效的网格划分")
    village = store.village_in_force(conn, division["id"], village_code)
    if village is None:
        raise NotFound(f"现行区划中没有村（社区）{village_code}")
    latest = store.latest(conn, scope.street_code, plan_id, village_code)
    if latest is None:
        grids = store.division_grids(conn, scope, division["id"], village_code, at)
        units = store.division_units(conn, division["id"], village_code)
        saved = (0, None, None)
    else:
        n = latest["revision"]
        grids = store.grids_of(conn, scope.street_code, plan_id, village_code, n)
        units = store.units_of(conn, scope.street_code, plan_id, village_code, n)
        saved = (n, latest["saved_by"], latest["saved_at"])
    return Draft(
        plan_id,
        {k: village[k] for k in ("code", "name", "kind", "package_area_code")},
        shapely.from_wkb(bytes(village["wkb"])),
        saved[0],
        [{"code": g["code"], "name": g["name"], "members": list(g["members"])} for g in grids],
        _frame(units),
        saved[1],
        saved[2],
    )


def _frame(rows: list[dict]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows, columns=[*UNIT_COLUMNS, "wkb"])
    frame["split_from"] = pd.Series(
        [store.text_or_none(v) for v in frame["split_from"]], index=frame.index, dtype=object
    )
    geometry = from_wkb(frame.pop("wkb")) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=4326)


def check(d: Draft, counts: dict[str, dict], names: dict[int, str], r: Rules):
    """Every problem of the draft, and its live table (gridmap.planner.check)."""
    units = d.units.assign(incidents=[counts.get(c, {}) for c in d.units["code"]])
    grids = {
        g["code"]: {"name": g["name"], "members": [names.get(p, str(p)) for p in g["members"]]}
        for g in d.grids
    }
    return plancheck.check_village(
        d.edge, units, grids, r.band(d.village["kind"]), r.tolerance, r.weights
    )


def suggest(d: Draft, counts: dict[str, dict], r: Rules) -> rebalance.Suggestion:
    """The suggested rebalance of the draft's units among its grids. A grid with no unit yet
    cannot take one (a move goes to a neighbouring grid): the planner paints one in first."""
    used = set(d.units["grid_code"])
    empty = [g["name"] for g in d.grids if g["code"] not in used]
    if empty:
        raise BadInput(
            f"网格「{'」「'.join(empty)}」还没有单元：请先涂入至少一个单元，再用建议调整"
        )
    work = np.array(
        [
            u.households + sum(r.weights.get(k, 1.0) * n for k, n in counts.get(u.code, {}).items())
            for u in d.units.itertuples(index=False)
        ],
        dtype=float,
    )
    adjacent = rebalance.neighbours(d.units.geometry.values)
    return rebalance.suggest(work, d.units["grid_code"].tolist(), adjacent, r.tolerance)


def save(conn, actor: Actor, base: Draft, new: Draft, r: Rules):
    """Store ``new`` as the revision after ``base``'s; returns (revision, check)."""
    account, scope = author(actor, "edit_plan"), actor.scope
    names = store.people(conn, scope, {p for g in new.grids for p in g["members"]})
    unknown = sorted({p for g in new.grids for p in g["members"]} - set(names))
    if unknown:
        raise BadInput(f"人员编号 {unknown} 不存在，未保存")
    counts = workload.of_draft(
        conn, scope, new, workload.of_village(conn, scope, new.village["code"])
    )
    result = check(new, counts, names, r)
    refused = [p for p in result.problems if p.kind in REFUSED]
    if refused:
        raise BadInput(
            "方案未保存：" + "；".join(p.message for p in refused[:10]),
            details=problems_json(refused),
        )
    village, n = new.village["code"], base.revision
    try:
        with refusals(), conn.transaction():
            latest = store.latest(conn, scope.street_code, new.plan_id, village)
            if (latest["revision"] if latest else 0) != n:
                raise stale(latest, n)
            store.insert_revision(
                conn,
                scope.street_code,
                new.plan_id,
                village,
                n + 1,
                account["id"],
                describe(base, new),
                new.grids,
                new.units,
            )
    except psycopg.errors.UniqueViolation:
        raise stale(store.latest(conn, scope.street_code, new.plan_id, village), n) from None
    return n + 1, result


def stale(latest: dict, base: int) -> Conflict:
    when = latest["saved_at"].astimezone(clock.LOCAL).strftime("%Y-%m-%d %H:%M")
    return Conflict(
        f"未保存：您的修改基于第 {base} 版，而 {latest['saved_by']} 已于 {when} 保存了第 "
        f"{latest['revision']} 版（{latest['summary'] or '无说明'}）。请重新打开该村的方案，"
        "在最新版本上修改。",
        details={k: str(v) for k, v in latest.items()},
    )


def describe(base: Draft, new: Draft) -> str:
    """What a save changed, in a planner's words (shown to whoever finds their save stale)."""
    before = dict(zip(base.units["code"], base.units["grid_code"], strict=True))
    after = dict(zip(new.units["code"], new.units["grid_code"], strict=True))
    moved = sum(1 for c, g in after.items() if c in before and before[c] != g)
    split = sum(1 for c in after if c not in before)
    old_grids = {g["code"]: g["members"] for g in base.grids}
    new_grids = {g["code"]: g["members"] for g in new.grids}
    created, retired = set(new_grids) - set(old_grids), set(old_grids) - set(new_grids)
    members = sum(1 for c, m in new_grids.items() if c in old_grids and old_grids[c] != m)
    shapes = dict(zip(base.units["code"], base.units.geometry, strict=True))
    redrawn = sum(
        1
        for c, g in zip(new.units["code"], new.units.geometry, strict=True)
        if c in shapes and not shapely.equals(g, shapes[c])
    )
    parts = [
        f"移动 {moved} 个单元" if moved else "",
        f"新建网格 {len(created)} 个" if created else "",
        f"撤销网格 {len(retired)} 个" if retired else "",
        f"调整 {members} 个网格的网格员" if members else "",
        f"重画 {redrawn} 个单元边界" if redrawn else "",
        f"分割出 {split} 个新单元" if split else "",
    ]
    return "，".join(p for p in parts if p) or "未改动"


def problems_json(problems) -> list[dict]:
    return [
        {
            "kind": p.kind,
            "message": p.message,
            "grid": p.grid,
            "units": list(p.units),
            "geometry": shapely.geometry.mapping(p.geometry) if p.geometry is not None else None,
        }
        for p in problems
    ]
