"""The street's outline and the places where its communities' towns stand.

No public source has the township's real boundary, so the demo invents one: a smooth
star-shaped polygon (a radius that wobbles with a few low-frequency harmonics, like the outline
of a township between lakes and hills), built in metres in EPSG:4547 (CGCS2000 3-degree
Gauss-Krüger, central meridian 114°E, which runs 16 km east of the seat, so its scale error
here is a few parts per million) and scaled to the official area, 178.55 km².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

METRIC_CRS = "EPSG:4547"
GEO_CRS = "EPSG:4326"
SEAT_LON, SEAT_LAT = 113.8380, 30.4417  # 街道办事处 (the street's seat)
AREA_M2 = 178.55e6
VERTICES = 360


@dataclass(frozen=True)
class Outline:
    """The street polygon in metres and the helpers to leave the metric CRS."""

    polygon: shapely.Polygon
    centre: tuple[float, float]
    seat: tuple[float, float]

    def radius_towards(self, angle: float) -> float:
        """Distance from the centre to the boundary in a direction (radians from east)."""
        cx, cy = self.centre
        far = 4 * np.sqrt(self.polygon.area)
        ray = shapely.LineString([(cx, cy), (cx + far * np.cos(angle), cy + far * np.sin(angle))])
        return float(shapely.intersection(ray, self.polygon).length)


def to_metric() -> Transformer:
    return Transformer.from_crs(GEO_CRS, METRIC_CRS, always_xy=True)


def to_geographic() -> Transformer:
    return Transformer.from_crs(METRIC_CRS, GEO_CRS, always_xy=True)


def seat_metric() -> tuple[float, float]:
    x, y = to_metric().transform(SEAT_LON, SEAT_LAT)
    return float(x), float(y)


def make_outline(rng: np.random.Generator) -> Outline:
    """A star-shaped outline of exactly 178.55 km² with the seat well inside it.

    The seat is not put at the centre: townships grow along a road or a river bank, so the
    centre is moved 0.8–1.6 km away from the seat in a random direction.
    """
    seat = seat_metric()
    shift_angle = rng.uniform(0, 2 * np.pi)
    shift = rng.uniform(800, 1600)
    centre = (seat[0] + shift * np.cos(shift_angle), seat[1] + shift * np.sin(shift_angle))
    theta = np.linspace(0, 2 * np.pi, VERTICES, endpoint=False)
    radius = np.ones_like(theta)
    for k, top in ((2, 0.14), (3, 0.10), (4, 0.05), (5, 0.035), (7, 0.02)):
        radius += rng.uniform(0.4, 1.0) * top * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    ring = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])
    unit_area = shapely.Polygon(ring).area
    ring *= np.sqrt(AREA_M2 / unit_area)
    polygon = shapely.Polygon(ring + np.asarray(centre))
    return Outline(polygon=polygon, centre=centre, seat=seat)


def town_centres(outline: Outline, rng: np.random.Generator) -> dict[str, tuple[float, float]]:
    """Where the four communities' built-up areas stand, by community name.

    侏儒社区 is the seat itself; 檀山社区 is the next neighbourhood of the same town, 1.2–1.5 km
    away. 洪北 and 成功 were separate farms and townships before they joined the street, so their
    communities stand far out, 60 % of the way from the centre to the boundary, on the far side
    of the centre from the seat and about 100° apart: 5–6 km from the seat and from each other.
    """
    sx, sy = outline.seat
    cx, cy = outline.centre
    away = np.arctan2(sy - cy, sx - cx)  # from the centre through the seat
    tanshan_angle = away + rng.uniform(-0.6, 0.6)
    tanshan_dist = rng.uniform(1200, 1500)
    towns = {
        "侏儒社区": (sx, sy),
        "檀山社区": (
            sx + tanshan_dist * np.cos(tanshan_angle),
            sy + tanshan_dist * np.sin(tanshan_angle),
        ),
    }
    for name, offset in (("洪北社区", 2.3), ("成功社区", -2.3)):
        angle = away + offset + rng.uniform(-0.25, 0.25)
        reach = 0.6 * outline.radius_towards(angle)
        towns[name] = (cx + reach * np.cos(angle), cy + reach * np.sin(angle))
    return {name: (float(x), float(y)) for name, (x, y) in towns.items()}
