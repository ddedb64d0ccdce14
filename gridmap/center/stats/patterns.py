"""Esri's seventeen emerging hot spot categories, decided from each location's bin history.

Inputs per location: which time steps were significant hot / cold bins and the Mann–Kendall
trend of its z-scores. "At least 90 %" means ``n_hot ≥ 0.9 T`` (11 of 12 months). Hot
patterns require the final step to be hot, except *historical*; cold patterns mirror them.

======================  ==============================================================
new (新增)                final step hot; never hot before
consecutive (连续)        one uninterrupted run of ≥ 2 hot steps ending at the final step,
                        never hot before the run, < 90 % of steps hot
intensifying (加剧)       ≥ 90 % of steps hot incl. the final one, significant trend towards
                        hotter (z rising; for cold spots: z falling)
persistent (持续)         ≥ 90 % hot incl. the final step, no significant trend
diminishing (减弱)        ≥ 90 % hot incl. the final step, significant trend towards cooler
sporadic (零星)           final step hot, hot before with gaps, < 90 % hot, never cold
oscillating (震荡)        final step hot, hot before with gaps, < 90 % hot, cold at some
                        earlier step
historical (历史)         final step not hot, ≥ 90 % of steps hot
======================  ==============================================================

Esri's text leaves the precedence open where a location fits two definitions; here:

- the final step decides first: a final hot step gives a hot pattern, a final cold step a
  cold one, and only when it is neither can a location be *historical* (so 11 hot months
  followed by a cold one is a *new cold spot*, not a historical hot spot);
- ≥ 90 % hot (intensifying / diminishing / persistent) before the < 90 % patterns;
- *new* and *consecutive* speak only of hot history, so they come before *oscillating*: a
  place that was cold and has just turned hot is a *new* (or *consecutive*) hot spot;
  *oscillating* is an on-again off-again hot spot (like *sporadic*) that has also been cold.
"""

from __future__ import annotations

import numpy as np

_KINDS = (
    ("new", "新增"),
    ("consecutive", "连续"),
    ("intensifying", "加剧"),
    ("persistent", "持续"),
    ("diminishing", "减弱"),
    ("sporadic", "零星"),
    ("oscillating", "震荡"),
    ("historical", "历史"),
)
_HOT_COLORS = (
    "#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fd8d3c", "#fdae6b", "#fdd0a2",
)  # fmt: skip
_COLD_COLORS = (
    "#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7",
)  # fmt: skip

#: Legend order: (code, Chinese name, colour); hot in reds/oranges, cold in blues, then grey.
CATEGORIES: list[tuple[str, str, str]] = (
    [(f"{k}_hot", f"{zh}热点", c) for (k, zh), c in zip(_KINDS, _HOT_COLORS, strict=True)]
    + [(f"{k}_cold", f"{zh}冷点", c) for (k, zh), c in zip(_KINDS, _COLD_COLORS, strict=True)]
    + [("no_pattern", "无显著模式", "#d9d9d9")]
)
NAMES_ZH: dict[str, str] = {code: zh for code, zh, _ in CATEGORIES}
COLORS: dict[str, str] = {code: colour for code, _, colour in CATEGORIES}


def _final_run(sig: np.ndarray) -> np.ndarray:
    """Length of the run of significant steps that ends at the final step (0 if not)."""
    run = np.zeros(sig.shape[1], dtype=np.int64)
    alive = np.ones(sig.shape[1], dtype=bool)
    for step in sig[::-1]:
        alive &= step
        run += alive
    return run


def _family(sig, other, towards, away, suffix: str) -> tuple[list, list]:
    """Rules whose final step is significant, for one polarity, in order of precedence.

    ``sig`` is the (T, n) significant bins of this polarity, ``other`` of the opposite one;
    ``towards``/``away`` mark significant trends towards/away from this polarity.
    """
    n_sig = sig.sum(axis=0)
    mostly = _mostly(sig)
    final = sig[-1]
    run = _final_run(sig)
    rules = [
        ("intensifying", final & mostly & towards),
        ("diminishing", final & mostly & away),
        ("persistent", final & mostly),
        ("new", final & (n_sig == 1)),
        ("consecutive", final & (run >= 2) & (n_sig == run)),
        ("oscillating", final & other[:-1].any(axis=0)),
        ("sporadic", final),
    ]
    return [cond for _, cond in rules], [f"{kind}_{suffix}" for kind, _ in rules]


def _mostly(sig: np.ndarray) -> np.ndarray:
    """Significant in at least 90 % of the steps."""
    return sig.sum(axis=0) * 10 >= 9 * sig.shape[0]


def categorize(hot, cold, trend_z, trend_p, alpha: float = 0.05) -> np.ndarray:
    """Category code of each location from (T, n) boolean ``hot``/``cold`` bins and its trend.

    A trend is significant when ``trend_p < alpha``; rising z means hotter, falling colder.
    """
    hot = np.asarray(hot, dtype=bool)
    cold = np.asarray(cold, dtype=bool)
    significant = np.asarray(trend_p) < alpha
    rising = significant & (np.asarray(trend_z) > 0)
    falling = significant & (np.asarray(trend_z) < 0)
    hot_cond, hot_codes = _family(hot, cold, rising, falling, "hot")
    cold_cond, cold_codes = _family(cold, hot, falling, rising, "cold")
    historical = [_mostly(hot), _mostly(cold)]  # the final step is neither hot nor cold here
    return np.select(
        hot_cond + cold_cond + historical,
        hot_codes + cold_codes + ["historical_hot", "historical_cold"],
        default="no_pattern",
    ).astype(object)
