"""Planted hotspots: the ground truth that hotspot analyses of the demo must find.

Three clusters of adjacent grids, far apart, each with extra disputes of one category on top of
the background (the extra disputes come out of the year's dispute budget, so the street's
totals stay as reported):

* persistent — land acquisition (征拆还) disputes, about six a month all year: a road or
  industrial-park project whose compensation keeps being contested;
* consecutive — labour disputes from September, rising to December: wage arrears at a new
  workshop (the Spring-Festival pay rush makes it grow); a problem that is starting, which
  Esri's Emerging Hot Spot Analysis calls a consecutive hot spot (a run of hot months at the
  end, never hot before); this cluster may take in a grid of the neighbouring village, where
  the workers live;
* diminishing — neighbour disputes, high around Spring Festival (crowded houses and returning
  migrants) and falling month by month after a village-wide mediation campaign, yet still
  above the background in December: Esri's diminishing hot spot (hot in at least 90 % of the
  months including the last, with a significant downward trend).

With 2–3 background disputes per grid a year, 60–75 extra disputes in three grids make each
hotspot grid hold several times the median.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from .geography import Geography

MIN_APART = 6000.0  # metres between the grids of different hotspots
CLUSTER_GRIDS = 3


@dataclass(frozen=True)
class Plant:
    pattern: str
    category: str
    monthly: tuple[int, ...]  # extra disputes planted in each month
    label: str
    cross_village: bool


PLANTS = (
    Plant("persistent", "acquisition", (6,) * 12, "征拆还纠纷持续热点", False),
    Plant("consecutive", "labour", (0,) * 8 + (6, 12, 18, 26), "劳资纠纷连续热点", True),
    Plant(
        "diminishing",
        "neighbour",
        (16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5),
        "邻里纠纷减弱热点",
        False,
    ),
)


@dataclass
class Cluster:
    plant: Plant
    grid_codes: list[str]


def grid_graph(geo: Geography) -> dict[str, set[str]]:
    """Grids that share an edge (through any pair of their units)."""
    grid = geo.units["grid_code"].to_numpy()
    graph: dict[str, set[str]] = {code: set() for code in geo.grids["code"]}
    for a, nbs in geo.graph.items():
        for b in nbs:
            if grid[a] != grid[b]:
                graph[grid[a]].add(grid[b])
    return graph


def grid_centres(geo: Geography) -> dict[str, np.ndarray]:
    xy = shapely.get_coordinates(shapely.centroid(geo.metric))
    frame = pd.DataFrame(xy, columns=["x", "y"]).assign(grid=geo.units["grid_code"].to_numpy())
    means = frame.groupby("grid")[["x", "y"]].mean()
    return {code: row.to_numpy() for code, row in means.iterrows()}


def choose_clusters(geo: Geography, rng: np.random.Generator) -> list[Cluster]:
    """One cluster of adjacent village grids per plant, every two clusters far apart.

    Hotspots are planted in villages (村) only: a community's grids already carry several times
    a village grid's background, which would blur the ground truth.
    """
    graph, centre = grid_graph(geo), grid_centres(geo)
    kind = dict(zip(geo.villages["code"], geo.villages["kind"], strict=True))
    per_village = geo.grids.groupby("village_code").size()
    rural = [c for c in geo.grids["code"] if kind[c[:12]] == "村"]
    starts = [c for c in rural if per_village[c[:12]] >= CLUSTER_GRIDS]
    graph = {c: {nb for nb in graph[c] if kind[nb[:12]] == "村"} for c in rural}
    for apart in (MIN_APART, MIN_APART - 1000, MIN_APART - 2000):
        clusters: list[Cluster] = []
        for plant in PLANTS:
            found = _place(plant, starts, graph, centre, clusters, apart, rng)
            if found is None:
                break
            clusters.append(found)
        else:
            return clusters
    raise RuntimeError("no room for the planted hotspots")


def _place(
    plant: Plant,
    starts: list[str],
    graph,
    centre,
    placed: list[Cluster],
    apart: float,
    rng: np.random.Generator,
) -> Cluster | None:
    taken = [centre[c] for cluster in placed for c in cluster.grid_codes]
    for start in rng.permutation(starts):
        grids = _grow(str(start), graph, plant.cross_village)
        far = all(np.hypot(*(centre[g] - t)) >= apart for g in grids for t in taken)
        if len(grids) == CLUSTER_GRIDS and far:
            return Cluster(plant, sorted(grids))
    return None


def _grow(start: str, graph: dict[str, set[str]], cross: bool) -> list[str]:
    """A connected set of grids from ``start``: its village first; with ``cross``, the last grid
    comes from a neighbouring village when one touches the cluster."""
    cluster = [start]
    while len(cluster) < CLUSTER_GRIDS:
        around = sorted({nb for g in cluster for nb in graph[g]} - set(cluster))
        same = [g for g in around if g[:12] == start[:12]]
        other = [g for g in around if g[:12] != start[:12]]
        last = len(cluster) == CLUSTER_GRIDS - 1
        pick = (other if cross and last and other else same) or []
        if not pick:
            break
        cluster.append(pick[0])
    return cluster


def hotspot_table(clusters: list[Cluster], geo: Geography) -> pd.DataFrame:
    """The ground truth: name, pattern, kind, category, grid_codes, months."""
    name_of = dict(zip(geo.villages["code"], geo.villages["name"], strict=True))
    rows = []
    for cluster in clusters:
        villages = "、".join(dict.fromkeys(name_of[g[:12]] for g in cluster.grid_codes))
        rows.append(
            {
                "name": villages + cluster.plant.label,
                "pattern": cluster.plant.pattern,
                "kind": "dispute",
                "category": cluster.plant.category,
                "grid_codes": list(cluster.grid_codes),
                "months": [m for m, n in enumerate(cluster.plant.monthly, start=1) if n > 0],
            }
        )
    return pd.DataFrame(rows)
