"""Package areas, villages and grids grown on the unit adjacency graph.

Order of work, top down, each level grown inside the one above so that nothing straddles a
boundary:

1. Each community is its town's dense cells, taken as a block (a town is never cut).
2. The three administrative areas grow from the towns of 侏儒社区, 洪北社区 and 成功社区, with
   targets proportional to their number of villages and communities.
3. 侏儒山 splits into four package areas of nine; the first (侏儒山一片) holds the seat.
4. Inside each package area its villages grow from spread seeds, balanced by households.
5. Inside each village 2–6 grids grow: 1–4 units each in villages, about 300 households each in
   communities.

Growth can strand a region (a village hemmed in before it is big enough); then the level is
grown again from other seeds. The random generator moves on with every attempt, so the result
is still a pure function of the seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import graph as g
from .catalogue import ADMIN_AREAS, Member

VILLAGE_UNITS = (4, 22)  # a village needs room for 2–6 grids of 1–4 units
VILLAGE_BALANCE = (0.6, 1.5)  # households of a village, as a share of its package area's mean
GRID_UNITS = (1, 4)
COMMUNITY_GRID_HOUSEHOLDS = 300
ATTEMPTS = 60


@dataclass
class Plane:
    """The graph being partitioned, with positions and weights per node."""

    graph: g.Adjacency
    xy: np.ndarray
    weight: np.ndarray


def contract(
    plane: Plane, blocks: list[list[int]], block_weight: float
) -> tuple[Plane, np.ndarray]:
    """Collapse each block of units into one node (numbered after the units).

    Returns the contracted plane and the node of every unit.
    """
    n = len(plane.xy)
    node_of = np.arange(n)
    for b, block in enumerate(blocks):
        node_of[block] = n + b
    graph: g.Adjacency = {i: set() for i in range(n + len(blocks))}
    for a, nbs in plane.graph.items():
        for nb in nbs:
            if node_of[a] != node_of[nb]:
                graph[int(node_of[a])].add(int(node_of[nb]))
    xy = np.vstack([plane.xy] + [plane.xy[block].mean(axis=0) for block in blocks])
    weight = np.concatenate([plane.weight, np.full(len(blocks), block_weight)])
    return Plane(graph, xy, weight), node_of


def grow_admin_areas(
    plane: Plane, members: list[Member], town_node: dict[str, int], unit_weight: float
) -> dict[int, str]:
    """Node → administrative area, grown from the communities of 侏儒山, 洪北 and 成功."""
    names = list(ADMIN_AREAS)
    seeds = [town_node[_community_of(members, name).name] for name in names]
    targets = [unit_weight * sum(m.admin_area == name for m in members) for name in names]
    owner = g.grow(list(plane.graph), plane.graph, seeds, targets, plane.weight, plane.xy)
    return {node: names[r] for node, r in owner.items()}


def _community_of(members: list[Member], admin_area: str) -> Member:
    """The community an administrative area is grown from (its first in the csv)."""
    return next(m for m in members if m.admin_area == admin_area and m.is_community)


def split_admin_area(
    plane: Plane, nodes: list[int], parts: int, fixed: int, rng: np.random.Generator
) -> list[list[int]]:
    """Split an administrative area into equal package areas; the first holds ``fixed``."""
    if parts == 1:
        return [sorted(nodes)]
    seeds = g.spread_seeds(nodes, parts, plane.xy, plane.weight, rng, fixed=[fixed])
    target = plane.weight[nodes].sum() / parts
    owner = g.grow(nodes, plane.graph, seeds, [target] * parts, plane.weight, plane.xy)
    pieces = [sorted(n for n in nodes if owner[n] == r) for r in range(parts)]
    first, rest = pieces[0], pieces[1:]
    centre = plane.xy[fixed]
    rest.sort(key=lambda p: _bearing(plane.xy[p].mean(axis=0) - centre))
    return [first, *rest]


def _bearing(vector: np.ndarray) -> float:
    """Clockwise angle from north, so package areas are numbered like a clock face."""
    return float(np.arctan2(vector[0], vector[1]) % (2 * np.pi))


def grow_villages(
    plane: Plane, units: list[int], count: int, rng: np.random.Generator
) -> list[list[int]]:
    """Partition connected units into ``count`` connected villages balanced by households."""
    for _ in range(ATTEMPTS):
        seeds = g.spread_seeds(units, count, plane.xy, plane.weight, rng)
        target = plane.weight[units].sum() / count
        owner = g.grow(units, plane.graph, seeds, [target] * count, plane.weight, plane.xy)
        villages = [sorted(u for u in units if owner.get(u) == r) for r in range(count)]
        if len(owner) == len(units) and all(_fits(plane, v, target) for v in villages):
            return villages
    raise RuntimeError(f"could not grow {count} villages out of {len(units)} units")


def _fits(plane: Plane, village: list[int], target: float) -> bool:
    share = plane.weight[village].sum() / target
    return (
        VILLAGE_UNITS[0] <= len(village) <= VILLAGE_UNITS[1]
        and VILLAGE_BALANCE[0] <= share <= VILLAGE_BALANCE[1]
    )


def grow_grids(
    plane: Plane,
    units: list[int],
    community: bool,
    households: np.ndarray,
    rng: np.random.Generator,
) -> list[list[int]]:
    """Partition a village's units into 2–6 connected grids.

    Villages: grids of 1–4 units (a 村民小组 or a few natural villages each). Communities: grids
    of about 300 households, balanced by households.
    """
    n = len(units)
    if community:
        wanted = round(households[units].sum() / COMMUNITY_GRID_HOUSEHOLDS)
        counts = [min(max(wanted, 2), 6, n)]
        weight, limits = households.astype(float), (1, n)
    else:
        low = max(2, math.ceil(n / GRID_UNITS[1]))
        counts = sorted(range(low, min(6, n) + 1), key=lambda k: abs(k - n / 2.6))
        weight, limits = np.ones(len(households)), GRID_UNITS
    for attempt in range(ATTEMPTS):
        k = counts[min(attempt // 10, len(counts) - 1)]
        seeds = g.spread_seeds(units, k, plane.xy, weight, rng)
        target = weight[units].sum() / k
        owner = g.grow(units, plane.graph, seeds, [target] * k, weight, plane.xy)
        grids = [sorted(u for u in units if owner.get(u) == r) for r in range(k)]
        if len(owner) == n and all(limits[0] <= len(grid) <= limits[1] for grid in grids):
            return grids
    raise RuntimeError(f"could not grow grids in a village of {n} units")


def north_to_south(plane: Plane, groups: list[list[int]]) -> list[list[int]]:
    """Order groups of units from north-west to south-east, for readable serial numbers."""

    def key(group: list[int]) -> tuple[float, float]:
        x, y = plane.xy[group].mean(axis=0)
        return (-round(y / 500), x)

    return sorted(groups, key=key)


def partition_members(
    plane: Plane, town: np.ndarray, members: list[Member], rng: np.random.Generator
) -> tuple[list[tuple[str, list[int]]], np.ndarray]:
    """Package areas (name, member indices) and the member index of every unit."""
    communities = [i for i, m in enumerate(members) if m.is_community]
    blocks = [list(np.flatnonzero(town == members[i].name)) for i in communities]
    if any(not b or not g.is_connected(b, plane.graph) for b in blocks):
        raise RuntimeError("a community's town is empty or in pieces")
    # For balancing areas a community weighs as much as an average village: one member each.
    unit_weight = (len(town) - sum(map(len, blocks))) / (len(members) - len(communities))
    counted = Plane(plane.graph, plane.xy, np.ones(len(town)))
    small, node_of = contract(counted, blocks, unit_weight)
    town_node = {members[i].name: len(town) + b for b, i in enumerate(communities)}
    admin = grow_admin_areas(small, members, town_node, unit_weight)
    member_of = np.full(len(town), -1)
    for b, i in enumerate(communities):
        if admin[town_node[members[i].name]] != members[i].admin_area:
            raise RuntimeError(f"{members[i].name} fell outside {members[i].admin_area}")
        member_of[blocks[b]] = i
    package_areas = []
    for area, names in ADMIN_AREAS.items():
        nodes = sorted(n for n, a in admin.items() if a == area)
        seat = town_node[_community_of(members, area).name]
        pieces = split_admin_area(small, nodes, len(names), seat, rng)
        node_sets = [{int(n) for n in piece} for piece in pieces]
        package_areas += fill_admin_area(
            plane, node_of, node_sets, names, area, members, town_node, member_of, rng
        )
    return package_areas, member_of


def fill_admin_area(
    plane: Plane,
    node_of: np.ndarray,
    pieces: list[set[int]],
    names: list[str],
    area: str,
    members: list[Member],
    town_node: dict[str, int],
    member_of: np.ndarray,
    rng: np.random.Generator,
) -> list[tuple[str, list[int]]]:
    """Hand an administrative area's villages, in csv order, to its package areas and grow them.

    Every package area gets the same number of members; its communities are where their towns
    fell, its villages are the next ones of the list.
    """
    slots = [m for m, member in enumerate(members) if member.admin_area == area]
    villages = [m for m in slots if not members[m].is_community]
    result = []
    for name, piece in zip(names, pieces, strict=True):
        here = [m for m in slots if members[m].is_community and town_node[members[m].name] in piece]
        take = len(slots) // len(names) - len(here)
        chosen, villages = villages[:take], villages[take:]
        units = [u for u in range(len(node_of)) if node_of[u] in piece and member_of[u] < 0]
        fill_package_area(plane, units, chosen, here, member_of, rng)
        result.append((name, sorted(here + chosen)))
    return result


def fill_package_area(
    plane: Plane,
    units: list[int],
    villages: list[int],
    hosts: list[int],
    member_of: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Grow the given villages over a package area's village units (writes ``member_of``).

    A community can cut a package area in two; each piece gets villages in proportion to its
    households, and a scrap too small to be a village joins the community that cut it off.
    """
    pieces = g.components(units, plane.graph)
    for scrap in [p for p in pieces if len(p) < VILLAGE_UNITS[0]]:
        touching = {int(member_of[nb]) for u in scrap for nb in plane.graph[u]} & set(hosts)
        if not touching:
            raise RuntimeError("a scrap of a package area touches no community")
        member_of[scrap] = min(touching)
    pieces = [p for p in pieces if len(p) >= VILLAGE_UNITS[0]]
    counts = _apportion([plane.weight[p].sum() for p in pieces], len(villages))
    regions = []
    for piece, count in zip(pieces, counts, strict=True):
        regions += grow_villages(plane, piece, count, rng)
    for member, region in zip(villages, north_to_south(plane, regions), strict=True):
        member_of[region] = member


def _apportion(weights: list[float], total: int) -> list[int]:
    """Split ``total`` villages among pieces by weight (largest remainder, at least one each)."""
    if total < len(weights):
        raise RuntimeError("more separate pieces than villages to put in them")
    share = np.asarray(weights) / sum(weights) * total
    counts = np.maximum(np.floor(share).astype(int), 1)
    while counts.sum() < total:
        counts[int(np.argmax(share - counts))] += 1
    while counts.sum() > total:
        counts[int(np.argmax(np.where(counts > 1, counts - share, -np.inf)))] -= 1
    return counts.tolist()


def partition_grids(
    plane: Plane,
    member_of: np.ndarray,
    members: list[Member],
    households: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """The grid serial (1..6, north to south) of every unit inside its village."""
    grid_of = np.zeros(len(member_of), dtype=int)
    for m, member in enumerate(members):
        units = list(np.flatnonzero(member_of == m))
        grids = grow_grids(plane, units, member.is_community, households, rng)
        for serial, grid in enumerate(north_to_south(plane, grids), start=1):
            grid_of[grid] = serial
    return grid_of
