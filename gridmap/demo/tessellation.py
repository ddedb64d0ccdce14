"""Cut the street into units (自然湾 / 村民小组 / 小区): a valid polygonal coverage.

Units are Voronoi cells of jittered hexagonal lattice points clipped to the outline. Villages
get a coarse lattice (cells of about 0.3 km², a natural village with its fields and ponds);
each community's town gets a small dense lattice (cells of about 0.1 km², a housing estate).
Clipping leaves slivers along the boundary and, where the outline bends, cells in two pieces;
each sliver and each extra piece is merged into the neighbour it shares the longest edge with,
so every unit ends as one Polygon of sensible size. Everything happens in metres; the caller
transforms to degrees only once the coverage is clean and checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

COARSE_UNITS = 560  # village units, before boundary slivers are merged away
TOWN_SPACING = 260.0  # metres between dense lattice points (≈ 0.06 km² cells, 0.1–0.2 in practice)
JITTER = 0.3  # lattice jitter, as a fraction of the spacing
SLIVER = 0.3  # cells smaller than this fraction of a nominal cell are merged away


@dataclass(frozen=True)
class Tessellation:
    """Unit polygons (metres) and, for each, the town that made it ('' for village cells)."""

    polygons: np.ndarray  # of shapely Polygons
    town: np.ndarray  # of str


def hex_lattice(bounds, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """Jittered hexagonal lattice points covering a bounding box."""
    x0, y0, x1, y1 = bounds
    row_step = spacing * np.sqrt(3) / 2
    rows = np.arange(y0 - spacing, y1 + spacing, row_step)
    cols = np.arange(x0 - spacing, x1 + spacing, spacing)
    xx, yy = np.meshgrid(cols, rows)
    xx = xx + (np.arange(len(rows))[:, None] % 2) * spacing / 2
    points = np.column_stack([xx.ravel(), yy.ravel()])
    return points + rng.uniform(-JITTER, JITTER, points.shape) * spacing


def generators(
    polygon, towns: dict[str, tuple[tuple[float, float], int]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Lattice points inside the outline and the town label of each.

    ``towns`` maps a community name to (centre, number of units). A town takes the n dense
    lattice points nearest its centre; coarse points are kept out of a ring around it.
    """
    town_area = sum(n for _, n in towns.values()) * TOWN_SPACING**2 * np.sqrt(3) / 2
    coarse_spacing = np.sqrt(2 * (polygon.area - town_area) / (np.sqrt(3) * COARSE_UNITS))
    points = hex_lattice(polygon.bounds, coarse_spacing, rng)
    labels = np.full(len(points), "", dtype=object)
    for name, (centre, n) in towns.items():
        box = (centre[0] - 3000, centre[1] - 3000, centre[0] + 3000, centre[1] + 3000)
        dense = hex_lattice(box, TOWN_SPACING, rng)
        dense = dense[np.argsort(np.hypot(*(dense - centre).T))[:n]]
        reach = np.hypot(*(dense - centre).T).max() + 0.9 * TOWN_SPACING
        keep = np.hypot(*(points - centre).T) > reach
        points = np.vstack([points[keep], dense])
        labels = np.concatenate([labels[keep], np.full(n, name, dtype=object)])
    inside = shapely.contains_xy(polygon, points[:, 0], points[:, 1])
    return points[inside], labels[inside]


def clipped_cells(polygon, points: np.ndarray) -> np.ndarray:
    """Voronoi cells of the points, in the points' order, clipped to the outline and cleaned."""
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=polygon, ordered=True)
    cells = np.asarray(shapely.get_parts(diagram))
    clipped = shapely.intersection(cells, polygon)
    return shapely.coverage_clean(clipped)


def split_parts(cells: np.ndarray, points: np.ndarray) -> tuple[list, list]:
    """Keep, of each cell, the part holding its generator; the other parts become loose pieces."""
    kept, loose = [], []
    for cell, (x, y) in zip(cells, points, strict=True):
        parts = list(shapely.get_parts(cell))
        home = next((p for p in parts if shapely.contains_xy(p, x, y)), None)
        home = home if home is not None else max(parts, key=lambda p: p.area)
        kept.append(home)
        loose.extend(p for p in parts if p is not home)
    return kept, loose


def merge_into_neighbour(polygons: list, alive: np.ndarray, piece) -> None:
    """Merge a piece into the living polygon sharing the longest edge with it (in place)."""
    every = np.asarray(polygons, dtype=object)
    candidates = np.flatnonzero(alive & shapely.intersects(every, piece))
    shared = shapely.length(
        shapely.intersection(shapely.boundary(every[candidates]), piece.boundary)
    )
    if not len(shared) or shared.max() <= 0:
        raise RuntimeError("a piece of the tessellation touches no neighbour along an edge")
    best = candidates[int(np.argmax(shared))]
    merged = shapely.coverage_union_all([polygons[best], piece])
    if merged.geom_type != "Polygon":
        raise RuntimeError("merging a sliver produced a multipart unit")
    polygons[best] = merged


def merge_slivers(polygons: list, nominal: np.ndarray) -> np.ndarray:
    """Dissolve cells below SLIVER × their nominal area; returns the mask of surviving cells."""
    alive = np.ones(len(polygons), dtype=bool)
    while True:
        areas = np.where(alive, shapely.area(np.asarray(polygons)) / nominal, np.inf)
        smallest = int(np.argmin(areas))
        if areas[smallest] >= SLIVER:
            return alive
        alive[smallest] = False
        merge_into_neighbour(polygons, alive, polygons[smallest])


def tessellate(
    polygon, towns: dict[str, tuple[tuple[float, float], int]], rng: np.random.Generator
) -> Tessellation:
    """Units covering the outline exactly, every one a single Polygon."""
    points, labels = generators(polygon, towns, rng)
    cells = clipped_cells(polygon, points)
    kept, loose = split_parts(cells, points)
    alive = np.ones(len(kept), dtype=bool)
    for piece in sorted(loose, key=lambda p: p.area):
        merge_into_neighbour(kept, alive, piece)
    coarse_area = polygon.area / len(points)
    nominal = np.where(labels == "", coarse_area, TOWN_SPACING**2 * np.sqrt(3) / 2)
    alive = merge_slivers(kept, nominal)
    units = np.asarray(kept, dtype=object)[alive]
    check_coverage(units, polygon)
    return Tessellation(polygons=units, town=labels[alive])


def check_coverage(units: np.ndarray, polygon, tolerance: float = 1e-9) -> None:
    """Raise unless the units are a valid coverage of the polygon without gaps."""
    if not all(shapely.get_type_id(units) == 3):
        raise RuntimeError("every unit must be a single Polygon")
    if not shapely.coverage_is_valid(units):
        raise RuntimeError("units overlap or their shared edges do not match")
    union = shapely.coverage_union_all(units)
    if union.geom_type != "Polygon" or len(union.interiors):
        raise RuntimeError("the units leave a gap or fall apart")
    if abs(union.area - polygon.area) > tolerance * polygon.area:
        raise RuntimeError("the units do not add up to the street")
    if shapely.symmetric_difference(union, polygon).area > tolerance * polygon.area:
        raise RuntimeError("the units do not cover the street exactly")
