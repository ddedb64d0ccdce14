"""Composing a Folium map for a page: base tiles, registered layers, local assets only."""

from __future__ import annotations

import functools

import branca.element
import folium
import jinja2
from flask import url_for
from markupsafe import Markup

from gridmap.web import basemap, offline

# branca compiles the Jinja template of every element made with a template string, each time
# one is made (branca.element.Element.__init__): a map page made ~40 such elements and spent a
# quarter of its server time compiling the same few sources again. A compiled template is
# immutable and renders safely from any thread, so one per source is kept (branca 0.8).
branca.element.Template = functools.lru_cache(maxsize=512)(jinja2.Template)


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
