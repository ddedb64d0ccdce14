"""The JSON API (for maps, phones and other systems)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, request

from gridmap import coords, db
from gridmap.clock import LOCAL
from gridmap.errors import BadInput
from gridmap.locate import locate

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/locate")
def locate_point():
    """``GET /api/locate?lon=..&lat=..[&at=ISO-date][&crs=gcj02]``."""
    if "lon" not in request.args or "lat" not in request.args:
        raise BadInput("请提供经度 lon 和纬度 lat，例如 /api/locate?lon=113.838&lat=30.4417")
    lon, lat = coords.parse_lonlat(request.args["lon"], request.args["lat"])
    if request.args.get("crs", "wgs84") == "gcj02":
        x, y = coords.gcj02_to_wgs84([lon], [lat])
        lon, lat = float(x[0]), float(y[0])
    elif request.args.get("crs", "wgs84") != "wgs84":
        raise BadInput("crs 只能是 wgs84 或 gcj02")
    at = parse_at(request.args.get("at"))
    with db.connection() as conn:
        return locate(
            conn,
            current_app.extensions["gridmap.placement"],
            current_app.config["STREET_CODE"],
            lon,
            lat,
            at,
        )


def parse_at(text: str | None) -> datetime:
    """An ISO date or date-time; without a zone it is Beijing time. Default: now."""
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace(" ", "T"))
    except ValueError:
        raise BadInput(f"时间格式无法识别：{text!r}，请用 2023-05-01 或 2023-05-01T08:30") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL)
    return value
