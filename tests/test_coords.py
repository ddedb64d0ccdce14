"""GCJ-02 → WGS84 converges to centimetres; validation speaks plainly."""

from __future__ import annotations

import numpy as np
import pytest

from gridmap import coords
from gridmap.errors import BadInput


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
