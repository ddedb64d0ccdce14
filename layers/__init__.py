"""Map layers, one module each, listed in an explicit registry.

A layer turns plain rows (from gridmap.data) into a Folium layer and never touches the
database. Every piece of user text a layer shows is escaped here, in Python, before it reaches
the page: popups and tooltips are bound from pre-escaped HTML, never from raw properties.
"""

from __future__ import annotations

from layers import grids, package_areas, villages

# Drawing order: fills first, outlines and labels on top.
REGISTRY = {
    "grids": grids,
    "villages": villages,
    "package_areas": package_areas,
}
