"""Map layers, one module each, listed in an explicit registry.

A layer turns plain rows (from gridmap.data) into a Folium layer and never touches the
database. Every piece of user text a layer shows is escaped here, in Python, before it reaches
the page, and then reaches it only as data: popups and tooltips are bound in the browser from
pre-escaped HTML carried in GeoJSON properties (layers.common explains why never through
Folium's Popup or Tooltip).
"""

from __future__ import annotations

from layers import (
    changed_grids,
    common,
    emerging,
    grid_rates,
    grids,
    heat,
    hotspots,
    incidents,
    labels,
    package_areas,
    resources,
    search_results,
    units,
    villages,
)

# Every map layer, by name. Pages add them fills first, outlines, labels and markers on top.
REGISTRY = {
    "grids": grids,
    "grid_rates": grid_rates,
    "hotspots": hotspots,
    "emerging": emerging,
    "heat": heat,
    "villages": villages,
    "units": units,
    "package_areas": package_areas,
    "resources": resources,
    "incidents": incidents,
    "labels": labels,
    "changed_grids": changed_grids,
    "search_results": search_results,
}

__all__ = ["REGISTRY", "common"]
