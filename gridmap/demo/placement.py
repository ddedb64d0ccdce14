"""Random points inside units, by rejection sampling in each unit's bounding box.

Incidents and the homes of resource people are placed this way; a point is always strictly
inside its unit (``shapely.contains_xy``), hence inside the street.
"""

from __future__ import annotations

import numpy as np
import shapely

BATCH = 16  # candidates tried at once; units are compact, so one batch nearly always suffices


def points_in(
    polygons: np.ndarray, which: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One random point inside ``polygons[i]`` for each i in ``which``; returns (x, y)."""
    which = np.asarray(which, dtype=int)
    x, y = np.empty(len(which)), np.empty(len(which))
    for k, i in enumerate(which):
        x[k], y[k] = point_in(polygons[i], rng)
    return x, y


def point_in(polygon, rng: np.random.Generator) -> tuple[float, float]:
    x0, y0, x1, y1 = polygon.bounds
    while True:
        xs = rng.uniform(x0, x1, BATCH)
        ys = rng.uniform(y0, y1, BATCH)
        hit = np.flatnonzero(shapely.contains_xy(polygon, xs, ys))
        if len(hit):
            return float(xs[hit[0]]), float(ys[hit[0]])


def weighted_units(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n unit indices drawn with probability proportional to ``weights``."""
    weights = np.asarray(weights, dtype=float)
    return rng.choice(len(weights), size=n, p=weights / weights.sum())
