"""Base-map tiles from settings: none, Tianditu (with a key), any XYZ template, or the street's
own MBTiles or PMTiles file, served by gridmap itself (gridmap/web/tiles.py).

On a government intranet there is often no tile server at all; the map then shows the
boundaries on a plain background and works just the same. A street that has its base map as a
file names it in ``TILES`` and every map page (center, phone, planner, overview) draws it with
no request leaving the machine.
"""

from __future__ import annotations

import html

import folium
from flask import Flask, current_app, url_for

from gridmap.core.errors import ConfigError
from gridmap.geo import tilefiles

TIANDITU = (
    "http://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
MAX_ZOOM = 18  # the maps' own deepest zoom (gridmap.web.mapping)
EXTENSION = "gridmap.tiles"


def init_app(app: Flask) -> None:
    """Open the street's tile file, if ``TILES`` names one: a missing or unreadable file stops
    gridmap from starting, with the reason in words."""
    setting = str(app.config.get("TILES") or "")
    if tilefiles.names_file(setting):
        path = tilefiles.path_of(setting, app.config["INSTANCE_DIR"])
        app.extensions[EXTENSION] = tilefiles.TileSource(path)


def source() -> tilefiles.TileSource | None:
    """The street's tile file of this app (None: ``TILES`` names none)."""
    return current_app.extensions.get(EXTENSION)


def add_tiles(m: folium.Map, config: dict) -> None:
    setting = (config["TILES"] or "none").strip()
    if setting == "none":
        return
    if setting == "tianditu":
        key = config["TIANDITU_KEY"]
        if not key:
            raise ConfigError("底图设为天地图，但没有设置天地图密钥 GRIDMAP_TIANDITU_KEY。")
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                tiles=TIANDITU.format(s="{s}", layer=layer, key=key),
                attr="天地图",
                name=name,
                subdomains="01234567",
                max_zoom=MAX_ZOOM,
                overlay=(layer == "cva"),
            ).add_to(m)
        return
    if tilefiles.names_file(setting):
        _add_file(m, config)
        return
    if "{z}" not in setting or "{x}" not in setting or "{y}" not in setting:
        raise ConfigError(
            f"底图设置无法识别：{setting!r}（可为 none、tianditu、含 {{z}}/{{x}}/{{y}} 的"
            "地址，或 .mbtiles/.pmtiles 底图文件的路径）"
        )
    folium.TileLayer(
        tiles=setting,
        attr=config["TILES_ATTRIBUTION"] or "底图",
        name="底图",
        max_zoom=MAX_ZOOM,
    ).add_to(m)


def _add_file(m: folium.Map, config: dict) -> None:
    """The street's file as a layer: its own zoom levels (deeper zooms enlarge its deepest
    tiles), its own bounds (no request for a tile it cannot have) and its attribution."""
    held = source()
    if held is None:  # an app built before the setting changed
        raise ConfigError("底图文件尚未打开：请重新启动 gridmap。")
    meta = held.current().meta
    west, south, east, north = meta.bounds
    # Leaflet sets the attribution as HTML: the file's own words are shown as text.
    attribution = config["TILES_ATTRIBUTION"] or html.escape(meta.attribution) or "底图"
    folium.TileLayer(
        tiles=url_template(meta.version),
        attr=attribution,
        name="底图",
        max_zoom=MAX_ZOOM,
        max_native_zoom=min(meta.max_zoom, MAX_ZOOM),
        min_native_zoom=meta.min_zoom,
        bounds=[[south, west], [north, east]],
    ).add_to(m)


def url_template(version: str) -> str:
    """``/tiles/{z}/{x}/{y}?v=…``: the file's version in every address, so a tile once fetched
    never needs asking again, and a replaced file is fetched anew."""
    sample = url_for("tiles.tile", z=0, x=0, y=0, v=version)
    return sample.replace("/0/0/0?", "/{z}/{x}/{y}?", 1)
