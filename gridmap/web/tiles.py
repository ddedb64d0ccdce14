"""The street's base-map tiles, from the MBTiles or PMTiles file named in ``TILES``.

Tiles are not personal data, but a street's base map is often a licensed surveying product
(测绘成果) that may not be handed to anyone on the network, so they are served like the map
pages, to a signed-in account that may see a map (``see_map``). Each address carries the
file's version (gridmap/web/basemap.py), so a browser keeps a tile for a year and never asks
twice; the phone page's service worker leaves tiles to that cache (static/field-sw.js keeps
only the page, its assets and its lists), so tiles once seen are there without a network too.
A tile the file does not hold is an empty answer (204), cached as long, and Leaflet shows the
plain background there.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.http import parse_set_header

from gridmap.core.errors import NotFound
from gridmap.geo import tilefiles
from gridmap.web import access, basemap

bp = Blueprint("tiles", __name__)

LONG = "private, max-age=31536000, immutable"  # the address names the file's version
SHORT = "private, no-cache"  # an old or missing version: ask again, with the ETag


class TileResponse(Response):
    """A tile is the same for everyone who may see it. Flask names the session cookie in
    ``Vary`` after the view (every request reads the session), and that cookie is signed anew
    at every request: a browser that honours it would ask again for every tile it holds, and
    show none offline. So the cookie is left out of ``Vary`` as the answer is sent."""

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        kept = [v for v in parse_set_header(headers.get("Vary")) if v.lower() != "cookie"]
        if kept:
            headers["Vary"] = ", ".join(kept)
        else:
            headers.pop("Vary", None)
        return headers


@bp.get("/tiles/<int:z>/<int:x>/<int:y>")
@access.requires("see_map")
def tile(z: int, x: int, y: int):
    held = basemap.source()
    if held is None:
        raise NotFound("本系统没有设置底图文件。")
    found = held.current()
    meta = found.meta
    data = found.tile(z, x, y)
    if data is None:
        answer = TileResponse(status=204)
        del answer.headers["Content-Type"]
    else:
        answer = TileResponse(data, mimetype=tilefiles.media_type(data, meta.format))
    answer.set_etag(f"{meta.version}-{z}-{x}-{y}")
    answer.headers["Cache-Control"] = LONG if request.args.get("v") == meta.version else SHORT
    return answer.make_conditional(request)
