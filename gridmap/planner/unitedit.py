"""Editing the unit layer itself: cutting a unit in two along a line the planner draws.

Units (自然湾 / 村民小组 / 小区) are where households are counted, so the layer changes when
the ground does: a new 小区 is built on part of a natural village, a group is divided. The
planner draws a line across the unit and says how many households (and people) lie on its left,
walking the line from its first point; the rest lie on its right, so nothing is counted twice or
lost. The parts get new
codes of the village (its 12 digits and the next free serial) and remember the unit they were
cut from. Redrawing an edge is done on the page (vertices snap to the neighbours' edges) and
checked like every save (gridmap.planner.check): the browser's drawing is never trusted.
"""

from __future__ import annotations

import math

import shapely
from shapely.ops import split

from gridmap.core.errors import BadInput

# How near (degrees, about 1 cm) a neighbour's edge must pass a new corner to take it.
SNAP = 1e-7


def cut(
    unit: dict,
    line: list,
    households: int,
    population: int | None,
    taken: set[str],
    neighbours: dict | None = None,
) -> tuple[list[dict], dict]:
    """The two parts of ``unit`` (code, name, households, population, geometry, grid_code)
    cut along ``line`` ([[lon, lat], …]); ``households`` (and ``population``) are the first
    part's, the rest the second's. ``taken``: unit codes the village has or had.

    Also the neighbours (code → geometry) whose edge the cut ends on, with the new corner put
    into their edge too: a coverage's shared edges must match vertex for vertex (GEOS)."""
    try:
        points = [(float(x), float(y)) for x, y in line]
        if len(points) < 2 or not all(map(math.isfinite, sum(points, ()))):
            raise ValueError(line)
        path = shapely.LineString(points)
    except (TypeError, ValueError, shapely.errors.GEOSException):
        raise BadInput("分割线应为至少两个经纬度点（[[经度, 纬度], …]）") from None
    if path.length == 0:
        raise BadInput("分割线应为至少两个不同的点")
    whole = unit["geometry"]
    parts = [p for p in split(whole, path).geoms if p.area > 0]
    if len(parts) != 2:
        raise BadInput(
            f"分割线须从单元 {unit['code']}（{unit['name']}）的一侧边界画到另一侧，"
            f"把它分成两块（现在是 {len(parts)} 块）"
        )
    parts = _left_first(parts, path)
    total_h, total_p = int(unit["households"]), int(unit["population"])
    if households is None or households == "":
        raise BadInput("请填写分割线左侧部分的户数")
    if type(households) is not int or not 0 <= households <= total_h:
        raise BadInput(f"左侧部分的户数应在 0 到 {total_h} 之间（原单元共 {total_h} 户）")
    if population is None:
        population = round(total_p * households / total_h) if total_h else total_p // 2
    if type(population) is not int or not 0 <= population <= total_p:
        raise BadInput(f"左侧部分的人口应在 0 到 {total_p} 之间（原单元共 {total_p} 人）")
    codes = _next_codes(unit["code"][:12], taken, 2)
    touched = _take_corners(whole, parts, neighbours or {})
    shares = [(households, population), (total_h - households, total_p - population)]
    return [
        {
            "code": code,
            "name": f"{unit['name']}（{label}）"[:50],
            "kind": unit["kind"],
            "households": h,
            "population": p,
            "grid_code": unit["grid_code"],
            "split_from": unit["code"],  # the unit it was cut from (the save keeps its origin)
            "geometry": shapely.normalize(part),
        }
        for code, label, (h, p), part in zip(codes, ("一", "二"), shares, parts, strict=True)
    ], touched


def _left_first(parts: list, path: shapely.LineString) -> list:
    """The part on the left of the line (walking from its first point to its last) first: the
    page asks for the households of the part on the left."""
    (x0, y0), (x1, y1) = path.coords[0], path.coords[-1]

    def side(part) -> float:
        p = part.representative_point()
        return (x1 - x0) * (p.y - y0) - (y1 - y0) * (p.x - x0)

    return sorted(parts, key=side, reverse=True)


def _take_corners(whole, parts, neighbours: dict) -> dict:
    """Neighbours with the cut's new corners (where the line crosses the unit's edge)."""
    # Exact coordinates: a corner rounded even at 1e-12 is not the parts' corner, and the
    # coverage's shared edges would not match (seen: 48 cuts in 60 left the village unsaveable).
    old = {tuple(c) for c in shapely.get_coordinates(whole.boundary)}
    new = {
        tuple(c) for p in parts for c in shapely.get_coordinates(p.boundary) if tuple(c) not in old
    }
    if not new:
        return {}
    corners = shapely.MultiPoint(list(new))
    out = {}
    for code, geom in neighbours.items():
        if shapely.distance(geom, corners) <= SNAP:
            snapped = shapely.snap(geom, corners, SNAP)
            if not shapely.equals_exact(snapped, geom, 0):
                out[code] = snapped
    return out


def _next_codes(village: str, taken: set[str], n: int) -> list[str]:
    used = {int(c[12:]) for c in taken if c.startswith(village) and c[12:].isdigit()}
    out, serial = [], max(used, default=0)
    while len(out) < n:
        serial += 1
        if serial > 999:
            raise BadInput(f"村（社区）{village} 的单元代码序号已用完")
        out.append(f"{village}{serial:03d}")
    return out
