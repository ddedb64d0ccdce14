"""我的网格: the grid member's phone page, for reporting (上报) and following up (跟进).

One page, at a phone's width: a map of the person's grids with their open incidents, the list
of those incidents by urgency, the report form, the outbox of reports not yet confirmed, and a
case's follow-up. The page renders what the JSON API (gridmap.web.incidents_api) answers; it
never receives markup from it. Its scripts keep every report on the device (IndexedDB) until the
server confirms it, and a service worker (``/field/sw.js``, scope ``/field/``) keeps the page and
its assets so that it opens with no network at all.
"""

from __future__ import annotations

from pathlib import Path

import shapely
from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

import layers
from gridmap.center import service as center_service
from gridmap.store import db
from gridmap.web import access, mapping, reference, users

bp = Blueprint("field", __name__, url_prefix="/field")


@bp.get("/")
@access.requires("use_field_page")
def page():
    scope = users.scope()
    with db.connection() as conn:
        shown = center_service.my_grids(conn, users.actor())
        ref = reference.of(conn)
    street, mine = shown["street"], shown["grids"]
    m = mapping.new_map(current_app.config, _bounds(mine))
    colours = {r["package_area_code"]: "#8b1a1a" for r in mine}
    layers.REGISTRY["grids"].build(mine, colours, popups=False).add_to(m)  # a tap drops a pin
    kinds = [
        {
            "code": code,
            "name": name,
            "categories": [
                {"code": c, "name": n}
                for (k, c), n in sorted(ref["categories"].items())
                if k == code
            ],
        }
        for code, name in ref["kinds"].items()
    ]
    setup = {
        "user": current_user.username,
        "kinds": kinds,
        "max_accuracy_m": float(current_app.config["PIN_MAX_ACCURACY_M"]),
        "photo_max_bytes": int(current_app.config["PHOTO_MAX_BYTES"]),
    }
    return render_template(
        "field.html",
        street=street,
        scope=scope,
        map=mapping.components(m, collapsed=True),
        setup=setup,
    )


@bp.get("/csrf")
@access.requires("use_field_page")
def csrf():
    """A fresh CSRF token for the outbox: a page opened from the device's cache may carry a
    token that is no longer good."""
    return {"csrf": generate_csrf()}


@bp.get("/sw.js")
@access.public
def service_worker():
    """The service worker, served from /field/ so that its scope is the phone page. It holds no
    personal data and is public, so that it can update itself after the session has ended."""
    script = (Path(current_app.static_folder) / "field-sw.js").read_bytes()
    return Response(script, mimetype="text/javascript", headers={"Cache-Control": "no-cache"})


def _bounds(rows: list[dict]) -> list[list[float]]:
    west, south, east, north = shapely.total_bounds(
        [shapely.from_geojson(r["geojson"]) for r in rows]
    )
    return [[south, west], [north, east]]
