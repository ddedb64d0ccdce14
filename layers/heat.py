"""Kernel density of incidents as a heat layer (cell centres of a quartic-kernel raster)."""

from __future__ import annotations

from folium.plugins import HeatMap

from layers.legend import Legend

# Leaflet.heat's default gradient, from the lightest density shown to the peak.
GRADIENT = [("#0000ff", "低"), ("#00ffff", ""), ("#00ff00", ""), ("#ffff00", ""), ("#ff0000", "高")]


def legend(layer: HeatMap) -> Legend:
    return Legend("事件核密度（四次核，带宽 800 米）", GRADIENT, layer)


def build(cells: list[tuple[float, float, float]], show: bool = False) -> HeatMap:
    """``cells``: (lat, lon, weight) of raster cells with density, weights scaled to 0–1."""
    return HeatMap(
        cells, name="事件核密度", radius=18, blur=22, min_opacity=0.25, max_zoom=16, show=show
    )
