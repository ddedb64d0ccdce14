"""The governance center's service: what its pages and the JSON API ask of the record.

The filters of a request and the analysis they ask for, the incidents of a map view, the street
and its areas as a page draws them, the chain's own figures. Shared by the center's page, the
JSON API, the street overview and the phone page, so that each shows the same figures for the
same question. Plain functions of their inputs: the actor (what the signed-in person may see),
the request's arguments, the reference data; no web objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.center import filters
from gridmap.center.analysis import Analysis, Analyst
from gridmap.core import clock, timewindow
from gridmap.core.errors import NotFound
from gridmap.data import areas, cases, lookups, streets, tally
from gridmap.data import center as center_data
from gridmap.data import incidents as incident_data

MARKER_LIMIT = 500  # more incidents than this in a view are shown as counts per square
DETAIL_ZOOM = 14  # below this zoom a view shows counts per grid


def current_filters(conn: psycopg.Connection, scope: Scope, args) -> tuple[filters.Filters, dict]:
    """The filters of a request's arguments, and the reference data they were checked against.
    The default period ends with the scope's newest incident, but never after today: one row
    dated in the future must not move every page's period there."""
    ref = incident_data.reference(conn)
    places = lookups.area_codes(conn, scope.street_code)
    newest = timewindow.not_after_today(center_data.newest_day(conn, scope) or timewindow.today())
    return filters.parse(args, ref, newest, places), ref


def analyse(
    analyst: Analyst,
    conn: psycopg.Connection,
    scope: Scope,
    f: filters.Filters,
    detail: bool = True,
) -> Analysis:
    """The street's statistics for ``f``, cut to what ``scope`` may see."""
    return analyst.analyse(conn, scope, f, clock.now(), detail=detail)


def narrowed(grids: pd.DataFrame, f: filters.Filters) -> pd.DataFrame:
    """The grids of the package area or village the view is narrowed to (what was asked)."""
    if f.village:
        return grids[grids["village_code"] == f.village]
    if f.package_area:
        return grids[grids["package_area_code"] == f.package_area]
    return grids


def street(conn: psycopg.Connection, street_code: str) -> dict:
    found = streets.get(conn, street_code)
    if found is None:
        raise NotFound(f"街道 {street_code} 没有数据。请先运行 gridmap demo 载入示意数据。")
    return found


@dataclass
class Page:
    """What the center's page draws: the analysis, the areas to outline, the legal resources,
    and, for a person of the chain, their own open and overdue cases. A scope of units (a
    group leader) holds no whole grid: its units are outlined instead, and its incidents
    counted from the incidents themselves (``units``, ``unit_total``)."""

    street: dict
    filters: filters.Filters
    reference: dict
    analysis: Analysis
    package_areas: list[dict]
    villages: list[dict]
    resources: list[dict]
    mine: dict | None
    units: list[dict] = field(default_factory=list)
    unit_total: int = 0


def page(conn: psycopg.Connection, analyst: Analyst, actor: Actor, args) -> Page:
    policy.require(actor, "see_incidents")
    scope, now = actor.scope, clock.now()
    found = street(conn, scope.street_code)
    f, ref = current_filters(conn, scope, args)
    result = analyse(analyst, conn, scope, f)
    mine = None
    if not scope.whole:
        mine = {
            "summary": cases.summary(conn, scope, now),
            "overdue": cases.open_cases(conn, scope, now, overdue=True, limit=20),
        }
    units, unit_total = [], 0
    if scope.by_unit:
        units = areas.units_of(conn, result.division["id"], scope)
        counts = tally.read(conn, "occurred", f.period, f, scope, by="grid", now=now)
        unit_total = sum(c["n"] for c in counts)
    return Page(
        found,
        f,
        ref,
        result,
        areas.package_areas(conn, result.division["id"], result.at),
        areas.villages(conn, result.division["id"]),
        center_data.resources(conn, scope, result.division["id"], result.at),
        mine,
        units,
        unit_total,
    )


def hotspots(conn: psycopg.Connection, analyst: Analyst, actor: Actor, args, cells: bool):
    """The filters and the analysis of ``/api/hotspots`` (the fishnet only when ``cells``)."""
    policy.require(actor, "see_incidents")
    f, _ref = current_filters(conn, actor.scope, args)
    return f, analyse(analyst, conn, actor.scope, f, detail=cells)


def map_view(
    conn: psycopg.Connection,
    actor: Actor,
    args,
    bbox: tuple[float, float, float, float],
    zoom: int,
    item,
) -> dict:
    """What a map view shows for the request's filters. Zoomed out: counts per grid. Zoomed in:
    the incidents themselves, as data (``item`` shapes each, with the people who answered for
    its place then); or, when the view still holds too many, counts per small square."""
    policy.require(actor, "see_incidents")
    scope, now = actor.scope, clock.now()
    f, _ref = current_filters(conn, scope, args)
    if zoom < DETAIL_ZOOM:
        counts = tally.read(
            conn, "occurred", f.period, f, scope, by="grid_position", now=now, bbox=bbox
        )
        return _bubbles("grids", counts)
    rows = center_data.in_view(conn, scope, f, now, bbox, MARKER_LIMIT + 1)
    if len(rows) > MARKER_LIMIT:
        cell = (bbox[2] - bbox[0]) / 24  # about two dozen squares across the view
        return _bubbles("squares", center_data.clusters_in_view(conn, scope, f, now, bbox, cell))
    people = center_data.people_of(conn, scope, [r["id"] for r in rows])
    items = [item(r, people.get(r["id"])) for r in rows]
    return {"mode": "incidents", "items": items, "total": len(items)}


def _bubbles(mode: str, counts: list[dict]) -> dict:
    items = [
        {"lat": c["lat"], "lon": c["lon"], "count": c["n"], "grid_code": c.get("grid_code")}
        for c in counts
    ]
    return {"mode": mode, "items": items, "total": sum(c["n"] for c in counts)}


def division_in_force(conn: psycopg.Connection, actor: Actor, at=None) -> dict:
    """The street, its division in force at ``at`` (now), and that division's areas: what the
    street overview and the phone page draw."""
    policy.require(actor, "see_map")
    at = at or clock.now()
    found = streets.get(conn, actor.street_code)
    division = areas.in_force(conn, actor.street_code, at) if found else None
    if division is None:
        raise NotFound(
            f"街道 {actor.street_code} 在 {at:%Y-%m-%d} 没有生效的网格划分。"
            "请先运行 gridmap demo 载入示意数据，或由规划人员发布划分。"
        )
    return {
        "street": found,
        "division": division,
        "at": at,
        "package_areas": areas.package_areas(conn, division["id"], at),
        "villages": areas.villages(conn, division["id"]),
        "grids": areas.grids(conn, division["id"], at),
    }


def my_grids(conn: psycopg.Connection, actor: Actor) -> dict:
    """The phone page's map: the street and the grids of the actor's scope in force now (a
    scope of units holds no whole grid: it is shown the street's grids)."""
    policy.require(actor, "use_field_page")
    now = clock.now()
    found = streets.get(conn, actor.street_code)
    division = areas.in_force(conn, actor.street_code, now) if found else None
    if division is None:
        raise NotFound(f"街道 {actor.street_code} 目前没有生效的网格划分，无法上报。")
    mine = areas.grids(conn, division["id"], now, actor.scope)
    return {"street": found, "grids": mine or areas.grids(conn, division["id"], now)}
