"""Moving geometries between PostGIS and Shapely (WKB both ways, EPSG:4326)."""

from __future__ import annotations

import numpy as np
import shapely


def to_multi_wkb(geoms) -> list[bytes]:
    """Polygons as MultiPolygon WKB, the type every area column has."""
    out = []
    for geom in geoms:
        if geom.geom_type == "Polygon":
            geom = shapely.MultiPolygon([geom])
        out.append(shapely.to_wkb(geom))
    return out


def from_wkb(values) -> np.ndarray:
    return shapely.from_wkb(np.asarray([bytes(v) for v in values], dtype=object))
