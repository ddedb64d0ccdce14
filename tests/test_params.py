"""Parameters are read by one parser per kind of value, and refused, never bent."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gridmap.cli import main as cli
from tests.test_cluster import env_for

SEAT = "lon=113.838&lat=30.4417"
VIEW = "bbox=113.80,30.40,113.88,30.48"


@pytest.mark.parametrize(
    "query,words",
    [
        ("lon=11_3.838&lat=30.4417", "经度必须是数字"),  # float() would read 113.838
        ("lon=1.13838e2&lat=30.4417", "经度必须是数字"),
        ("lon=１１３.838&lat=30.4417", "经度必须是数字"),  # full-width digits
        ("lon=113.838&lat=30.4417&lon=114", "只能给一次"),  # which one was meant?
        (f"{SEAT}&at=2023-06-01&at=2023-07-01", "只能给一次"),
    ],
)
def test_locate_refuses_what_it_would_have_bent(client, query, words):
    r = client.get(f"/api/locate?{query}")
    assert r.status_code == 400, r.get_json()
    assert words in r.get_json()["message"]


@pytest.mark.parametrize(
    "query,words",
    [
        (f"{VIEW}&zoom=abc", "缩放级别 zoom 必须是整数"),  # was read as the default, 14
        (f"{VIEW}&zoom=14.5", "必须是整数"),
        (f"{VIEW}&zoom=99", "超出范围"),
        ("bbox=113_80,30.40,113.88,30.48", "bbox 的每一项必须是数字"),
        (f"{VIEW}&overdue=yes", "只看超期 overdue 只能是"),  # was silently "no"
        (f"{VIEW}&state=open&state=closed", "只能给一次"),
        (f"{VIEW}&package_area=nowhere", "未知的片区"),  # was an empty 200
        (f"{VIEW}&village=420114004999", "未知的村（社区）"),
    ],
)
def test_the_incidents_api_refuses_what_it_would_have_bent(client, query, words):
    r = client.get(f"/api/map/incidents?{query}&from=2023-01-01&to=2023-12-31")
    assert r.status_code == 400, r.get_json()
    assert words in r.get_json()["message"]


def test_good_values_of_each_kind_are_read(client):
    base = f"/api/map/incidents?{VIEW}&from=2023-01-01&to=2023-12-31&zoom=12"
    assert client.get(base).get_json()["mode"] == "grids"
    for flag in ("1", "true", "on", "0", "off", "FALSE"):
        assert client.get(f"{base}&overdue={flag}").status_code == 200, flag
    both = client.get(f"{base}&kind=dispute&kind=petition")  # several kinds: a list, not a repeat
    assert both.status_code == 200
    area = client.get("/api/locate?lon=113.838&lat=30.4417&at=2023-06-01").get_json()
    for name in ("package_area", "village"):
        r = client.get(f"{base}&{name}={area[name]['code']}")
        assert r.status_code == 200 and r.get_json()["total"] > 0, name


def test_the_center_page_refuses_an_unknown_place_and_metric(client):
    for query, words in [
        ("package_area=nowhere", "未知的片区"),
        ("village=nowhere", "未知的村（社区）"),
        ("metric=colour", "着色指标 metric 只能是"),
    ]:
        r = client.get(f"/center/?{query}")
        assert r.status_code == 400 and words in r.get_data(as_text=True), query


def test_no_parameter_may_be_longer_than_200_characters(client):
    for address in ("/api/locate", "/center/", "/api/nothing"):
        r = client.get(f"{address}?{SEAT}&note={'x' * 201}")
        assert r.status_code == 400, address
        assert "过长" in (r.get_json() or {}).get("message", r.get_data(as_text=True))
    assert client.get(f"/api/locate?{SEAT}&note={'x' * 200}").status_code == 200


def test_a_query_string_with_too_many_values_is_refused(client):
    many = "&".join(f"kind=dispute{i}" for i in range(101))
    r = client.get(f"/api/hotspots?{many}")
    assert r.status_code == 400 and "参数过多" in r.get_json()["message"]


def test_the_locate_command_reads_numbers_as_the_api_does(settings, demo_loaded):
    for lon in ("11_3.838", "1.13838e2"):
        result = CliRunner().invoke(
            cli.main, ["locate", lon, "30.4417"], env=env_for(settings), catch_exceptions=False
        )
        assert result.exit_code == 1 and "经度必须是数字" in result.output, result.output
