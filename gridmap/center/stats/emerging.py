"""Esri's Emerging Hot Spot Analysis: how hot and cold spots change from month to month.

A single hot spot map says where conflicts cluster; 源头治理 also asks *when*: is this a new
source of conflict (新增热点), one that has been hot every month (持续热点), one that keeps
growing (加剧热点), or one that is fading after intervention (减弱热点)? This module is a port
of Esri's published method ("How Emerging Hot Spot Analysis works", ArcGIS Pro):

1. **Space-time Gi*.** The counts form a cube of T time steps × n locations. For location i
   at step t the neighbourhood is i and its spatial neighbours, at steps t−k … t (Esri's
   "neighborhood time step", k = 1: this month and last month). Each bin's z-score is
   computed against the mean and variance of the whole cube (:func:`space_time_gi_star`),
   with the same formula as :mod:`gridmap.center.stats.gistar`. Early steps have fewer steps in
   their window and so smaller neighbourhoods.
2. **Per-bin significance.** A bin is hot when its Gi_Bin is ≥ +1 (two-sided p < 0.10 and
   z > 0) and cold when ≤ −1. ArcGIS Pro's documentation says it applies an FDR correction
   to these bins; here it is off by default (``fdr=False``): the FDR runs over all T × n
   bins, so its threshold tightens as the cube grows and a place hot for one or two months
   can drop out. Pass ``fdr=True`` for Esri's behaviour (the designed test cubes give the
   same categories either way).
3. **Trend.** A Mann–Kendall test (:mod:`gridmap.center.stats.trend`) on each location's z-score
   series; p < 0.05 is a significant trend.
4. **Categories** (:mod:`gridmap.center.stats.patterns`), from the hot/cold bins and the trend.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridmap.center.stats.gistar import classify, p_values, star_matrix, z_from_sums
from gridmap.center.stats.patterns import CATEGORIES, COLORS, NAMES_ZH, categorize
from gridmap.center.stats.trend import mann_kendall

#: Decimals kept from z-scores before the trend test: values that are equal in exact
#: arithmetic (a flat series) then count as Mann–Kendall ties, not as rounding noise.
TREND_DECIMALS = 9

__all__ = [
    "CATEGORIES",
    "COLORS",
    "NAMES_ZH",
    "bin_classes",
    "emerging_hotspots",
    "space_time_gi_star",
]


def _cube(counts) -> np.ndarray:
    cube = np.asarray(counts, dtype=float)
    if cube.ndim != 2 or cube.shape[0] < 1:
        raise ValueError("counts must have shape (T, n): T time steps × n locations")
    return cube


def space_time_gi_star(counts, w_csr, k: int = 1) -> np.ndarray:
    """Gi* z-score of every bin of the (T, n) cube; ``w_csr`` is binary spatial, no self.

    The neighbourhood of (i, t) is location i and its neighbours at steps max(0, t−k) … t.
    """
    cube = _cube(counts)
    if k < 0:
        raise ValueError("the time window k must be ≥ 0")
    a = star_matrix(w_csr)
    lag = np.asarray((a @ cube.T).T)  # spatial neighbourhood sums, one row per step
    total = np.cumsum(lag, axis=0)
    window = total.copy()
    window[k + 1 :] -= total[: -(k + 1)]
    steps = np.minimum(np.arange(cube.shape[0]), k) + 1
    card = steps[:, None] * np.asarray(a.sum(axis=1)).ravel()[None, :]
    return z_from_sums(window, card, cube)


def bin_classes(z, fdr: bool = False) -> np.ndarray:
    """ArcGIS Gi_Bin (−3 … +3) of each bin; the FDR, if asked for, runs over the whole cube."""
    z = np.asarray(z, dtype=float)
    return classify(z, p_values(z), fdr=fdr)


def emerging_hotspots(
    counts, w_csr, k: int = 1, fdr: bool = False, trend_alpha: float = 0.05
) -> pd.DataFrame:
    """Emerging hot spot category of each location of a (T, n) cube of counts.

    Columns: ``code`` (e.g. ``"new_hot"``, ``"no_pattern"``), ``name_zh`` (新增热点 …),
    ``trend_z`` and ``trend_p`` (Mann–Kendall on the location's z-scores), ``n_hot`` and
    ``n_cold`` (significant bins), and ``final_gi_bin`` (Gi_Bin of the last step).

    Esri analyses only locations with at least one incident in some step; pass a cube (and
    weights) restricted to the area of interest, or empty fields and rivers can come out as
    cold spots.
    """
    z = space_time_gi_star(counts, w_csr, k=k)
    gi_bin = bin_classes(z, fdr=fdr)
    trend = mann_kendall(np.round(z, TREND_DECIMALS))
    hot, cold = gi_bin > 0, gi_bin < 0
    codes = categorize(hot, cold, trend.z, trend.p, alpha=trend_alpha)
    return pd.DataFrame(
        {
            "code": codes,
            "name_zh": [NAMES_ZH[c] for c in codes],
            "trend_z": trend.z,
            "trend_p": trend.p,
            "n_hot": hot.sum(axis=0),
            "n_cold": cold.sum(axis=0),
            "final_gi_bin": gi_bin[-1],
        }
    )
