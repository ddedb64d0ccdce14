"""Helpers the layers share: escaping and a GeoJSON layer bound to pre-escaped HTML."""

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


BIND = JsCode("""
function (feature, layer) {
    if (feature.properties.popup) { layer.bindPopup(feature.properties.popup, {maxWidth: 360}); }
    if (feature.properties.tooltip) {
        layer.bindTooltip(feature.properties.tooltip, feature.properties.tooltip_options || {});
    }
}
""")


def geojson_layer(
    features: list[dict], name: str, style: dict, highlight: dict | None = None, show: bool = True
) -> folium.FeatureGroup:
    """A feature group holding one GeoJSON layer whose features carry escaped popup HTML."""
    group = folium.FeatureGroup(name=name, show=show)
    collection = {"type": "FeatureCollection", "features": features}
    folium.GeoJson(
        collection,
        name=name,
        style_function=lambda f: {**style, **f["properties"].get("style", {})},
        highlight_function=(lambda f: highlight) if highlight else None,
        on_each_feature=BIND,
    ).add_to(group)
    return group


def feature(geojson: str, properties: dict) -> dict:
    return {"type": "Feature", "geometry": json.loads(geojson), "properties": properties}
