"""The planner's JSON API: one village of a plan, read, checked, balanced, cut and saved.

The page sends the whole draft of the village (its grids and every unit's grid, and the shape
of each unit it redrew or cut) with every call; the server reads it against the revision it
was based on (gridmap.planner.body.content) and checks it again (gridmap.planner.check). Nothing
the browser computed is trusted, and nothing is stored but by ``save``. Every POST carries the
session's CSRF token (header X-CSRFToken); every error is JSON with a Chinese message.
"""

from __future__ import annotations

import time

import shapely
from flask import Blueprint, current_app, request

from gridmap.core import params
from gridmap.core.errors import BadInput
from gridmap.planner import body as plan_body
from gridmap.planner import pages, plans, unitedit, workload
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("planner_api", __name__, url_prefix="/api/plans")
COUNTS_SECONDS = 60  # incidents of the last 12 months, per village: a minute old is fine


def _body() -> dict:
    return params.json_object(request.get_json(silent=True))


def _street() -> str:
    return users.scope().street_code


def _counts(conn, village: str) -> dict:
    """The village's incidents by unit, read at most once a minute (a check runs per click)."""
    kept = current_app.extensions.setdefault("gridmap.plan_counts", {})
    now = time.monotonic()
    key = (_street(), village)
    if key not in kept or now - kept[key][0] > COUNTS_SECONDS:
        kept[key] = (now, workload.of_village(conn, users.scope(), village))
    return kept[key][1]


def _rules() -> plans.Rules:
    return plans.rules(current_app.config)


def _read(conn, plan_id: int, village: str, body: dict):
    """The draft the page started from, and what it sends now."""
    base = plans.draft(conn, users.scope(), plan_id, village)
    sent = body.get("base")
    if not isinstance(sent, int) or isinstance(sent, bool) or sent < 0:
        raise BadInput("缺少所依据的版本号（base）")
    if sent != base.revision:  # the page is behind: say so now (save checks it again)
        if base.revision == 0:
            raise BadInput(f"该村在此方案中还没有第 {sent} 版")
        raise plans.stale(pages.latest(conn, users.actor(), plan_id, village), sent)
    return base, plan_body.content(base, body)


def _answer(conn, d: plans.Draft, extra: dict | None = None) -> dict:
    names = pages.names_of(conn, users.actor(), {p for g in d.grids for p in g["members"]})
    counts = workload.of_draft(conn, users.scope(), d, _counts(conn, d.village["code"]))
    result = plans.check(d, counts, names, _rules())
    return {
        "table": result.grids,
        "problems": plans.problems_json(result.problems),
        "blocking": any(p.kind in plans.BLOCKING for p in result.problems),
        **(extra or {}),
    }


@bp.get("/<int:plan_id>/villages/<village>")
@access.requires("see_plans")
def village_draft(plan_id: int, village: str):
    """The village's draft: grids, units as GeoJSON, the table, problems, and the people who
    may be named grid members."""
    with db.connection() as conn:
        d = plans.draft(conn, users.scope(), plan_id, village)
        features = [
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(u.geometry),
                "properties": {
                    "code": u.code,
                    "name": u.name,
                    "kind": u.kind,
                    "households": int(u.households),
                    "population": int(u.population),
                    "grid": u.grid_code,
                    "split_from": plans.text_or_none(u.split_from),  # never NaN: not JSON
                },
            }
            for u in d.units.itertuples(index=False)
        ]
        people = [
            {
                "id": p["id"],
                "name": p["name"],
                "duties": p["duties"] or "",
                "local": p["local"],
                "free": p["free"],
            }
            for p in pages.members_to_name(conn, users.actor(), village)
        ]
        return _answer(
            conn,
            d,
            {
                "plan": plans.plan(conn, users.scope(), plan_id)["name"],
                "village": d.village,
                "edge": shapely.geometry.mapping(d.edge),
                "revision": d.revision,
                "saved_by": d.saved_by,
                "saved_at": d.saved_at.isoformat() if d.saved_at else None,
                "grids": d.grids,
                "units": {"type": "FeatureCollection", "features": features},
                "people": people,
                "band": vars(_rules().band(d.village["kind"])),
                "tolerance": _rules().tolerance,
            },
        )


@bp.post("/<int:plan_id>/villages/<village>/check")
@access.requires("edit_plan")
def check(plan_id: int, village: str):
    """The table and every problem of what the page holds now; stores nothing."""
    with db.connection() as conn:
        _, new = _read(conn, plan_id, village, _body())
        return _answer(conn, new)


@bp.post("/<int:plan_id>/villages/<village>/save")
@access.requires("edit_plan")
def save(plan_id: int, village: str):
    with db.connection() as conn:
        base, new = _read(conn, plan_id, village, _body())
        revision, _ = plans.save(conn, users.actor(), base, new, _rules())
        return _answer(conn, new, {"revision": revision})


@bp.post("/<int:plan_id>/villages/<village>/suggest")
@access.requires("edit_plan")
def suggest(plan_id: int, village: str):
    """A suggested rebalance: each unit's grid after the fewest moves found (not applied)."""
    with db.connection() as conn:
        _, new = _read(conn, plan_id, village, _body())
        counts = workload.of_draft(conn, users.scope(), new, _counts(conn, village))
        found = plans.suggest(new, counts, _rules())
        codes = new.units["code"].tolist()
        return {
            "assignment": dict(zip(codes, found.assignment, strict=True)),
            "moves": [
                {"unit": codes[m.unit], "from": m.from_grid, "to": m.to_grid} for m in found.moves
            ],
            "within": found.within,
        }


@bp.post("/<int:plan_id>/villages/<village>/cut")
@access.requires("edit_plan")
def cut(plan_id: int, village: str):
    """Cut one unit of the page's draft in two along a drawn line (gridmap.planner.unitedit)."""
    body = _body()
    with db.connection() as conn:
        base, new = _read(conn, plan_id, village, body)
        chosen = body.get("unit")
        rows = new.units[new.units["code"] == chosen] if isinstance(chosen, str) else ()
        if len(rows) == 0:
            raise BadInput("请选择要分割的单元")
        unit = rows.iloc[0].to_dict()
        taken = set(new.units["code"]) | set(base.units["code"])
        taken |= pages.unit_codes_ever(conn, users.actor(), village)
        others = new.units[new.units["code"] != unit["code"]]
        parts, touched = unitedit.cut(
            unit,
            body.get("line") or [],
            body.get("households"),
            body.get("population"),
            taken,
            dict(zip(others["code"], others.geometry, strict=True)),
        )
        return {
            "neighbours": {c: shapely.geometry.mapping(g) for c, g in touched.items()},
            "parts": [
                {
                    **{k: v for k, v in p.items() if k != "geometry"},
                    "geometry": shapely.geometry.mapping(p["geometry"]),
                }
                for p in parts
            ],
        }
