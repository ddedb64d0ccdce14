"""The suggested rebalance: every grid brought within tolerance by a few moves, each grid kept
in one piece; and a village that cannot be balanced says so."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from gridmap.planner.check import Band, check_village
from gridmap.planner.rebalance import neighbours, suggest

S = 0.01


def lattice(cols: int, rows: int) -> list[shapely.Polygon]:
    return [
        shapely.box(c * S, r * S, (c + 1) * S, (r + 1) * S)
        for r in range(rows)
        for c in range(cols)
    ]


def stripes(cols: int, rows: int, grids: int) -> list[str]:
    return [f"G{c * grids // cols + 1}" for r in range(rows) for c in range(cols)]


def test_neighbours_share_an_edge_not_a_corner():
    adjacent = neighbours(lattice(2, 2))  # 0 1 / 2 3
    assert adjacent == [{1, 2}, {0, 3}, {0, 3}, {1, 2}]


def test_an_unbalanced_village_is_brought_within_tolerance_in_one_piece_each():
    geoms = lattice(6, 5)
    assignment = stripes(6, 5, 3)
    rng = np.random.default_rng(3)
    workload = rng.integers(20, 40, size=30).astype(float)
    workload[[a == "G1" for a in assignment]] *= 2.0  # G1 carries twice its share
    result = suggest(workload, assignment, neighbours(geoms), tolerance=0.1)
    assert result.within and result.excess == 0
    loads = {g: workload[[a == g for a in result.assignment]].sum() for g in ("G1", "G2", "G3")}
    target = workload.sum() / 3
    assert all(abs(v / target - 1) <= 0.1 for v in loads.values()), loads
    assert 0 < len(result.moves) <= 8
    assert all(result.assignment[m.unit] == m.to_grid for m in result.moves)
    units = gpd.GeoDataFrame(
        {
            "code": [f"U{i}" for i in range(30)],
            "grid_code": result.assignment,
            "households": workload.astype(int),
            "population": 0,
            "geometry": geoms,
        }
    )
    grids = {g: {"members": ["某"]} for g in ("G1", "G2", "G3")}
    check = check_village(shapely.box(0, 0, 6 * S, 5 * S), units, grids, Band(0, 10**6), 1, {})
    assert check.ok, check.problems  # no grid in pieces, nothing outside, no gap


def test_a_village_that_cannot_be_balanced_says_so():
    geoms = lattice(2, 1)
    result = suggest(np.array([100.0, 1.0]), ["G1", "G2"], neighbours(geoms), tolerance=0.1)
    assert not result.within and result.excess > 0 and result.moves == []


def test_load_passes_on_through_a_full_neighbour():
    """The overloaded grid is at one end of a row of grids: its neighbour is within tolerance
    and must hand units on in turn."""
    geoms = lattice(10, 4)
    assignment = stripes(10, 4, 5)
    workload = np.full(40, 30.0)
    workload[[a == "G1" for a in assignment]] = 60.0
    result = suggest(workload, assignment, neighbours(geoms), tolerance=0.1)
    assert result.within
    assert {m.from_grid for m in result.moves} >= {"G1", "G2"}, "G2 passes load on"
