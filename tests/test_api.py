"""GET /api/locate: which street, package area, village, grid and people cover a point."""

from __future__ import annotations

import numpy as np

from gridmap.core import coords

SEAT = (113.8380, 30.4417)  # the street office, inside 侏儒社区


def test_locate_the_street_seat(client):
    r = client.get(f"/api/locate?lon={SEAT[0]}&lat={SEAT[1]}")
    assert r.status_code == 200
    body = r.get_json()
    assert body["street"] == {"code": "420114004", "name": "侏儒山街道"}
    assert body["village"]["code"] == "420114004001"
    assert body["village"]["name"] == "侏儒社区"
    assert body["grid"]["code"].startswith("420114004001") and len(body["grid"]["code"]) == 15
    assert body["grid"]["households"] > 0
    assert body["synthetic"] is True
    levels = {p["level"] for p in body["people"]}
    assert levels == {1, 2, 3, 4, 5}  # 包片领导, 村书记, 村干部, 小组长, 网格员
    assert "application/json" in r.content_type


def test_locate_at_a_past_moment_names_who_was_in_charge_then(client):
    r = client.get(f"/api/locate?lon={SEAT[0]}&lat={SEAT[1]}&at=2023-03-01")
    assert r.status_code == 200
    assert r.get_json()["at"].startswith("2023-03-01T00:00:00+08:00")


def test_gcj02_input_is_converted_before_locating(client):
    gx, gy = coords.wgs84_to_gcj02(np.array([SEAT[0]]), np.array([SEAT[1]]))
    r = client.get(f"/api/locate?lon={gx[0]}&lat={gy[0]}&crs=gcj02")
    body = r.get_json()
    assert abs(body["point"]["lon"] - SEAT[0]) < 1e-7
    assert body["village"]["code"] == "420114004001"


def test_outside_the_street_is_a_clear_400(client):
    r = client.get("/api/locate?lon=114.30&lat=30.60")  # central Wuhan
    assert r.status_code == 400
    assert r.get_json()["error"] == "outside_street"
    assert "不在本街道的网格范围内" in r.get_json()["message"]


def test_malformed_and_out_of_range_coordinates(client):
    for query, words in [
        ("lon=abc&lat=30", "必须是数字"),
        ("lon=200&lat=30", "超出范围"),
        ("lon=113.8&lat=nan", "必须是数字"),
        ("lat=30", "请提供经度"),
        (f"lon={SEAT[0]}&lat={SEAT[1]}&at=yesterday", "时间格式无法识别"),
        (f"lon={SEAT[0]}&lat={SEAT[1]}&at=2010-01-01", "没有生效的网格划分"),
        (f"lon={SEAT[0]}&lat={SEAT[1]}&crs=utm", "crs 只能是"),
    ]:
        r = client.get(f"/api/locate?{query}")
        assert r.status_code == 400, query
        assert words in r.get_json()["message"], query


def test_unknown_api_path_is_json_404(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404
    assert r.get_json()["error"] == "not_found"
