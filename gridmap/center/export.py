"""Print and export the center's view (打印与导出): what ``/center/`` shows for a query string,
gathered once, for a one-page A4 PDF or a PNG of the map and its panel (gridmap.center.printout)
and for tables of the incidents and of the hotspot grids (gridmap.center.sheets).

The view is read exactly as the page reads it: the same filters (current_filters), the same
analysis cut to the person's scope (analyse), the same grids narrowed to what was asked, and
the incidents of the same WHERE clause as the map's markers (gridmap.data.center.in_view).
Nothing of the parties is read: an export is a sheet people print, pass on and leave on desks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.center import filters as center_filters
from gridmap.center import service as center_service
from gridmap.center.analysis import Analyst
from gridmap.core import clock
from gridmap.data import areas
from gridmap.data import center as center_data

# Rows an export carries at most (incidents on the map and in the tables): a year of a street
# is about a thousand; beyond this a sheet is no longer read but searched, and the page's
# filters are the better tool. The export says when it was cut.
CAP = 10_000
# The map's markers are the incidents of the filters wherever they lie: the whole world as
# the "view" of in_view (the scope and the filters do the narrowing).
EVERYWHERE = (-180.0, -90.0, 180.0, 90.0)

# Each incident's light (gm_clock, migration repeatable/02) as the export colours and names
# it; a closed case is grey, an open case without a deadline has no light of its own.
LIGHTS = {
    "red": ("超期", "#d62728"),
    "yellow": ("临近期限", "#f0b400"),
    "green": ("期限内", "#2ca02c"),
    "closed": ("已办结", "#9a9a9a"),
    "none": ("无办理期限", "#5b7fa6"),
}
# How sure the analysis is that a grid is a hotspot (Gi_Bin 3, 2, 1), in words.
SURE = {3: "十分明显（99%）", 2: "明显（95%）", 1: "略有迹象（90%）"}
HOT_WORD = "高发"  # a significant hot spot, when the analysis gives no word of its own


@dataclass
class View:
    """One view of the center's page, ready to be drawn or tabulated."""

    street: dict
    filters: center_filters.Filters
    title: str
    scope_words: str  # whose view: 全街道, or the person's areas
    words: list[tuple[str, str]]  # the filters in words: (label, value)
    boundary: str  # the street's outline (GeoJSON) in the division in force
    villages: list[dict]  # the division's villages (code, name, geojson)
    ground: list[str]  # every grid of the division (GeoJSON): the map's ground
    grids: pd.DataFrame  # the grids of the scope asked about, with their statistics
    focus: list[str]  # outlines (GeoJSON) the map opens on
    incidents: list[dict]  # newest first, at most CAP
    truncated: bool  # more incidents matched than CAP
    hotspots: list[dict]  # significant hot spot grids, strongest first
    hotspot_note: str  # why the hotspot table is empty, if it is
    total: int  # incidents of the view (the analysis' count, or the rows when cut to units)
    printed_by: str
    printed_at: datetime

    def light_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(LIGHTS, 0)
        for row in self.incidents:
            counts[row["light_key"]] += 1
        return counts


def view(conn: psycopg.Connection, analyst: Analyst, actor: Actor, args) -> View:
    """The view ``/center/?<args>`` shows to ``actor``: refused in Chinese (BadInput) for bad
    filters, within the actor's scope for everything it reads."""
    policy.require(actor, "see_incidents")
    scope, now = actor.scope, clock.now()
    street = center_service.street(conn, scope.street_code)
    f, ref = center_service.current_filters(conn, scope, args)
    result = center_service.analyse(analyst, conn, scope, f, detail=False)
    division = result.division
    grids = center_service.narrowed(result.grids, f)
    villages = areas.villages(conn, division["id"])
    pas = areas.package_areas(conn, division["id"], result.at)
    shapes = areas.grid_shapes(conn, division["id"])
    names = {g["code"]: g["name"] for g in shapes}
    village_names = {v["code"]: v["name"] for v in villages}
    rows = center_data.in_view(conn, scope, f, now, EVERYWHERE, CAP + 1)
    incidents = [_incident(r, names, village_names) for r in rows[:CAP]]
    spots, note = _hotspots(grids, getattr(result, "too_few", False))
    by_unit = scope.by_unit and grids.empty
    return View(
        street=street,
        filters=f,
        title=f"{street['name']}网格化治理 · 事件与热点",
        scope_words=_scope_words(scope),
        words=_words(f, ref, pas, villages, scope),
        boundary=division["boundary"],
        villages=villages,
        ground=[g["geojson"] for g in shapes],
        grids=grids,
        focus=_focus(grids, villages, scope, f, incidents),
        incidents=incidents,
        truncated=len(rows) > CAP,
        hotspots=spots,
        hotspot_note=note,
        total=len(incidents) if by_unit else (int(grids["count"].sum()) if len(grids) else 0),
        printed_by=_who(actor),
        printed_at=now,
    )


def _incident(row: dict, grid_names: dict, village_names: dict) -> dict:
    """An incident as the export shows it: no description, nothing of its parties."""
    key = "closed" if row["is_final"] else (row["light"] or "none")
    return {
        "id": row["id"],
        "kind_name": row["kind_name"],
        "category_name": row["category_name"],
        "title": row["title"],
        "status_name": row["status_name"],
        "is_final": row["is_final"],
        "light_key": key,
        "light_name": LIGHTS[key][0],
        "days_left": row["days_left"],
        "occurred_at": row["occurred_at"],
        "due_at": row["due_at"],
        "village_code": row["village_code"],
        "village_name": village_names.get(row["village_code"], row["village_code"]),
        "grid_code": row["grid_code"],
        "grid_name": grid_names.get(row["grid_code"], row["grid_code"]),
        "lon": row["lon"],
        "lat": row["lat"],
    }


def _hotspots(grids: pd.DataFrame, too_few: bool) -> tuple[list[dict], str]:
    """The significant hot spot grids (Gi* after FDR, with at least one incident: an empty grid
    between busy ones can score hot), strongest first, each with its word and how sure."""
    if too_few:
        return [], "所选条件下事件太少，无法判断热点。"
    if grids.empty:
        return [], "所选范围内没有整网格的统计（热点按网格计算）。"
    hot = grids[(grids["gi_bin"] > 0) & (grids["count"] > 0)]
    hot = hot.sort_values(["gi_bin", "z", "count"], ascending=False)
    rows = []
    for r in hot.to_dict("records"):
        word = r.get("word") or HOT_WORD
        rows.append({**r, "word": word, "sure": SURE[int(r["gi_bin"])]})
    return rows, "" if rows else "所选条件下没有统计上显著的高发网格。"


def _scope_words(scope) -> str:
    return "全街道" if scope.whole else f"我的责任区：{scope.label or '无在任职务'}"


def _words(f, ref: dict, pas: list[dict], villages: list[dict], scope) -> list[tuple[str, str]]:
    """The filters as a person reads them, in the page's own words."""
    kinds = [ref["kinds"].get(k, k) for k in f.kinds]
    all_kinds = set(f.kinds) == set(center_filters.DEFAULT_KINDS)
    categories = sorted(
        {n for (k, c), n in ref["categories"].items() if c in f.categories and k in f.kinds}
    )
    place = "全街道" if scope.whole else f"我的责任区（{scope.label or '无在任职务'}）"
    if f.village:
        place = next((v["name"] for v in villages if v["code"] == f.village), f.village)
    elif f.package_area:
        place = next((p["name"] for p in pas if p["code"] == f.package_area), f.package_area)
    state = center_filters.STATES[f.state]
    return [
        ("时间", f"{f.date_from.isoformat()} 至 {f.date_to.isoformat()}（按发生时间）"),
        ("事件类型", "、".join(kinds) + ("（默认）" if all_kinds else "")),
        ("分类", "、".join(categories) if categories else "全部"),
        ("范围", place),
        ("办理状态", state + ("，只看超期" if f.overdue else "")),
    ]


def _focus(grids, villages, scope, f, incidents) -> list[str]:
    """What the map opens on: the grids asked about; for a scope of units (a group leader, who
    holds no whole grid) the villages their units lie in; else the villages asked about."""
    if len(grids):
        return list(grids["geojson"])
    wanted = {u[:12] for u in scope.areas.get("unit", ())} | {f.village} - {""}
    if not wanted:
        wanted = {i["village_code"] for i in incidents}
    return [v["geojson"] for v in villages if v["code"] in wanted]


def _who(actor: Actor) -> str:
    account = actor.account or {}
    name = account.get("person_name") or account.get("role_name") or ""
    username = account.get("username", "")
    return f"{name}（{username}）" if name and username else (name or username)
