"""GCJ-02 → WGS84 converges to centimetres; validation speaks plainly."""

from __future__ import annotations

import numpy as np
import pytest

from gridmap.core import coords
from gridmap.core.errors import BadInput


def test_gcj02_offset_at_zhurushan_is_hundreds_of_metres():
    gx, gy = coords.wgs84_to_gcj02(np.array([113.838]), np.array([30.4417]))
    metres = np.hypot((gx[0] - 113.838) * 96_000, (gy[0] - 30.4417) * 111_000)
    assert 500 < metres < 700


def test_inverse_round_trip_is_within_a_centimetre():
    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(113.6, 114.1, 1000), rng.uniform(30.2, 30.7, 1000)
    back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert np.max(np.abs(back[0] - lon)) < 1e-7 and np.max(np.abs(back[1] - lat)) < 1e-7


def test_outside_china_nothing_moves():
    gx, gy = coords.wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert (gx[0], gy[0]) == (2.35, 48.85)


@pytest.mark.parametrize("lon,lat", [("x", "30"), ("181", "30"), ("113", "-91"), ("inf", "30")])
def test_parse_lonlat_refuses(lon, lat):
    with pytest.raises(BadInput):
        coords.parse_lonlat(lon, lat)


# Published pairs (the forward formulas' outputs as independent implementations print them in
# their own tests: wandergis/coordtransform's README and test/app.js, hutool's CoordinateUtilTest).
PUBLISHED = {
    "wgs84_to_gcj02": ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    "gcj02_to_bd09": ((116.404, 39.915), (116.41036949371029, 39.92133699351021)),
}


def test_the_forward_formulas_agree_with_published_pairs():
    (lon, lat), want = PUBLISHED["wgs84_to_gcj02"]
    got = coords.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
    assert abs(got[0][0] - want[0]) < 1e-9 and abs(got[1][0] - want[1]) < 1e-9
    (lon, lat), want = PUBLISHED["gcj02_to_bd09"]
    got = coords.gcj02_to_bd09(np.array([lon]), np.array([lat]))
    assert abs(got[0][0] - want[0]) < 1e-9 and abs(got[1][0] - want[1]) < 1e-9


def test_bd09_and_gcj02_come_back_to_wgs84_within_a_centimetre():
    rng = np.random.default_rng(2)
    lon, lat = rng.uniform(113.6, 114.1, 1000), rng.uniform(30.2, 30.7, 1000)
    gcj = coords.wgs84_to_gcj02(lon, lat)
    bd = coords.gcj02_to_bd09(*gcj)
    for system, (x, y) in (("wgs84", (lon, lat)), ("gcj02", gcj), ("bd09", bd)):
        back = coords.to_wgs84(x, y, system)
        metres = np.hypot((back[0] - lon) * 96_000, (back[1] - lat) * 111_000)
        assert metres.max() < 0.01, system
    # The published pair, inverted: BD-09 back to the GCJ-02 it came from.
    (lon0, lat0), (bx, by) = PUBLISHED["gcj02_to_bd09"]
    gx, gy = coords.bd09_to_gcj02(np.array([bx]), np.array([by]))
    assert abs(gx[0] - lon0) < 1e-9 and abs(gy[0] - lat0) < 1e-9
    # BD-09 is about a kilometre from WGS84 at Zhurushan.
    shift = np.hypot((bd[0] - lon) * 96_000, (bd[1] - lat) * 111_000)
    assert 800 < shift.mean() < 1400


def test_an_unknown_coordinate_system_is_refused():
    with pytest.raises(BadInput, match="未知的坐标系"):
        coords.to_wgs84([1.0], [2.0], "utm")
