"""Building and checking a division's areas from its units.

Units (村民小组/自然湾/小区) are the atoms. A grid is a set of units, a village the set of
its grids' units, a package area the set of its villages, the street the set of all. Every
area above the unit is therefore derived here as the exact union of the units it holds
(GEOS coverage union), which makes "grids never cross a village boundary and cover it with
no gap and no overlap" true by construction, provided the units themselves form a valid
coverage, which :func:`coverage_problems` verifies with Shapely's coverage functions
(PostGIS 3.3 has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from gridmap.core.errors import BadInput

UNIT_KINDS = {"村民小组", "自然湾", "小区"}
VILLAGE_KINDS = {"村", "社区"}


@dataclass
class DivisionAreas:
    package_areas: gpd.GeoDataFrame  # code, name, geometry
    villages: gpd.GeoDataFrame  # code, name, kind, package_area_code, geometry
    grids: gpd.GeoDataFrame  # code, name, village_code, geometry
    units: gpd.GeoDataFrame  # code, name, kind, village_code, grid_code, households, …
    boundary: shapely.Geometry


def assemble(
    package_areas: pd.DataFrame,
    villages: pd.DataFrame,
    grids: pd.DataFrame,
    units: gpd.GeoDataFrame,
) -> DivisionAreas:
    """Check the structure and derive every area's geometry from its units."""
    problems = structure_problems(package_areas, villages, grids, units)
    problems += coverage_problems(units)
    if problems:
        raise BadInput("区划数据有误，未保存任何内容。", details=problems[:50])
    units = units.assign(
        village_code=units["grid_code"].map(grids.set_index("code")["village_code"])
    )
    grid_geom = _union_by(units, "grid_code")
    village_geom = _union_by(units, "village_code")
    pa_of_village = villages.set_index("code")["package_area_code"]
    pa_geom = _union_by(units.assign(pa=units["village_code"].map(pa_of_village)), "pa")
    boundary = shapely.coverage_union_all(units.geometry.values)
    if gaps := gap_problems(boundary):
        raise BadInput("区划数据有误，未保存任何内容。", details=gaps)
    return DivisionAreas(
        package_areas=_with_geometry(package_areas, pa_geom),
        villages=_with_geometry(villages, village_geom),
        grids=_with_geometry(grids, grid_geom),
        units=units,
        boundary=boundary,
    )


def _union_by(units: gpd.GeoDataFrame, key: str) -> pd.Series:
    return units.groupby(key)["geometry"].agg(lambda g: shapely.coverage_union_all(g.values))


def _with_geometry(frame: pd.DataFrame, geoms: pd.Series) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.assign(geometry=frame["code"].map(geoms).values), crs=4326)


def structure_problems(package_areas, villages, grids, units) -> list[str]:
    """Codes and memberships that do not fit the hierarchy, in words a planner understands."""
    pa_codes, village_codes = set(package_areas["code"]), set(villages["code"])
    grid_codes = set(grids["code"])
    problems = []
    for name, frame in (
        ("片区", package_areas),
        ("村（社区）", villages),
        ("网格", grids),
        ("单元", units),
    ):
        dupes = frame["code"][frame["code"].duplicated()].unique()
        problems += [f"{name}编码重复：{c}" for c in dupes]
    problems += [
        f"村（社区）{r.code} 的片区 {r.package_area_code} 不存在"
        for r in villages.itertuples()
        if r.package_area_code not in pa_codes
    ]
    problems += [
        f"村（社区）编码应为 12 位数字：{c}"
        for c in villages["code"]
        if not (len(c) == 12 and c.isdigit())
    ]
    problems += [
        f"村（社区）{r.code} 类型应为村或社区：{r.kind}"
        for r in villages.itertuples()
        if r.kind not in VILLAGE_KINDS
    ]
    problems += [
        f"网格编码应为所属村（社区）编码加 3 位序号：{r.code}"
        for r in grids.itertuples()
        if not (len(r.code) == 15 and r.code.isdigit() and r.code[:12] == r.village_code)
    ]
    problems += [
        f"网格 {r.code} 的村（社区）{r.village_code} 不存在"
        for r in grids.itertuples()
        if r.village_code not in village_codes
    ]
    problems += [
        f"单元 {r.code} 的网格 {r.grid_code} 不存在"
        for r in units.itertuples()
        if r.grid_code not in grid_codes
    ]
    problems += [
        f"单元 {r.code} 类型应为村民小组、自然湾或小区：{r.kind}"
        for r in units.itertuples()
        if r.kind not in UNIT_KINDS
    ]
    problems += [f"网格 {c} 没有任何单元" for c in set(grids["code"]) - set(units["grid_code"])]
    problems += [
        f"村（社区）{c} 没有任何网格" for c in set(villages["code"]) - set(grids["village_code"])
    ]
    problems += [
        f"片区 {c} 没有任何村（社区）"
        for c in set(package_areas["code"]) - set(villages["package_area_code"])
    ]
    return problems


def coverage_problems(units: gpd.GeoDataFrame) -> list[str]:
    """Invalid polygons, overlaps and mismatched shared edges among the units."""
    geoms = units.geometry.values
    problems = [
        f"单元 {c} 的边界无效：{shapely.is_valid_reason(g)}"
        for c, g in zip(units["code"], geoms, strict=True)
        if not shapely.is_valid(g)
    ]
    if problems:
        return problems
    if not shapely.coverage_is_valid(geoms):
        bad = shapely.coverage_invalid_edges(geoms)
        problems += [
            f"单元 {c} 与相邻单元重叠或公共边不一致"
            for c, edge in zip(units["code"], bad, strict=True)
            if not edge.is_empty
        ]
    return problems


def gap_problems(boundary: shapely.Geometry) -> list[str]:
    """Holes inside the street's outline are gaps that no unit covers."""
    polygons = getattr(boundary, "geoms", [boundary])
    holes = [ring for p in polygons for ring in p.interiors]
    return [f"街道范围内有 {len(holes)} 处空隙未被任何单元覆盖"] if holes else []
