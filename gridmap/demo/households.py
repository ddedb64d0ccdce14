"""Households and population per unit.

Zhurushan reports about 72,600–78,000 residents; the demo counts 25,000 households with 2.8–3.3
people each. Village units (自然湾 / 村民小组) hold 25–80 households, most of them 25–45, as
natural villages in the Jianghan plain do; community units (小区) are housing estates of
150–400 households.
"""

from __future__ import annotations

import numpy as np

TOTAL_HOUSEHOLDS = 25_000
VILLAGE_RANGE = (25, 80)
COMMUNITY_RANGE = (150, 400)
PEOPLE_PER_HOUSEHOLD = (2.85, 3.25)


def village_households(n: int, rng: np.random.Generator) -> np.ndarray:
    """Households of n village units: a skewed draw, mostly 25–45, a few large villages."""
    low, high = VILLAGE_RANGE
    draw = low + rng.gamma(shape=1.3, scale=7.0, size=n)
    return np.clip(np.rint(draw), low, high).astype(int)


def community_households(n: int, rng: np.random.Generator) -> np.ndarray:
    """Households of n housing estates."""
    low, high = COMMUNITY_RANGE
    return np.clip(np.rint(rng.normal(260, 60, size=n)), low, high).astype(int)


def fit_total(
    values: np.ndarray, total: int, low: int, high: int, rng: np.random.Generator
) -> np.ndarray:
    """Nudge integer values one at a time, within [low, high], until they sum to ``total``."""
    values = values.copy()
    while (gap := total - int(values.sum())) != 0:
        room = values < high if gap > 0 else values > low
        if not room.any():
            raise ValueError(f"cannot reach {total} within [{low}, {high}]")
        picks = rng.choice(np.flatnonzero(room), size=min(abs(gap), int(room.sum())), replace=False)
        values[picks] += np.sign(gap)
    return values


def population(households: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Residents of each unit: households times 2.85–3.25 people."""
    ratio = rng.uniform(*PEOPLE_PER_HOUSEHOLD, size=len(households))
    return np.rint(households * ratio).astype(int)
