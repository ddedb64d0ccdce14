"""Fishnet cell ids, counts and polygons (gridmap.center.stats.fishnet)."""

import numpy as np
import pytest
import shapely

from gridmap.center.stats.fishnet import Fishnet


def test_index_is_row_major_from_south_west():
    net = Fishnet(100.0, 200.0, 10.0, ncols=4, nrows=3)
    x = np.array([100.0, 139.9, 100.0, 125.0, 139.999])
    y = np.array([200.0, 200.0, 210.0, 215.0, 229.999])
    assert net.index(x, y).tolist() == [0, 3, 4, 6, 11]


def test_points_outside_or_nan_get_minus_one():
    net = Fishnet(0.0, 0.0, 1.0, ncols=2, nrows=2)
    x = np.array([-0.01, 2.0, 0.5, 0.5, np.nan, 1e300])
    y = np.array([0.5, 0.5, -1.0, 2.0, 0.5, 0.5])
    assert net.index(x, y).tolist() == [-1] * 6


def test_counts_drop_outside_points_and_take_weights():
    net = Fishnet(0.0, 0.0, 1.0, ncols=3, nrows=2)
    x = [0.5, 0.5, 2.5, 9.0]
    y = [0.5, 0.7, 1.5, 9.0]
    assert net.counts(x, y).tolist() == [2, 0, 0, 0, 0, 1]
    assert net.counts(x, y, weights=[1, 2, 3, 4]).tolist() == [3, 0, 0, 0, 0, 3]


def test_polygons_follow_index_order():
    net = Fishnet(10.0, 20.0, 5.0, ncols=4, nrows=3)
    polys = net.polygons()
    assert len(polys) == net.n == 12
    centroids = shapely.centroid(polys)
    ids = net.index(shapely.get_x(centroids), shapely.get_y(centroids))
    assert ids.tolist() == list(range(12))
    assert np.allclose(shapely.area(polys), 25.0)
    assert shapely.union_all(polys).bounds == net.bounds


def test_covering_rounds_up_to_whole_cells():
    net = Fishnet.covering((0.0, 0.0, 95.0, 40.0), 10.0)
    assert (net.ncols, net.nrows) == (10, 4)
    assert net.shape == (4, 10)
    assert net.bounds == (0.0, 0.0, 100.0, 40.0)


def test_rejects_bad_sizes():
    with pytest.raises(ValueError):
        Fishnet(0.0, 0.0, 0.0, 1, 1)
    with pytest.raises(ValueError):
        Fishnet(0.0, 0.0, 1.0, 0, 1)
