"""Composing a Folium map for a page: base tiles, registered layers, local assets only."""

from __future__ import annotations

import folium
from flask import url_for
from markupsafe import Markup

from gridmap.web import basemap, offline


def new_map(config: dict, bounds: list[list[float]]) -> folium.Map:
    """An empty map fitted to ``bounds`` ([[south, west], [north, east]])."""
    # Without tiles Folium does not pass max_zoom to Leaflet; clustering layers need it.
    m = folium.Map(tiles=None, max_zoom=18, min_zoom=8, maxZoom=18)
    basemap.add_tiles(m, config)
    m.fit_bounds(bounds)
    return m


def components(m: folium.Map, collapsed: bool = False, control: bool = True) -> dict[str, Markup]:
    """The map's header, body and script, with every asset served by gridmap itself (and a
    layer control, unless the page draws its own layers)."""
    if control:
        folium.LayerControl(collapsed=collapsed).add_to(m)
    offline.localize(m, lambda path: url_for("static", filename=path))
    root = m.get_root()
    root.render()
    return {
        "header": Markup(root.header.render()),
        "body": Markup(root.html.render()),
        "script": Markup(root.script.render()),
        "map_name": m.get_name(),
    }
