"""Kernel density of incidents as a heat layer (cell centres of a quartic-kernel raster)."""

from __future__ import annotations

from folium.plugins import HeatMap


def build(cells: list[tuple[float, float, float]], show: bool = False) -> HeatMap:
    """``cells``: (lat, lon, weight) of raster cells with density, weights scaled to 0–1."""
    return HeatMap(
        cells, name="事件核密度", radius=18, blur=22, min_opacity=0.25, max_zoom=16, show=show
    )
