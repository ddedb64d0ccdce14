"""The governance center's analysis on the demo street finds what was planted, and only that."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gridmap.center import hotwords
from gridmap.center.stats.patterns import NAMES_ZH
from gridmap.data import demo as demo_data
from tests.conftest import sign_in

PLANTED_YEAR = "from=2023-01-01&to=2023-12-31"  # the hotspots were planted in the report's year
STRONG = {
    "persistent": "persistent_hot",
    "consecutive": "consecutive_hot",
    "diminishing": "diminishing_hot",
}


@pytest.fixture(scope="module")
def hotspots(app):
    with sign_in(app.test_client(), "center") as c:
        body = c.get(f"/api/hotspots?{PLANTED_YEAR}").get_json()
    return {
        f["properties"]["code"]: {**f["properties"], "geometry": f["geometry"]}
        for f in body["features"]
    }


@pytest.fixture(scope="module")
def planted(app):
    from gridmap.store import db

    with db.connect(app.config) as conn:
        return demo_data.hotspots(conn, "420114004")


def test_planted_hotspots_are_significant_hot_spots(hotspots, planted):
    for spot in planted:
        bins = [hotspots[g]["gi_bin"] for g in spot["grid_codes"]]
        assert sum(b >= 2 for b in bins) >= 2, (spot["name"], bins)
        assert min(bins) >= 0, (spot["name"], bins)


def test_planted_hotspots_are_significant_in_their_own_category(client, planted):
    for spot in planted:
        body = client.get(
            f"/api/hotspots?kind=dispute&category={spot['category']}&{PLANTED_YEAR}"
        ).get_json()
        bins = {f["properties"]["code"]: f["properties"]["gi_bin"] for f in body["features"]}
        assert all(bins[g] == 3 for g in spot["grid_codes"]), (spot["name"], bins)


def test_planted_trends_come_out_as_their_emerging_categories(hotspots, planted):
    for spot in planted:
        found = {hotspots[g]["category"] for g in spot["grid_codes"]}
        assert found == {STRONG[spot["pattern"]]}, (spot["name"], found)


def test_a_random_control_area_is_not_a_hot_spot(hotspots, planted):
    centre = {
        c: shapely.centroid(shapely.geometry.shape(p["geometry"])) for c, p in hotspots.items()
    }
    planted_centres = [centre[g] for s in planted for g in s["grid_codes"]]
    far = sorted(
        c for c in hotspots if min(centre[c].distance(p) for p in planted_centres) > 0.03
    )  # ~3 km
    control = np.random.default_rng(2023).choice(far, size=20, replace=False)
    assert [c for c in control if hotspots[c]["gi_bin"] > 0] == []
    assert [c for c in control if hotspots[c]["category"] in set(STRONG.values())] == []


def test_rates_are_per_thousand_households(hotspots):
    for p in hotspots.values():
        assert p["rate"] == pytest.approx(1000 * p["count"] / p["households"])


def test_hotspots_api_takes_the_page_filters(client):
    all_kinds = client.get("/api/hotspots?from=2023-01-01&to=2023-12-31").get_json()
    petitions = client.get("/api/hotspots?kind=petition&from=2023-01-01&to=2023-12-31").get_json()
    assert 0 < petitions["total"] < all_kinds["total"]
    area = client.get("/api/hotspots?package_area=420114004-P1").get_json()
    assert 0 < len(area["features"]) < len(all_kinds["features"])
    assert {f["properties"]["package_area_name"] for f in area["features"]} == {"侏儒山一片"}
    cells = client.get("/api/hotspots?layer=cells").get_json()
    assert cells["features"] and all(f["properties"]["gi_bin"] != 0 for f in cells["features"])


@pytest.mark.parametrize(
    "query,words",
    [
        ("from=2023-13-01", "开始日期格式无法识别"),
        ("from=2023-06-01&to=2023-01-01", "开始日期晚于"),
        ("kind=riot", "未知的事件类型"),
        ("state=maybe", "办理状态只能是"),
        ("layer=hexes", "layer 只能是"),
    ],
)
def test_bad_filters_are_explained(client, query, words):
    r = client.get(f"/api/hotspots?{query}")
    assert r.status_code == 400 and words in r.get_json()["message"]


def test_incidents_in_view_wide_and_close(client):
    wide = client.get(f"/api/map/incidents?bbox=113.6,30.3,114.1,30.6&zoom=11&{PLANTED_YEAR}")
    assert wide.get_json()["mode"] == "grids" and wide.get_json()["total"] > 900
    close = client.get("/api/map/incidents?bbox=113.83,30.43,113.85,30.45&zoom=16").get_json()
    assert close["mode"] == "incidents" and 0 < close["total"] <= 500
    first = close["items"][0]
    assert "popup" not in first, "the API answers data; the page builds the popup"
    for key in ("kind_name", "category_name", "occurred_at", "status_name", "grid_code"):
        assert first[key]
    assert {"package_leader", "village_secretary", "grid_member"} <= set(first["people"])
    bad = client.get("/api/map/incidents?bbox=1,2,3")
    assert bad.status_code == 400 and "bbox" in bad.get_json()["message"]


def test_overdue_only_shows_open_cases_past_their_deadline(client):
    body = client.get(
        "/api/map/incidents?bbox=113.6,30.3,114.1,30.6&zoom=11&overdue=1"
        "&kind=petition&kind=dispute&kind=enforcement&kind=mediation"
    ).get_json()
    assert 0 < body["total"] < 40


def test_a_grid_with_no_incident_is_never_a_hotspot(client):
    """Gi* sums a grid with its neighbours, so an empty grid between busy ones can score hot;
    it is not called one (the demo street's last twelve months had such a grid at 95 %)."""
    for query in ("", PLANTED_YEAR, "kind=petition"):
        body = client.get(f"/api/hotspots?{query}").get_json()
        empty = [f["properties"] for f in body["features"] if f["properties"]["count"] == 0]
        assert empty and [p for p in empty if p["gi_bin"] > 0] == [], query
        assert [p for p in empty if p["category"].endswith("_hot")] == [], query
    cells = client.get("/api/hotspots?layer=cells").get_json()["features"]
    assert [
        c for c in cells if c["properties"]["count"] == 0 and c["properties"]["gi_bin"] > 0
    ] == []


def test_too_few_incidents_are_not_analysed(client):
    """只看超期 leaves a handful of cases: too few for a hot spot analysis, so none is found
    (once, four overdue cases labelled grids without an incident "热点（99% 置信）")."""
    body = client.get("/api/hotspots?overdue=1").get_json()
    assert 0 < body["total"] < hotwords.MIN_EVENTS
    assert {(f["properties"]["gi_bin"], f["properties"]["category"]) for f in body["features"]} == {
        (0, "no_pattern")
    }
    assert client.get("/api/hotspots?overdue=1&layer=cells").get_json()["features"] == []


def test_every_emerging_category_has_its_plain_word():
    assert set(hotwords.TRENDS) == set(NAMES_ZH)
    assert set(hotwords.TRENDS.values()) == {
        hotwords.PERSISTENT,
        hotwords.NEW,
        hotwords.EASING,
        hotwords.NONE,
    }
    assert hotwords.word(3, "persistent_hot", 12) == "持续高发"
    assert hotwords.word(2, "no_pattern", 5) == "高发"
    assert hotwords.word(1, "sporadic_hot", 5) == "新出现"
    assert hotwords.word(3, "diminishing_hot", 5) == "正在缓解"
    assert hotwords.word(3, "persistent_hot", 0) == "无明显聚集"  # no incident: no hotspot
    assert hotwords.word(0, "new_hot", 4) == "无明显聚集"  # not significant over the period
    assert hotwords.word(-2, "new_cold", 0) == "无明显聚集"
