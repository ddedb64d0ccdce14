"""The Mann–Kendall trend test: is a series going up (or down) over time, beyond chance?

Emerging Hot Spot Analysis uses it on each place's monthly Gi* z-scores: a hot spot whose
z-scores climb month after month is intensifying (矛盾在加剧), one whose z-scores fall is
diminishing (治理见效). The test uses only the order of the values, not their size, so one
exceptional month cannot create a trend by itself.

For a series x_1..x_T the statistic is ``S = Σ_{i<j} sign(x_j − x_i)``: the number of later
values above an earlier one minus the number below. With no trend S has mean 0 and

    Var(S) = [T(T−1)(2T+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18,

the sum running over groups of t_g tied (equal) values. The z-score has a continuity
correction, ``z = (S − sign(S)) / sqrt(Var(S))`` (0 when S = 0), and the two-sided p-value is
``2 · (1 − Φ(|z|))``. A series with no variation (all ties, or T < 2) has z = 0 and p = 1.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats


class MannKendall(NamedTuple):
    """Result of :func:`mann_kendall`: statistic S, its variance, z-score and two-sided p."""

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p: np.ndarray


def _s_and_ties(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S per column, and for every value the size of its tie group (itself included)."""
    t = x.shape[0]
    s = np.zeros(x.shape[1:])
    group = np.ones(x.shape)
    for i in range(t - 1):
        diff = x[i + 1 :] - x[i]
        s += np.sign(diff).sum(axis=0)
        equal = diff == 0
        group[i] += equal.sum(axis=0)
        group[i + 1 :] += equal
    return s, group


def mann_kendall(x) -> MannKendall:
    """Mann–Kendall test along axis 0: ``x`` of shape (T,) or (T, n) gives n tests at once.

    Vectorised over columns: T is small (months) and n large (cells), so the T(T−1)/2 pair
    comparisons run as numpy operations on whole rows.
    """
    x = np.asarray(x, dtype=float)
    one = x.ndim == 1
    x2 = x.reshape(x.shape[0], -1)
    t = x2.shape[0]
    s, group = _s_and_ties(x2)
    # Σ over tie groups of t(t−1)(2t+5) equals Σ over values of (t−1)(2t+5).
    ties = ((group - 1) * (2 * group + 5)).sum(axis=0)
    var_s = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    sd = np.sqrt(np.clip(var_s, 0.0, None))
    z = np.zeros_like(s)
    np.divide(s - np.sign(s), sd, out=z, where=sd > 0)
    p = 2.0 * stats.norm.sf(np.abs(z))
    if one:
        return MannKendall(s[0], var_s[0], z[0], p[0])
    return MannKendall(s, var_s, z, p)
