"""The demo street's space: outline, units, package areas, villages and grids.

All geometry is invented (no public source has the township's internal boundaries); the names
and codes of the villages and communities are the official ones. Work happens in metres
(EPSG:4547) and the finished coverage is transformed to EPSG:4326 coordinate by coordinate, so
shared vertices stay identical and the coverage stays valid; it is checked again in degrees.

Codes: a grid is its village's 12-digit code plus a serial 001–006; a unit is its village's
code plus a serial from 101 up, so a unit code never equals a grid code of the same village.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import boundary, hierarchy, households, names, tessellation
from .catalogue import Member, package_area_code, read_members
from .graph import Adjacency, adjacency

#: Housing estates per community: the seat's community is the largest.
TOWN_UNITS = {"侏儒社区": 8, "檀山社区": 5, "洪北社区": 6, "成功社区": 6}
#: Share of villages whose units are known by numbered 村民小组 rather than natural villages.
GROUP_NAMED_SHARE = 0.25
UNIT_SERIAL_START = 101


@dataclass
class Geography:
    """The division, plus what later steps need: metric polygons and the unit graph."""

    package_areas: pd.DataFrame
    villages: pd.DataFrame
    grids: pd.DataFrame
    units: gpd.GeoDataFrame  # EPSG:4326
    metric: np.ndarray  # unit polygons in EPSG:4547, same order as ``units``
    graph: Adjacency  # unit adjacency, positions in ``units``
    members: list[Member]


def build_geography(rng: np.random.Generator) -> Geography:
    """Outline → units → package areas and villages → households → grids, then to degrees."""
    members = read_members()
    outline = boundary.make_outline(rng)
    centres = boundary.town_centres(outline, rng)
    towns = {name: (centre, TOWN_UNITS[name]) for name, centre in centres.items()}
    tess = tessellation.tessellate(outline.polygon, towns, rng)
    xy = shapely.get_coordinates(shapely.centroid(tess.polygons))
    pre = households.village_households(len(xy), rng)  # what villages are balanced by
    plane = hierarchy.Plane(adjacency(tess.polygons), xy, pre.astype(float))
    areas, member_of = hierarchy.partition_members(plane, tess.town, members, rng)
    homes = unit_households(pre, member_of, members, rng)
    grid_of = hierarchy.partition_grids(plane, member_of, members, homes, rng)
    order = unit_order(plane, member_of, grid_of)
    polygons = tess.polygons[order]
    seat_member = members[int(member_of[_unit_at(tess.polygons, outline.seat)])]
    if seat_member.name != "侏儒社区":
        raise RuntimeError(f"the street seat fell in {seat_member.name}")
    units = unit_table(members, member_of[order], grid_of[order], homes[order], rng)
    geo = to_geographic(polygons)
    return Geography(
        package_areas=package_table(areas),
        villages=village_table(members, areas),
        grids=grid_table(units, members),
        units=gpd.GeoDataFrame(units, geometry=geo, crs=boundary.GEO_CRS),
        metric=polygons,
        graph=adjacency(polygons),
        members=members,
    )


def _unit_at(polygons: np.ndarray, point: tuple[float, float]) -> int:
    return int(np.flatnonzero(shapely.contains_xy(polygons, *point))[0])


def unit_households(
    pre: np.ndarray, member_of: np.ndarray, members: list[Member], rng: np.random.Generator
) -> np.ndarray:
    """Households per unit: estates in communities, the pre-drawn counts in villages.

    Village units keep the counts their villages were balanced with, nudged so that the street
    totals exactly 25,000 households.
    """
    in_town = np.array([members[m].is_community for m in member_of])
    homes = pre.copy()
    homes[in_town] = households.community_households(int(in_town.sum()), rng)
    rest = households.TOTAL_HOUSEHOLDS - int(homes[in_town].sum())
    homes[~in_town] = households.fit_total(homes[~in_town], rest, *households.VILLAGE_RANGE, rng)
    return homes


def unit_order(plane: hierarchy.Plane, member_of: np.ndarray, grid_of: np.ndarray) -> np.ndarray:
    """Units sorted by village (csv order), grid serial, then north to south."""
    row = -np.round(plane.xy[:, 1] / 300)
    return np.lexsort((plane.xy[:, 0], row, grid_of, member_of))


def unit_table(
    members: list[Member],
    member_of: np.ndarray,
    grid_of: np.ndarray,
    homes: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Codes, names and kinds of the (already sorted) units."""
    estate = names.EstateNamer(rng)
    rows = []
    for m, member in enumerate(members):
        mine = np.flatnonzero(member_of == m)
        labels = unit_names(member, len(mine), estate, rng)
        for serial, (u, (name, kind)) in enumerate(
            zip(mine, labels, strict=True), start=UNIT_SERIAL_START
        ):
            rows.append(
                {
                    "code": f"{member.code}{serial:03d}",
                    "name": name,
                    "kind": kind,
                    "village_code": member.code,
                    "grid_code": f"{member.code}{grid_of[u]:03d}",
                    "households": int(homes[u]),
                }
            )
    table = pd.DataFrame(rows)
    table["population"] = households.population(table["households"].to_numpy(), rng)
    return table


def unit_names(
    member: Member, n: int, estate: names.EstateNamer, rng: np.random.Generator
) -> list[tuple[str, str]]:
    """(name, kind) of a village's n units."""
    if member.is_community:
        return [(estate(member.name), "小区") for _ in range(n)]
    if rng.random() < GROUP_NAMED_SHARE:
        return [(f"{member.name}{names.chinese_number(k)}组", "村民小组") for k in range(1, n + 1)]
    return [(place, "自然湾") for place in names.natural_village_names(n, rng)]


def to_geographic(polygons: np.ndarray) -> np.ndarray:
    """EPSG:4547 → 4326, vertex by vertex; the coverage is checked again in degrees."""
    transformer = boundary.to_geographic()

    def move(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(coords[:, 0], coords[:, 1]))

    geo = shapely.transform(polygons, move)
    if not shapely.coverage_is_valid(geo):
        raise RuntimeError("the units stopped being a valid coverage in EPSG:4326")
    return geo


def package_table(areas: list[tuple[str, list[int]]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [package_area_code(i) for i in range(1, len(areas) + 1)],
            "name": [name for name, _ in areas],
        }
    )


def village_table(members: list[Member], areas: list[tuple[str, list[int]]]) -> pd.DataFrame:
    area_of = {m: package_area_code(i) for i, (_, ms) in enumerate(areas, start=1) for m in ms}
    return pd.DataFrame(
        {
            "code": [m.code for m in members],
            "name": [m.name for m in members],
            "kind": [m.kind for m in members],
            "package_area_code": [area_of[i] for i in range(len(members))],
        }
    )


def grid_table(units: pd.DataFrame, members: list[Member]) -> pd.DataFrame:
    """Grids in code order, named after their village: 侏儒村第1网格."""
    village_name = {m.code: m.name for m in members}
    grids = units[["grid_code", "village_code"]].drop_duplicates().sort_values("grid_code")
    grids = grids.rename(columns={"grid_code": "code"}).reset_index(drop=True)
    serial = grids["code"].str[-3:].astype(int)
    grids.insert(
        1,
        "name",
        [f"{village_name[v]}第{k}网格" for v, k in zip(grids["village_code"], serial, strict=True)],
    )
    return grids
