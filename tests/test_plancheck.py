"""Checking one village's plan: each kind of problem found, with what to draw, and the
workload table a planner balances by."""

from __future__ import annotations

import geopandas as gpd
import shapely

from gridmap.planner.check import Band, check_village

S = 0.01
BAND = Band(50, 150)


def square(col: int, row: int) -> shapely.Polygon:
    return shapely.box(col * S, row * S, (col + 1) * S, (row + 1) * S)


def plan(assign: dict[str, str], geoms: dict | None = None, households: dict | None = None):
    """A 2 × 2 village of units A (0,0), B (1,0), C (0,1), D (1,1)."""
    cells = {"A": square(0, 0), "B": square(1, 0), "C": square(0, 1), "D": square(1, 1)}
    cells.update(geoms or {})
    codes = list(assign)
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "grid_code": [assign[c] for c in codes],
            "households": [(households or {}).get(c, 50) for c in codes],
            "population": [150] * len(codes),
            "incidents": [{"dispute": 2, "petition": 1}] * len(codes),
            "geometry": [cells[c] for c in codes],
        },
        crs=4326,
    )


VILLAGE = shapely.box(0, 0, 2 * S, 2 * S)
GRIDS = {"G1": {"name": "一格", "members": ["甲"]}, "G2": {"name": "二格", "members": ["乙"]}}
WEIGHTS = {"dispute": 5.0, "petition": 10.0}


SPLIT = {"A": "G1", "C": "G1", "B": "G2", "D": "G2"}  # two columns


def checked(assign=SPLIT, geoms=None, grids=GRIDS, households=None):
    return check_village(VILLAGE, plan(assign, geoms, households), grids, BAND, 0.1, WEIGHTS)


def kinds(check) -> list[str]:
    return sorted(p.kind for p in check.problems)


def test_a_true_plan_has_no_problem_and_a_balanced_table():
    check = checked()
    assert check.ok, check.problems
    one = {r["code"]: r for r in check.grids}
    assert one["G1"]["households"] == 100 and one["G1"]["incidents"] == 6
    assert one["G1"]["workload"] == 100 + 2 * (2 * 5 + 10)
    assert one["G1"]["status"] == one["G2"]["status"] == "within"


def test_a_grid_in_two_pieces_is_found_and_drawn():
    check = checked({"A": "G1", "D": "G1", "B": "G2", "C": "G2"})
    pieces = [p for p in check.problems if p.kind == "pieces"]
    assert sorted(p.grid for p in pieces) == ["G1", "G2"]  # diagonal squares touch at a corner
    assert all(shapely.get_num_geometries(p.geometry) == 2 for p in pieces)


def test_an_overlap_a_gap_and_a_unit_outside_the_village():
    grown = shapely.box(S * 0.5, 0, 2 * S, S)  # B redrawn over half of A
    check = checked(geoms={"B": grown})
    assert "overlap" in kinds(check)
    overlap = [p for p in check.problems if p.kind == "overlap"]
    # A and B overlap; D's edge with the redrawn B no longer matches vertex for vertex either.
    assert {"A", "B"} <= {p.units[0] for p in overlap} and all(p.geometry for p in overlap)

    # Unit B taken out of the plan: its square is a gap.
    gap = checked({"A": "G1", "C": "G1", "D": "G2"})
    assert kinds(gap) == ["gap"]
    assert abs(shapely.area(gap.problems[0].geometry) - S * S) < 1e-12

    out = shapely.box(S, 0, 2.5 * S, S)
    outside = checked(geoms={"B": out})
    assert "outside" in kinds(outside)


def test_a_self_intersecting_unit_is_refused_before_anything_else():
    bowtie = shapely.Polygon([(S, 0), (2 * S, S), (2 * S, 0), (S, S), (S, 0)])
    check = checked(geoms={"B": bowtie})
    invalid = [p for p in check.problems if p.kind == "invalid"]
    assert [p.units for p in invalid] == [("B",)] and "无效" in invalid[0].message


def test_the_band_the_members_and_the_grid_codes():
    grids = {**GRIDS, "G2": {"name": "二格", "members": []}, "G3": {"name": "三格"}}
    check = checked(
        {"A": "G1", "C": "G1", "B": "G2", "D": "G9"}, grids=grids, households={"A": 200}
    )
    found = {(p.kind, p.grid or p.units[0]) for p in check.problems}
    assert ("band", "G1") in found, "250 households against 50–150"
    assert ("no_member", "G2") in found
    assert ("empty", "G3") in found and ("unknown_grid", "D") in found
    table = {r["code"]: r for r in check.grids}
    assert table["G1"]["status"] == "over" and table["G2"]["status"] == "under"
