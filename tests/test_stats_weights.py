"""Spatial weights (gridmap.center.stats.weights)."""

import subprocess
import sys

import numpy as np
import shapely

from gridmap.center.stats import weights
from gridmap.center.stats.fishnet import Fishnet


def test_lattice_is_queen_and_row_major():
    w = weights.lattice_weights(3, 4)
    assert w.n == 12
    assert sorted(w.neighbors[0]) == [1, 4, 5]
    assert sorted(w.neighbors[5]) == [0, 1, 2, 4, 6, 8, 9, 10]
    m = weights.to_sparse(w)
    assert m.shape == (12, 12)
    assert set(np.unique(m.data)) == {1.0}
    assert m.diagonal().sum() == 0


def test_lattice_sparse_equals_lat2w():
    for nrows, ncols in [(1, 5), (5, 1), (3, 4), (7, 7)]:
        fast = weights.lattice_sparse(nrows, ncols)
        slow = weights.to_sparse(weights.lattice_weights(nrows, ncols))
        assert (fast != slow).nnz == 0


def test_polygon_weights_on_fishnet_equal_lattice():
    net = Fishnet(0.0, 0.0, 10.0, ncols=5, nrows=4)
    poly = weights.to_sparse(weights.polygon_weights(net.polygons()))
    lattice = weights.to_sparse(weights.lattice_weights(4, 5))
    assert (poly != lattice).nnz == 0


def test_polygon_weights_corner_t_junction_and_island():
    geoms = [
        shapely.box(0, 0, 2, 1),  # 0
        shapely.box(0.5, 1, 1.5, 2),  # 1: sits on 0's edge with no shared vertex (a "T")
        shapely.box(2, 1, 3, 2),  # 2: touches 0 only at the corner (2, 1)
        shapely.box(10, 10, 11, 11),  # 3: island
    ]
    w = weights.polygon_weights(geoms)
    assert w.id_order == [0, 1, 2, 3]
    assert sorted(w.neighbors[0]) == [1, 2]
    assert w.neighbors[1] == [0]
    assert w.neighbors[2] == [0]
    assert w.neighbors[3] == []
    assert w.islands == [3]


def test_modules_do_not_import_libpysal_until_asked():
    code = (
        "import sys\n"
        "import gridmap.center.stats.weights as w, gridmap.center.stats.gistar\n"
        "import gridmap.center.stats.emerging\n"
        "import gridmap.center.stats.kde, gridmap.center.stats.fishnet\n"
        "assert 'libpysal' not in sys.modules\n"
        "w.warm_up()\n"
        "assert 'libpysal' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-W", "error", "-c", code], check=True)
