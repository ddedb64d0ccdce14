"""Checking a plan for one village: every problem at once, and the grids' workload table.

A planner's draft gives each unit of a village (自然湾 / 村民小组 / 小区) a grid. Before it
can be saved or published it must be a true division of the village: the units a valid
coverage (GEOS coverage functions: no overlap, shared edges that match), nothing of the village
left uncovered, nothing outside its edge, each grid one connected piece, each grid's
households within the street's band, each grid with a grid member. Every problem is reported
at once, with the geometry to draw in red (so that the page can step through them), in words a
planner understands. This runs on the server on every save; the browser's view is never
trusted.

The workload of a grid is its households plus its incidents of the last twelve months, each
weighted by kind (a petition costs a grid member more than a legal consultation); a grid is
under, within or over the village's target (the mean workload of its grids) by more than the
tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely

# A sliver smaller than this (in square degrees, about 1 m² here) is rounding, not a gap.
AREA_EPSILON = 1e-10


@dataclass(frozen=True)
class Band:
    """Households per grid the street asks for (e.g. 300–500 in a community)."""

    low: int
    high: int


@dataclass(frozen=True)
class Problem:
    kind: str  # overlap, gap, outside, pieces, band, no_member, empty, unknown_grid, invalid
    message: str
    grid: str | None = None
    units: tuple[str, ...] = ()
    geometry: shapely.Geometry | None = None  # what to draw in red


@dataclass
class Check:
    problems: list[Problem] = field(default_factory=list)
    grids: list[dict] = field(default_factory=list)  # the live table, one row per grid

    @property
    def ok(self) -> bool:
        return not self.problems


def check_village(
    village: shapely.Geometry,
    units: gpd.GeoDataFrame,
    grids: Mapping[str, dict],
    band: Band,
    tolerance: float,
    weights: Mapping[str, float],
) -> Check:
    """Check one village's plan.

    ``units``: code, grid_code, households, population, geometry, and ``incidents`` (a mapping
    kind → count of the last twelve months; may be empty). ``grids``: code → {"name",
    "members": [names]} of the plan's grids in this village. ``village``: the village's edge.
    """
    problems: list[Problem] = []
    geoms = units.geometry.values
    codes = units["code"].tolist()
    bad = [i for i, g in enumerate(geoms) if not shapely.is_valid(g)]
    for i in bad:
        problems.append(
            Problem(
                "invalid",
                f"单元 {codes[i]} 的边界无效（{shapely.is_valid_reason(geoms[i])}）：请重画",
                units=(codes[i],),
                geometry=geoms[i].boundary,
            )
        )
    if not bad:
        problems += _coverage(codes, geoms, village)
    problems += _assignment(units, grids)
    table = _table(units, grids, tolerance, weights)
    for row in table:
        if row["units"] and not band.low <= row["households"] <= band.high:
            problems.append(
                Problem(
                    "band",
                    f"网格{_named(row['code'], grids)}有 {row['households']} 户，"
                    f"不在每格 {band.low}–{band.high} 户的范围内",
                    grid=row["code"],
                )
            )
        if row["units"] and not row["members"]:
            problems.append(
                Problem(
                    "no_member", f"网格{_named(row['code'], grids)}没有网格员", grid=row["code"]
                )
            )
    if not bad:
        problems += _pieces(units)
    return Check(problems, table)


def _coverage(codes: list[str], geoms: np.ndarray, village: shapely.Geometry) -> list[Problem]:
    out = []
    if not shapely.coverage_is_valid(geoms):
        edges = shapely.coverage_invalid_edges(geoms)
        for code, edge in zip(codes, edges, strict=True):
            if not edge.is_empty:
                out.append(
                    Problem(
                        "overlap",
                        f"单元 {code} 与相邻单元重叠，或公共边不一致",
                        units=(code,),
                        geometry=edge,
                    )
                )
    covered = shapely.union_all(geoms)
    gap = shapely.difference(village, covered)
    if shapely.area(gap) > AREA_EPSILON:
        out.append(Problem("gap", "村（社区）范围内有未被任何单元覆盖的空隙", geometry=gap))
    outside = shapely.difference(geoms, village)
    for i in np.flatnonzero(shapely.area(outside) > AREA_EPSILON):
        out.append(
            Problem(
                "outside",
                f"单元 {codes[i]} 越出了村（社区）的边界",
                units=(codes[i],),
                geometry=outside[i],
            )
        )
    return out


def _assignment(units: gpd.GeoDataFrame, grids: Mapping[str, dict]) -> list[Problem]:
    out = []
    for code, grid in zip(units["code"], units["grid_code"], strict=True):
        if grid not in grids:
            out.append(
                Problem("unknown_grid", f"单元 {code} 所属的网格 {grid} 不在方案中", units=(code,))
            )
    used = set(units["grid_code"])
    for code in grids:
        if code not in used:
            out.append(
                Problem(
                    "empty",
                    f"网格{_named(code, grids)}没有任何单元：请分配单元或撤销该网格",
                    grid=code,
                )
            )
    return out


def _named(code: str, grids: Mapping[str, dict]) -> str:
    """A grid as a planner knows it: its name, then its code."""
    name = (grids.get(code) or {}).get("name")
    return f"「{name}」（{code}）" if name and name != code else f" {code} "


def _pieces(units: gpd.GeoDataFrame) -> list[Problem]:
    """Grids whose units do not hold together (two pieces or more)."""
    out = []
    geoms, codes = units.geometry.values, units["code"].tolist()
    for grid, rows in sorted(_groups(units).items()):
        try:
            whole = shapely.coverage_union_all(geoms[rows])
        except shapely.errors.GEOSException:  # not a clean coverage (reported as an overlap)
            whole = shapely.union_all(geoms[rows])
        parts = shapely.get_num_geometries(whole)
        if parts > 1:
            out.append(
                Problem(
                    "pieces",
                    f"网格 {grid} 分成了 {parts} 块互不相连的部分",
                    grid=grid,
                    units=tuple(codes[i] for i in rows),
                    geometry=whole,
                )
            )
    return out


def _groups(units: gpd.GeoDataFrame) -> dict[str, list[int]]:
    """Row positions of each grid's units (plain lists: a village has a few dozen units, and
    pandas' grouping cost 80 ms of a 10,000-grid district's village)."""
    groups: dict[str, list[int]] = {}
    for i, grid in enumerate(units["grid_code"].tolist()):
        groups.setdefault(grid, []).append(i)
    return groups


def _table(
    units: gpd.GeoDataFrame,
    grids: Mapping[str, dict],
    tolerance: float,
    weights: Mapping[str, float],
) -> list[dict]:
    rows = []
    groups = _groups(units)
    households_of = units["households"].to_numpy()
    population_of = units["population"].to_numpy() if "population" in units else None
    incidents_of = units["incidents"].tolist() if "incidents" in units else None
    for code, grid in grids.items():
        mine = groups.get(code, [])
        incidents = _sum_counts(incidents_of[i] for i in mine) if incidents_of else {}
        weighted = sum(weights.get(kind, 1.0) * n for kind, n in incidents.items())
        households = int(households_of[mine].sum())
        rows.append(
            {
                "code": code,
                "name": grid.get("name", code),
                "members": list(grid.get("members", [])),
                "units": len(mine),
                "households": households,
                "population": int(population_of[mine].sum()) if population_of is not None else 0,
                "incidents": int(sum(incidents.values())),
                "workload": households + weighted,
            }
        )
    used = [r for r in rows if r["units"]]
    target = float(np.mean([r["workload"] for r in used])) if used else 0.0
    for r in rows:
        r["target"] = target
        r["deviation"] = (r["workload"] - target) / target if target else 0.0
        r["status"] = (
            "under"
            if r["deviation"] < -tolerance
            else "over"
            if r["deviation"] > tolerance
            else "within"
        )
    return rows


def _sum_counts(values) -> dict[str, int]:
    total: dict[str, int] = {}
    for counts in values:
        for kind, n in (counts or {}).items():
            total[kind] = total.get(kind, 0) + int(n)
    return total
