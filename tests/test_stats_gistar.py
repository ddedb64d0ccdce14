"""Getis-Ord Gi* hot spots (gridmap.center.stats.gistar), checked against esda."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import shapely

from gridmap.center.stats import gistar, weights


def _esda_zs(y, w):
    from esda import G_Local

    return G_Local(y, w, transform="B", star=True, permutations=0).Zs


def _irregular_polygons(n=60, seed=7):
    """A Voronoi tessellation of random points (irregular grids) plus one island polygon."""
    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(rng.uniform(0, 1000, size=(n, 2)))
    frame = shapely.box(0, 0, 1000, 1000)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame))
    cells = shapely.intersection(cells, frame)
    return np.append(cells, shapely.box(5000, 5000, 5100, 5100))


def test_equals_esda_on_a_random_lattice():
    rng = np.random.default_rng(11)
    w = weights.lattice_weights(12, 15)
    y = rng.poisson(4.0, size=w.n).astype(float)
    z = gistar.gi_star(y, weights.to_sparse(w))
    np.testing.assert_allclose(z, _esda_zs(y, w), rtol=0, atol=1e-8)


# esda gives the island a self-weight of 1 (fill_diagonal), and libpysal then warns that the
# new W has two components; that is the case under test, not a problem.
@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected:UserWarning")
def test_equals_esda_on_irregular_polygons_with_an_island():
    geoms = _irregular_polygons()
    w = weights.polygon_weights(geoms)
    assert w.islands == [len(geoms) - 1]
    y = np.random.default_rng(5).gamma(2.0, 3.0, size=len(geoms))
    z = gistar.gi_star(y, weights.to_sparse(w))
    np.testing.assert_allclose(z, _esda_zs(y, w), rtol=0, atol=1e-8)


def test_planted_cluster_is_a_99_percent_hot_spot():
    rng = np.random.default_rng(2)
    nrows = ncols = 30
    y = rng.poisson(2.0, size=(nrows, ncols)).astype(float)
    y[10:13, 20:23] += 15
    df = gistar.hotspots(y.ravel(), weights.lattice_sparse(nrows, ncols))
    assert list(df.columns) == ["z", "p", "q", "gi_bin"]
    assert df.loc[11 * ncols + 21, "gi_bin"] == 3
    assert (df["q"] >= df["p"]).all()


def test_fdr_calls_fewer_spots_on_noise():
    rng = np.random.default_rng(4)
    y = rng.poisson(3.0, size=10_000).astype(float)
    w = weights.lattice_sparse(100, 100)
    raw = gistar.hotspots(y, w, fdr=False)
    fdr = gistar.hotspots(y, w, fdr=True)
    assert (raw["gi_bin"] != 0).sum() > 500  # ~10 % of noise cells pass an uncorrected 90 %
    assert (fdr["gi_bin"] != 0).sum() < 20


def test_classify_levels_and_benjamini_hochberg():
    z = np.array([4.0, -2.5, 2.0, 1.0])
    p = np.array([0.001, 0.02, 0.04, 0.2])
    assert gistar.classify(z, p, fdr=False).tolist() == [3, -2, 2, 0]
    # BH q = p·m/rank: 0.004, 0.04, 0.0533, 0.2
    np.testing.assert_allclose(gistar.fdr_adjust(p), [0.004, 0.04, 0.04 * 4 / 3, 0.2])
    assert gistar.classify(z, p, fdr=True).tolist() == [3, -2, 1, 0]


def test_p_values_are_two_sided():
    p = gistar.p_values([0.0, 1.959964, -2.575829, np.nan])
    np.testing.assert_allclose(p, [1, 0.05, 0.01, 1], rtol=1e-5)


def test_constant_values_give_no_spots_and_no_warnings():
    w = weights.lattice_sparse(5, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = gistar.hotspots(np.full(25, 0.1), w)
        zeros = gistar.hotspots(np.zeros(25), w)
    assert (df["z"] == 0).all() and (df["gi_bin"] == 0).all() and (df["p"] == 1).all()
    assert (zeros["gi_bin"] == 0).all()


def test_neighbourhood_covering_everything_has_z_zero():
    w = weights.lattice_sparse(2, 2)  # every cell neighbours every other one
    assert gistar.gi_star([1.0, 5.0, 2.0, 9.0], w).tolist() == [0.0] * 4


def test_self_weights_in_input_are_not_counted_twice():
    w = weights.lattice_sparse(6, 6)
    y = np.arange(36.0) % 7
    with_diag = (w + sp.eye(36, format="csr")).tocsr()
    np.testing.assert_allclose(gistar.gi_star(y, with_diag), gistar.gi_star(y, w))


@pytest.mark.parametrize("ncells", [10_000, 100_000])
def test_a_hundred_thousand_cells_get_a_z_score_each(ncells):
    """At the fishnet's largest size every cell gets a finite z and a class; how fast is
    bench/center.py's to say (timings do not go into tests)."""
    rng = np.random.default_rng(0)
    ncols = 400
    w = weights.lattice_sparse(ncells // ncols, ncols)
    y = rng.poisson(3.0, size=ncells).astype(float)
    spots = gistar.hotspots(y, w)
    assert len(spots) == ncells and np.isfinite(spots["z"]).all()
    assert set(spots["gi_bin"]) <= {-3, -2, -1, 0, 1, 2, 3}
