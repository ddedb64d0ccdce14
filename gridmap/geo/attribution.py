"""Attribution: which unit of a division contains each point.

A published division never changes (see migration 0001), so its units are indexed once per
process and reused for every point placed on it: a single pin from a phone, the
``/api/locate`` answer and a bulk load of a million incidents all go through :func:`attribute`,
so they can never disagree.

Why in the application rather than a PostGIS join: on these machines a PostGIS point-in-polygon
join of 1M points onto 10,000 polygons took 6.3 s (point-driven, parallel) or 2.8 s
(polygon-driven, including the index it needs on the points). PostGIS stays the system of
record: the polygons come from it and the result is stored in it.

Units are the atoms (村民小组/自然湾): the grid, village and package area of a point follow from
its unit. A point on an edge shared by two units touches both; it goes to the unit whose code
sorts first, always, so an incident on a boundary lands in the same grid every time.

How: a regular lattice of cells over the division is classified once (GEOS): a cell lying
strictly inside one unit answers for every point in it by arithmetic; a cell meeting no unit
answers "outside"; only points in cells that meet an edge are tested exactly (GEOS
``intersects_xy``) against the few units meeting their cell. No library offers this
"interior cells" shortcut for Shapely; it makes the bulk path faster than GeoPandas' ``sjoin``
(see bench/attribution.py), and :func:`attribute_exact` — one STRtree query per point, the
way ``sjoin`` works — is kept as the reference the tests compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

OUTSIDE = -1
UNSURE = -2
CELLS_PER_UNIT = 16  # lattice cells per unit: most points then fall in an interior cell
_NONE = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Cells:
    """The lattice: per cell a unit row, OUTSIDE or UNSURE, and the units meeting it."""

    x0: float
    y0: float
    x1: float
    y1: float
    dx: float
    dy: float
    n: int
    answer: np.ndarray
    starts: np.ndarray  # per cell: where its candidate units start in ``candidates``
    candidates: np.ndarray  # unit rows meeting each cell, ascending (code order) within a cell


@dataclass(frozen=True)
class DivisionIndex:
    division_id: int
    units: pd.DataFrame  # one row per unit, sorted by unit code; row i is geometry i
    geoms: np.ndarray
    tree: shapely.STRtree
    cells: Cells


def build_index(division_id: int, units: pd.DataFrame) -> DivisionIndex:
    """Index the units of one division. ``units`` needs ``code`` and ``geometry`` columns."""
    ordered = units.sort_values("code", kind="stable").reset_index(drop=True)
    geoms = np.asarray(ordered["geometry"].values, dtype=object)
    shapely.prepare(geoms)
    tree = shapely.STRtree(geoms)
    return DivisionIndex(division_id, ordered, geoms, tree, _cells(geoms, tree))


def _cells(geoms: np.ndarray, tree: shapely.STRtree) -> Cells:
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    n = max(int(np.sqrt(len(geoms) * CELLS_PER_UNIT)), 1)
    dx, dy = (x1 - x0) / n or 1.0, (y1 - y0) / n or 1.0
    ix, iy = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n)))
    # Cells grown by a hair, so that a point rounding puts in a cell is surely in its box.
    ex, ey = dx * 1e-6, dy * 1e-6
    boxes = shapely.box(
        x0 + ix * dx - ex, y0 + iy * dy - ey, x0 + (ix + 1) * dx + ex, y0 + (iy + 1) * dy + ey
    )
    cell, unit = tree.query(boxes, predicate="intersects")
    order = np.lexsort((unit, cell))
    cell, unit = cell[order], unit[order]
    starts = np.searchsorted(cell, np.arange(n * n + 1))
    count = np.diff(starts)
    answer = np.where(count == 0, OUTSIDE, UNSURE).astype(np.int64)
    single = np.flatnonzero(count == 1)
    inside = shapely.contains_properly(geoms[unit[starts[single]]], boxes[single])
    answer[single[inside]] = unit[starts[single[inside]]]
    return Cells(x0, y0, x1, y1, dx, dy, n, answer, starts, unit)


def attribute(index: DivisionIndex, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Row of ``index.units`` containing each point (edges included), or ``OUTSIDE``."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    c = index.cells
    inside = (lon >= c.x0) & (lon <= c.x1) & (lat >= c.y0) & (lat <= c.y1)  # NaN: outside
    ix = np.minimum(((np.where(inside, lon, c.x0) - c.x0) / c.dx).astype(np.int64), c.n - 1)
    iy = np.minimum(((np.where(inside, lat, c.y0) - c.y0) / c.dy).astype(np.int64), c.n - 1)
    cell = iy * c.n + ix
    found = np.where(inside, c.answer[cell], OUTSIDE)
    unsure = np.flatnonzero(found == UNSURE)
    if unsure.size:
        first = c.starts[cell[unsure]]
        count = c.starts[cell[unsure] + 1] - first
        point = np.repeat(unsure, count)
        unit = c.candidates[
            np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
        ]
        hit = shapely.intersects_xy(index.geoms[unit], lon[point], lat[point])
        best = np.full(len(lon), _NONE, dtype=np.int64)
        # Rows are in code order: the smallest row touched is the smallest unit code.
        np.minimum.at(best, point[hit], unit[hit])
        found[unsure] = np.where(best[unsure] == _NONE, OUTSIDE, best[unsure])
    return found


def attribute_exact(index: DivisionIndex, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The same answer by one STRtree query per point (the reference for :func:`attribute`)."""
    points = shapely.points(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    point_idx, unit_idx = index.tree.query(points, predicate="intersects")
    found = np.full(len(points), _NONE, dtype=np.int64)
    np.minimum.at(found, point_idx, unit_idx)
    found[found == _NONE] = OUTSIDE
    return found
