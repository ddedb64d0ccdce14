"""Emerging Hot Spot Analysis (gridmap.center.stats.emerging, gridmap.center.stats.patterns).

Each designed cube is a 7 × 7 fishnet over 12 months with a 3 × 3 block of cells whose
monthly counts follow a designed series; the block's centre cell (row 3, col 3) must come out
in the category the series was designed for, and a far corner cell must show no pattern.
Hot spots: a block above a low background; cold spots: a block below a high background.
"""

import re

import numpy as np
import pytest

from gridmap.center.stats import emerging, patterns, weights

T, NROWS, NCOLS = 12, 7, 7
BLOCK = [r * NCOLS + c for r in (2, 3, 4) for c in (2, 3, 4)]
CENTRE, CORNER = 3 * NCOLS + 3, 0
W = weights.lattice_sparse(NROWS, NCOLS)
LOW, HIGH = 2, 30  # background counts per cell and month for hot / cold designs

DESIGNS = {
    # hot spots against a background of LOW
    "new_hot": ([LOW] * 11 + [20], LOW),
    "consecutive_hot": ([LOW] * 9 + [20] * 3, LOW),
    "intensifying_hot": ([20 + 2 * t for t in range(T)], LOW),
    "persistent_hot": ([20, 22] * 6, LOW),
    "diminishing_hot": ([42 - 2 * t for t in range(T)], LOW),
    "sporadic_hot": ([20 if t in (2, 5, 8, 11) else LOW for t in range(T)], LOW),
    # cold (0 against 8) for three months, then hot in month 6 and the final month
    "oscillating_hot": ([0, 0, 0, LOW, LOW, LOW, 20, LOW, LOW, LOW, LOW, 20], 8),
    # the two final months are moderate: with k = 1 month 10 is still hot (its window holds
    # month 9), so 11 of 12 months are hot; month 11 is neither hot nor cold
    "historical_hot": ([20] * 10 + [6] * 2, LOW),
    # the cold twins against a background of HIGH
    "new_cold": ([HIGH] * 11 + [0], HIGH),
    "consecutive_cold": ([HIGH] * 9 + [0] * 3, HIGH),
    "intensifying_cold": ([11 - t for t in range(T)], HIGH),
    "persistent_cold": ([1, 0] * 6, HIGH),
    "diminishing_cold": ([t for t in range(T)], HIGH),
    "sporadic_cold": ([0 if t in (2, 5, 8, 11) else HIGH for t in range(T)], HIGH),
    "oscillating_cold": ([60, 60, 60, 28, 28, 28, 0, 28, 28, 28, 28, 0], 22),
    "historical_cold": ([0] * 10 + [24] * 2, HIGH),
}


def _cube(series, background, seed=None):
    if seed is None:
        cube = np.full((T, NROWS * NCOLS), float(background))
    else:
        cube = np.random.default_rng(seed).poisson(background, (T, NROWS * NCOLS)).astype(float)
    cube[:, BLOCK] = np.asarray(series, dtype=float)[:, None]
    return cube


def test_designs_cover_every_category():
    assert set(DESIGNS) | {"no_pattern"} == {code for code, _, _ in emerging.CATEGORIES}


@pytest.mark.parametrize("fdr", [False, True])
@pytest.mark.parametrize("seed", [None, 0], ids=["constant", "poisson"])
@pytest.mark.parametrize("code", list(DESIGNS))
def test_designed_series_yields_its_category(code, seed, fdr):
    series, background = DESIGNS[code]
    df = emerging.emerging_hotspots(_cube(series, background, seed), W, fdr=fdr)
    row = df.loc[CENTRE]
    assert row["code"] == code
    assert row["name_zh"] == emerging.NAMES_ZH[code]
    assert df.loc[CORNER, "code"] == "no_pattern"


def test_trend_and_bin_columns():
    df = emerging.emerging_hotspots(_cube(*DESIGNS["intensifying_hot"]), W)
    assert list(df.columns) == [
        "code",
        "name_zh",
        "trend_z",
        "trend_p",
        "n_hot",
        "n_cold",
        "final_gi_bin",
    ]
    row = df.loc[CENTRE]
    assert row["trend_z"] > 3 and row["trend_p"] < 0.01
    assert (row["n_hot"], row["n_cold"], row["final_gi_bin"]) == (12, 0, 3)
    falling = emerging.emerging_hotspots(_cube(*DESIGNS["diminishing_hot"]), W).loc[CENTRE]
    assert falling["trend_z"] < -3
    persistent = emerging.emerging_hotspots(_cube(*DESIGNS["persistent_hot"]), W).loc[CENTRE]
    assert persistent["trend_p"] > 0.05


def test_constant_cube_has_no_pattern_anywhere():
    df = emerging.emerging_hotspots(np.full((T, 49), 3.0), W)
    assert (df["code"] == "no_pattern").all()
    assert (df["name_zh"] == "无显著模式").all()
    assert (df["trend_p"] == 1).all() and (df["n_hot"] == 0).all()


@pytest.mark.parametrize("k", [1, 2])
def test_space_time_gi_star_equals_esda_on_the_space_time_graph(k):
    """The cube's Gi* is the plain Gi* on a graph whose nodes are (location, step) bins."""
    from esda import G_Local
    from libpysal.weights import W as PysalW

    nrows, ncols, steps = 4, 5, 6
    n = nrows * ncols
    spatial = weights.lattice_sparse(nrows, ncols).tolil().rows
    neighbors = {}
    for t in range(steps):
        for i in range(n):
            near = [i, *spatial[i]]
            bins = [tau * n + j for tau in range(max(0, t - k), t + 1) for j in near]
            neighbors[t * n + i] = [b for b in bins if b != t * n + i]
    w = PysalW(neighbors, id_order=list(range(steps * n)), silence_warnings=True)
    cube = np.random.default_rng(9).poisson(3.0, size=(steps, n)).astype(float)
    z = emerging.space_time_gi_star(cube, weights.lattice_sparse(nrows, ncols), k=k)
    expected = G_Local(cube.ravel(), w, transform="B", star=True, permutations=0).Zs
    np.testing.assert_allclose(z.ravel(), expected, rtol=0, atol=1e-8)


def _codes(hot_rows, cold_rows=None, trend_z=0.0, trend_p=1.0):
    hot = np.array(hot_rows, dtype=bool)[:, None]
    cold = np.zeros_like(hot) if cold_rows is None else np.array(cold_rows, dtype=bool)[:, None]
    return patterns.categorize(hot, cold, np.array([trend_z]), np.array([trend_p]))[0]


def test_rules_at_the_ninety_percent_boundary():
    # 10 steps: 9 hot (90 %) incl. the final one is persistent; 8 hot is not
    assert _codes([0, 1, 1, 1, 1, 1, 1, 1, 1, 1]) == "persistent_hot"
    assert _codes([0, 0, 1, 1, 1, 1, 1, 1, 1, 1]) == "consecutive_hot"
    assert _codes([0, 1, 1, 1, 1, 1, 1, 1, 1, 1], trend_z=2.5, trend_p=0.01) == "intensifying_hot"
    assert _codes([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]) == "historical_hot"
    assert _codes([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]) == "no_pattern"


def test_rule_precedence_for_ambiguous_histories():
    eleven_hot_then_cold = ([1] * 11 + [0], [0] * 11 + [1])
    assert _codes(*eleven_hot_then_cold) == "new_cold"  # the final step decides first
    cold_then_hot = ([0] * 11 + [1], [1] * 4 + [0] * 8)
    assert _codes(*cold_then_hot) == "new_hot"  # new speaks only of hot history
    assert _codes([0, 1, 0, 0, 1, 1], [1, 0, 0, 0, 0, 0]) == "oscillating_hot"
    assert _codes([0, 1, 0, 0, 1, 1]) == "sporadic_hot"
    assert _codes([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], trend_z=3.0, trend_p=0.06) == "persistent_hot"


def test_categories_legend():
    codes = [code for code, _, _ in emerging.CATEGORIES]
    assert len(codes) == len(set(codes)) == 17
    assert codes[0] == "new_hot" and codes[8] == "new_cold" and codes[-1] == "no_pattern"
    names = [zh for _, zh, _ in emerging.CATEGORIES]
    assert names[:8] == [
        "新增热点",
        "连续热点",
        "加剧热点",
        "持续热点",
        "减弱热点",
        "零星热点",
        "震荡热点",
        "历史热点",
    ]
    assert names[8:16] == [name.replace("热点", "冷点") for name in names[:8]]
    assert names[16] == "无显著模式"
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for _, _, colour in emerging.CATEGORIES)


def test_rejects_a_flat_array():
    with pytest.raises(ValueError):
        emerging.emerging_hotspots(np.ones(49), W)
