"""The unit adjacency graph and region growing on it.

Two units are neighbours when they share an edge of positive length (touching at a corner is
not enough: a grid joined at a single point is two pieces on the map). Growing regions one
neighbour at a time from seeds keeps every region connected by construction, which is how the
demo guarantees that package areas, villages and grids are each one piece.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

MIN_SHARED_EDGE = 1.0  # metres

Adjacency = dict[int, set[int]]


def adjacency(polygons: np.ndarray) -> Adjacency:
    """Neighbours of each unit (indices into ``polygons``), by shared edges."""
    tree = shapely.STRtree(polygons)
    left, right = tree.query(polygons, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    boundaries = shapely.boundary(polygons)
    shared = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    graph: Adjacency = {i: set() for i in range(len(polygons))}
    for a, b in zip(left[shared > MIN_SHARED_EDGE], right[shared > MIN_SHARED_EDGE], strict=True):
        graph[int(a)].add(int(b))
        graph[int(b)].add(int(a))
    return graph


def components(nodes: Iterable[int], graph: Adjacency) -> list[list[int]]:
    """Connected components of the subgraph induced by ``nodes``, largest first."""
    todo, found = set(nodes), []
    while todo:
        start = min(todo)
        stack, piece = [start], {start}
        while stack:
            for nb in graph[stack.pop()]:
                if nb in todo and nb not in piece:
                    piece.add(nb)
                    stack.append(nb)
        todo -= piece
        found.append(sorted(piece))
    return sorted(found, key=len, reverse=True)


def is_connected(nodes: Iterable[int], graph: Adjacency) -> bool:
    return len(components(nodes, graph)) == 1


def grow(
    nodes: Sequence[int],
    graph: Adjacency,
    seeds: Sequence[int],
    targets: Sequence[float],
    weight: np.ndarray,
    xy: np.ndarray,
) -> dict[int, int]:
    """Grow one region per seed over ``nodes``; returns node → region index.

    At each step the least-filled region (load / target) that still has free neighbours takes
    the free neighbour nearest its seed, so regions grow in step and stay compact. A region
    that has reached its target waits while any other can still grow. Nodes no region can reach
    are left out of the result (the caller decides what to do with them).
    """
    free = set(nodes) - set(seeds)
    owner = {s: r for r, s in enumerate(seeds)}
    load = np.array([weight[s] for s in seeds], dtype=float)
    frontier: list[list[tuple[float, int]]] = [[] for _ in seeds]

    def push(region: int, node: int) -> None:
        for nb in graph[node]:
            if nb in free:
                dist = float(np.hypot(*(xy[nb] - xy[seeds[region]])))
                heapq.heappush(frontier[region], (dist, nb))

    for region, seed in enumerate(seeds):
        push(region, seed)
    while free:
        for heap in frontier:
            while heap and heap[0][1] not in free:
                heapq.heappop(heap)
        open_regions = [r for r, heap in enumerate(frontier) if heap]
        if not open_regions:
            break
        fill = load / np.asarray(targets, dtype=float)
        hungry = [r for r in open_regions if fill[r] < 1] or open_regions
        region = min(hungry, key=lambda r: (fill[r], r))
        _, node = heapq.heappop(frontier[region])
        free.discard(node)
        owner[node] = region
        load[region] += weight[node]
        push(region, node)
    return owner


def spread_seeds(
    nodes: Sequence[int],
    k: int,
    xy: np.ndarray,
    weight: np.ndarray,
    rng: np.random.Generator,
    fixed: Sequence[int] = (),
) -> list[int]:
    """k well-spread seed nodes: weighted k-means on the nodes' positions, snapped to nodes.

    ``fixed`` seeds (e.g. a community's town, or the unit holding the seat) are kept as they
    are and only the others move.
    """
    nodes = np.asarray(nodes)
    pts, w = xy[nodes], weight[nodes]
    free_k = k - len(fixed)
    start = rng.choice(len(nodes), size=free_k, replace=False, p=w / w.sum())
    centres = np.vstack([xy[list(fixed)].reshape(-1, 2), pts[start]])
    for _ in range(12):
        nearest = np.argmin(
            np.hypot(*(pts[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)), axis=1
        )
        for c in range(len(fixed), k):
            mine = nearest == c
            if mine.any():
                centres[c] = np.average(pts[mine], axis=0, weights=w[mine])
    seeds = list(fixed)
    for c in range(len(fixed), k):
        order = np.argsort(np.hypot(*(pts - centres[c]).T))
        seeds.append(int(next(n for n in nodes[order] if n not in seeds)))
    return seeds
