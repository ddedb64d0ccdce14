"""The JSON API (for maps, phones and other systems)."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, request

from gridmap.center import service as center_service
from gridmap.core import clock, coords, params
from gridmap.core.errors import BadInput
from gridmap.geo.locate import locate
from gridmap.store import db
from gridmap.web import access, users
from layers import incidents as incident_layer

bp = Blueprint("api", __name__, url_prefix="/api")
CRS = coords.SYSTEMS


@bp.get("/locate")
@access.requires("locate")
def locate_point():
    """``GET /api/locate?lon=..&lat=..[&at=ISO-date][&crs=gcj02|bd09]``."""
    lon, lat = params.single(request.args, "lon"), params.single(request.args, "lat")
    if not lon or not lat:
        raise BadInput("请提供经度 lon 和纬度 lat，例如 /api/locate?lon=113.838&lat=30.4417")
    lon, lat = coords.parse_lonlat(lon, lat)
    crs = params.choice(request.args, "crs", "坐标系 crs", CRS, "wgs84")
    x, y = coords.to_wgs84([lon], [lat], crs)
    lon, lat = float(x[0]), float(y[0])
    at = params.moment(request.args, "at", "时间") or clock.now()
    with db.connection() as conn:
        return locate(
            conn,
            current_app.extensions["gridmap.placement"],
            current_app.config["STREET_CODE"],
            lon,
            lat,
            at,
        )


LAYERS = {"grids": "网格，默认", "cells": "500 米格网中显著的格子"}


@bp.get("/hotspots")
@access.requires("see_incidents")
def hotspots():
    """Hot and cold spots per grid (or per fishnet cell, ``layer=cells``) as GeoJSON, for the
    same filters as the governance center's page."""
    layer = params.choice(request.args, "layer", "图层 layer", LAYERS, "grids")
    with db.connection() as conn:
        f, result = center_service.hotspots(
            conn, _analyst(), users.actor(), request.args, cells=(layer == "cells")
        )
    narrowed = center_service.narrowed(result.grids, f)
    rows = narrowed if layer == "grids" else result.cells
    keep = ["code", "name", "count", "z", "p", "gi_bin"]
    if layer == "grids":
        keep += [
            "village_name",
            "package_area_name",
            "leader",
            "households",
            "rate",
            "q",
            "category",
            "category_name",
            "trend_z",
            "trend_p",
        ]
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(r["geojson"]),
            "properties": {k: r[k] for k in keep},
        }
        for r in rows.to_dict("records")
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "division": {"id": result.division["id"], "name": result.division["name"]},
        "period": {"from": f.date_from.isoformat(), "to": f.date_to.isoformat()},
        "total": int(narrowed["count"].sum()) if len(narrowed) else 0,
    }


@bp.get("/map/incidents")
@access.requires("see_incidents")
def incidents_in_view():
    """Incidents in a map view (``bbox=west,south,east,north``, ``zoom``) for the same filters.

    Zoomed out: counts per grid. Zoomed in: the incidents themselves, as data (the page builds
    their popups), with the people who answered for each; or, when the view still holds too
    many, counts per small square.
    """
    bbox = params.parse_bbox(params.single(request.args, "bbox"))
    zoom = params.integer(request.args, "zoom", "缩放级别 zoom", 0, 24, center_service.DETAIL_ZOOM)
    with db.connection() as conn:
        return center_service.map_view(
            conn, users.actor(), request.args, bbox, zoom, incident_layer.item
        )


def _analyst():
    return current_app.extensions["gridmap.analyst"]
