"""The street overview page: package areas, villages and grids, and who answers for each."""

from __future__ import annotations

import shapely
from flask import Blueprint, current_app, render_template, request

import layers
from gridmap.core.errors import NotFound
from gridmap.data import areas, streets
from gridmap.store import db
from gridmap.web import access, mapping
from gridmap.web.api import parse_at

bp = Blueprint("overview", __name__)


@bp.get("/")
@access.requires("see_map")
def street_map():
    street_code = current_app.config["STREET_CODE"]
    at = parse_at(request.args.get("at"))
    with db.connection() as conn:
        street = streets.get(conn, street_code)
        division = areas.in_force(conn, street_code, at) if street else None
        if division is None:
            raise NotFound(
                f"街道 {street_code} 在 {at:%Y-%m-%d} 没有生效的网格划分。"
                "请先运行 gridmap demo 载入示意数据，或由规划人员发布划分。"
            )
        pas = areas.package_areas(conn, division["id"], at)
        vills = areas.villages(conn, division["id"])
        grid_rows = areas.grids(conn, division["id"], at)
    colours = {
        pa["code"]: layers.common.PALETTE[i % len(layers.common.PALETTE)]
        for i, pa in enumerate(pas)
    }
    m = mapping.new_map(current_app.config, _bounds(pas))
    layers.REGISTRY["grids"].build(grid_rows, colours).add_to(m)
    layers.REGISTRY["villages"].build(vills).add_to(m)
    layers.REGISTRY["package_areas"].build(pas, colours).add_to(m)
    summary = _summary(pas, vills, grid_rows, colours)
    return render_template(
        "overview.html",
        street=street,
        division=division,
        at=at,
        map=mapping.components(m),
        summary=summary,
    )


def _bounds(pas: list[dict]) -> list[list[float]]:
    geoms = [shapely.from_geojson(p["geojson"]) for p in pas]
    west, south, east, north = shapely.total_bounds(geoms)
    return [[south, west], [north, east]]


def _summary(pas, vills, grid_rows, colours) -> list[dict]:
    out = []
    for pa in pas:
        g = [r for r in grid_rows if r["package_area_code"] == pa["code"]]
        out.append(
            {
                "name": pa["name"],
                "leader": pa["leader_with_title"] or "（空缺）",
                "colour": colours[pa["code"]],
                "villages": sum(1 for v in vills if v["package_area_name"] == pa["name"]),
                "grids": len(g),
                "households": sum(r["households"] for r in g),
            }
        )
    return out
