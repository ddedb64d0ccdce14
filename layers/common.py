"""Helpers the layers share: escaping, and the one way user text reaches a Folium page.

Names, codes and titles are typed by people (administrators, planners, grid members), so every
piece of text a layer shows is escaped for HTML here, in Python (:func:`esc`, :func:`table`),
and then travels as *data*: a property of a GeoJSON feature (``popup``, ``tooltip``) that
Folium writes into the page as JSON, and that :data:`BIND` hands to Leaflet's ``bindPopup`` /
``bindTooltip`` in the browser. gridmap's own scripts take a JSON value the same way: the
legend's HTML (``|tojson``); the incidents layer builds its popups from the data of
``/api/map/incidents``, setting every value as text.

Layers never pass text to ``folium.Popup``, ``folium.Tooltip`` or a ``popup=``/``tooltip=``
argument: Folium writes those into JavaScript template strings (``$(`...`)``), where HTML
escaping leaves ``${...}`` and a backslash before a backtick alive, so a person's name could
run script for everyone who opens the map (tests/test_layer_escaping.py keeps it that way).
"""

from __future__ import annotations

import json
from html import escape

import folium
from folium.utilities import JsCode

# Colours of package areas (片区), distinguishable on screen and in print.
PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
]


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def table(rows: list[tuple[str, object]]) -> str:
    cells = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="gm-popup">{cells}</table>'


# Binds each feature's escaped HTML, read from its properties at run time: the text is never
# part of any script Folium writes.
BIND = JsCode("""
function (feature, layer) {
    var p = feature.properties;
    if (p.popup) { layer.bindPopup(p.popup, p.popup_options || {maxWidth: 360}); }
    if (p.tooltip) { layer.bindTooltip(p.tooltip, p.tooltip_options || {}); }
}
""")


def geojson(
    features: list[dict],
    name: str,
    style: dict | None = None,
    highlight: dict | None = None,
    marker: folium.Marker | None = None,
) -> folium.GeoJson:
    """One GeoJSON layer whose features carry escaped ``popup``/``tooltip`` HTML.

    Features are numbered (``id``) so that Folium keys its style switch on the number; left to
    itself it would pick the first property whose values are unique, often the popup HTML.
    ``marker`` draws point features (its icon, with no popup or tooltip of its own).
    """
    numbered = [{**f, "id": i} for i, f in enumerate(features)]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": numbered},
        name=name,
        style_function=(lambda f: {**style, **f["properties"].get("style", {})}) if style else None,
        highlight_function=(lambda f: highlight) if highlight else None,
        marker=marker,
        on_each_feature=BIND,
    )


def geojson_layer(
    features: list[dict], name: str, style: dict, highlight: dict | None = None, show: bool = True
) -> folium.FeatureGroup:
    """A feature group holding one GeoJSON layer whose features carry escaped popup HTML."""
    group = folium.FeatureGroup(name=name, show=show)
    geojson(features, name, style, highlight).add_to(group)
    return group


def feature(geojson: str, properties: dict) -> dict:
    return {"type": "Feature", "geometry": json.loads(geojson), "properties": properties}


def point(lat: float, lon: float, properties: dict) -> dict:
    geometry = {"type": "Point", "coordinates": [lon, lat]}
    return {"type": "Feature", "geometry": geometry, "properties": properties}
