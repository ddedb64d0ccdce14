"""A suggested rebalance of one village's grids: a few unit moves that bring every grid's
workload within the tolerance of the village's target, keeping each grid in one piece.

Why not GerryChain: its chains (ReCom, flips) sample many redistricting plans for ensemble
analysis; they neither aim at the fewest moves from the plan a village has nor stop when it is
good enough, and a planner wants the grids they know changed as little as possible. Here the
search is greedy on the boundary: at each step the one unit move (a unit on the edge of its grid
into a neighbouring grid, never cutting its grid in two nor emptying it) that most reduces the
total excess over the tolerance, or, when none does, that most flattens the village without
adding excess (so that load an overloaded grid cannot hand to a full neighbour is passed on
through it); when neither, a chain of two moves (a unit into a full neighbour, one of its units
on into the next grid) that lowers the excess together. It stops when no excess is left or
nothing helps. Each step lowers (excess, spread), so the search ends. It is not proven minimal:
bench/planner.py prints the units it moves next to a lower bound of what the imbalance needs.

Units are neighbours when they share an edge (a corner is not enough: a grid joined at a
corner is in two pieces, gridmap.planner.check).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

EDGE_EPSILON = 1e-9  # degrees of shared boundary below which two units only touch at a corner


@dataclass(frozen=True)
class Move:
    unit: int  # row position
    from_grid: str
    to_grid: str


@dataclass(frozen=True)
class Suggestion:
    moves: list[Move]
    assignment: list[str]  # the grid of each unit after the moves
    within: bool  # every grid within the tolerance
    excess: float  # what is left over the tolerance (0 when within)


def neighbours(geoms) -> list[set[int]]:
    """Units sharing an edge with each unit."""
    geoms = np.asarray(geoms)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[left]), shapely.boundary(geoms[right]))
    )
    out: list[set[int]] = [set() for _ in range(len(geoms))]
    for a, b in zip(left[shared > EDGE_EPSILON], right[shared > EDGE_EPSILON], strict=True):
        out[int(a)].add(int(b))
        out[int(b)].add(int(a))
    return out


def suggest(
    workload: np.ndarray,
    assignment: list[str],
    adjacent: list[set[int]],
    tolerance: float,
    max_moves: int = 10_000,
) -> Suggestion:
    """Moves that bring every grid within ``tolerance`` (a share, e.g. 0.15) of the mean."""
    grid_of = list(assignment)
    grids = sorted(set(grid_of))
    load = {g: 0.0 for g in grids}
    members: dict[str, set[int]] = {g: set() for g in grids}
    for i, g in enumerate(grid_of):
        load[g] += float(workload[i])
        members[g].add(i)
    target = sum(load.values()) / len(grids)
    moves: list[Move] = []

    def over(value: float) -> float:
        return max(0.0, abs(value / target - 1.0) - tolerance) if target else 0.0

    def spread(a: float, b: float) -> float:
        return ((a - target) ** 2 + (b - target) ** 2) / (target * target) if target else 0.0

    excess = sum(over(v) for v in load.values())
    while excess > 1e-12 and len(moves) < max_moves:
        best = None
        for u, g in enumerate(grid_of):
            if len(members[g]) == 1:
                continue
            w = float(workload[u])
            for h in {grid_of[v] for v in adjacent[u]} - {g}:
                change = over(load[g] - w) + over(load[h] + w) - over(load[g]) - over(load[h])
                if change > 1e-12:
                    continue
                # Less excess first; then a flatter village, so that load an overloaded grid
                # cannot hand to a full neighbour passes on through it.
                flatter = spread(load[g] - w, load[h] + w) - spread(load[g], load[h])
                key = (round(change, 12), flatter)
                if (change < -1e-12 or flatter < -1e-12) and (best is None or key < best[0]):
                    if _stays_whole(members[g], u, adjacent):
                        best = (key, u, g, h)
        if best is None:
            chain = _two_steps(workload, grid_of, members, load, adjacent, over)
            if chain is None:
                break
            steps = chain
        else:
            steps = [(best[1], best[2], best[3])]
        for u, g, h in steps:
            w = float(workload[u])
            load[g] -= w
            load[h] += w
            members[g].discard(u)
            members[h].add(u)
            grid_of[u] = h
            moves.append(Move(u, g, h))
        excess = sum(over(v) for v in load.values())
    excess = sum(over(v) for v in load.values())
    return Suggestion(_net(moves, assignment), grid_of, excess <= 1e-12, excess)


def _two_steps(workload, grid_of, members, load, adjacent, over):
    """When no single move helps: a unit into a neighbour that is full, and one of that
    neighbour's units on into the next grid, if together they lower the excess (an ejection
    chain of two). None when no such pair exists."""
    best = None
    for u, g in enumerate(grid_of):
        if len(members[g]) == 1 or not _stays_whole(members[g], u, adjacent):
            continue
        wu = float(workload[u])
        for h in {grid_of[x] for x in adjacent[u]} - {g}:
            after_h = members[h] | {u}
            for v in after_h - {u}:
                for k in {grid_of[x] for x in adjacent[v] if x != u} - {h}:
                    wv = float(workload[v])
                    new = {g: load[g] - wu, h: load[h] + wu - wv}
                    new[k] = new.get(k, load[k]) + wv
                    change = sum(over(x) for x in new.values()) - sum(over(load[x]) for x in new)
                    if change < -1e-12 and (best is None or change < best[0]):
                        if _stays_whole(after_h, v, adjacent):
                            best = (change, [(u, g, h), (v, h, k)])
    return None if best is None else best[1]


def _stays_whole(units: set[int], leaving: int, adjacent: list[set[int]]) -> bool:
    """Whether a grid's units still hold together without ``leaving``."""
    rest = units - {leaving}
    start = next(iter(rest))
    seen, todo = {start}, [start]
    while todo:
        for v in adjacent[todo.pop()]:
            if v in rest and v not in seen:
                seen.add(v)
                todo.append(v)
    return len(seen) == len(rest)


def _net(moves: list[Move], before: list[str]) -> list[Move]:
    """One move per unit, from its grid before to its grid after (a unit moved twice, or moved
    back, counts once or not at all)."""
    last: dict[int, str] = {}
    for m in moves:
        last[m.unit] = m.to_grid
    return [Move(u, before[u], g) for u, g in sorted(last.items()) if g != before[u]]
