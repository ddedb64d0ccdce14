"""The street overview page: package areas, villages and grids, and who answers for each."""

from __future__ import annotations

import shapely
from flask import Blueprint, current_app, render_template, request

import layers
from gridmap.center import service as center_service
from gridmap.core import params
from gridmap.store import db
from gridmap.web import access, mapping, users

bp = Blueprint("overview", __name__)


@bp.get("/")
@access.requires("see_map")
def street_map():
    at = params.moment(request.args, "at", "时间")
    with db.connection() as conn:
        shown = center_service.division_in_force(conn, users.actor(), at)
    pas, vills, grid_rows = shown["package_areas"], shown["villages"], shown["grids"]
    street, division, at = shown["street"], shown["division"], shown["at"]
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
