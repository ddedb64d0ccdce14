"""Mann–Kendall trend test (gridmap.center.stats.trend)."""

import math

import numpy as np
import pytest
from scipy import stats

from gridmap.center.stats.trend import mann_kendall


def test_hand_computed_example_with_a_tie():
    # x = 1, 3, 2, 5, 5. Pairs (i < j), sign(x_j - x_i):
    #   1→3 +, 1→2 +, 1→5 +, 1→5 +, 3→2 −, 3→5 +, 3→5 +, 2→5 +, 2→5 +, 5→5 0   ⇒ S = 8 − 1 = 7
    # Var(S) = [5·4·15 − 2·1·9] / 18 = (300 − 18) / 18 = 15.666…   (one tie group of size 2)
    # z = (7 − 1) / sqrt(15.666…) = 1.51587…,  p = 2 (1 − Φ(z)) = 0.12956…
    res = mann_kendall([1, 3, 2, 5, 5])
    assert res.s == 7
    assert res.var_s == pytest.approx(282 / 18)
    assert res.z == pytest.approx(6 / math.sqrt(282 / 18))
    assert res.z == pytest.approx(1.51587, abs=1e-5)
    assert res.p == pytest.approx(0.12956, abs=1e-5)


def test_s_agrees_with_kendall_tau_b():
    x = np.array([4.0, 1.0, 3.0, 3.0, 7.0, 2.0, 9.0, 9.0, 9.0, 6.0])
    res = mann_kendall(x)
    tau = stats.kendalltau(np.arange(x.size), x).statistic
    n0 = x.size * (x.size - 1) / 2
    n2 = 1 + 3  # tied pairs in x: one pair of 3s, three pairs among the 9s
    assert res.s == pytest.approx(tau * math.sqrt(n0 * (n0 - n2)))


def test_monotone_series_of_twelve_months():
    res = mann_kendall(np.arange(12.0))
    assert res.s == 66
    assert res.var_s == pytest.approx(12 * 11 * 29 / 18)
    assert res.z == pytest.approx(65 / math.sqrt(12 * 11 * 29 / 18))
    assert res.p < 1e-4
    down = mann_kendall(-np.arange(12.0))
    assert down.z == -res.z and down.p == res.p


def test_flat_and_too_short_series_have_no_trend():
    for x in ([5.0] * 12, [1.0]):
        res = mann_kendall(x)
        assert res.z == 0 and res.p == 1


def test_vectorised_columns_match_single_series():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 4, size=(12, 50)).astype(float)  # plenty of ties
    res = mann_kendall(x)
    for j in range(x.shape[1]):
        one = mann_kendall(x[:, j])
        assert (res.s[j], res.var_s[j]) == (one.s, one.var_s)
        assert res.z[j] == pytest.approx(one.z) and res.p[j] == pytest.approx(one.p)
