"""Kernel density of points (gridmap.center.stats.kde)."""

import numpy as np
import pytest

from gridmap.center.stats import kde


def test_kernel_is_normalised_symmetric_and_zero_beyond_the_bandwidth():
    k = kde.quartic_kernel(cell=1.0, bandwidth=5.0)
    assert k.shape == (11, 11)
    assert k.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(k, k.T)
    np.testing.assert_allclose(k, k[::-1, ::-1])
    assert k[5, 0] == 0 and k[0, 0] == 0  # at distance 5 (= h) and beyond
    assert k[5, 5] == k.max()


def test_sampled_kernel_matches_the_analytic_quartic():
    cell, h = 0.1, 4.0
    k = kde.quartic_kernel(cell, h)
    # on a fine raster Σ K(d)·cell² ≈ 1 already, so rescaling to 1 keeps K(0) = 3/(π h²)
    centre = k[k.shape[0] // 2, k.shape[1] // 2]
    assert centre / cell**2 == pytest.approx(3 / (np.pi * h**2), rel=1e-3)


def test_total_mass_equals_number_of_points_well_inside():
    rng = np.random.default_rng(1)
    x = rng.uniform(300, 700, 5000)
    y = rng.uniform(200, 500, 5000)
    grid, net = kde.density(x, y, (0, 0, 1000, 800), cell=10, bandwidth=100)
    assert grid.shape == (80, 100) == net.shape
    assert grid.min() >= 0
    assert grid.sum() * net.cell**2 == pytest.approx(5000, rel=1e-9)


def test_weights_scale_the_density_and_outside_points_are_ignored():
    x, y = np.array([500.0, 520.0, 5000.0]), np.array([500.0, 480.0, 5000.0])
    plain, _ = kde.density(x, y, (0, 0, 1000, 1000), 20, 150)
    weighted, _ = kde.density(x, y, (0, 0, 1000, 1000), 20, 150, weights=[2.0, 2.0, 9.0])
    np.testing.assert_allclose(weighted, 2 * plain)
    assert plain.sum() * 20**2 == pytest.approx(2.0)


def test_peak_is_at_the_planted_cluster():
    rng = np.random.default_rng(2)
    background = rng.uniform(0, 2000, size=(20_000, 2))
    cluster = rng.normal((1530.0, 420.0), 30.0, size=(2_000, 2))
    pts = np.vstack([background, cluster])
    grid, net = kde.density(pts[:, 0], pts[:, 1], (0, 0, 2000, 2000), 10, 100)
    row, col = np.unravel_index(np.argmax(grid), grid.shape)
    peak_x = net.x0 + (col + 0.5) * net.cell
    peak_y = net.y0 + (row + 0.5) * net.cell  # row 0 is the south edge
    assert abs(peak_x - 1530) <= 30 and abs(peak_y - 420) <= 30


def test_a_hundred_thousand_points_on_200_by_200():
    """The heat surface's largest case: its shape, and no negative density (how fast is
    bench/center.py's to say; timings do not go into tests)."""
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 2000, size=(2, 100_000))
    grid, _ = kde.density(x, y, (0, 0, 2000, 2000), 10, 100)
    assert grid.shape == (200, 200) and (grid >= -1e-9).all() and grid.max() > 0
