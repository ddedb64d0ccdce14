"""Reports from the field through the JSON API: placed, answered, stored once; replays,
conflicts, coordinates, scope and workflow, each refused in Chinese when wrong."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest

from gridmap.core import coords
from tests import small_street as st
from tests.conftest import sign_in

IN_G1 = (114.0052, 30.0051)  # WGS84, in unit U1 of grid G1 (网格员一)
IN_G3 = (114.0152, 30.0151)


@pytest.fixture()
def api(small_app):
    return small_app


def member(app, username: str = "member1"):
    client = sign_in(app.test_client(), username)
    page = client.get("/account/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, {"X-CSRFToken": token}


def report(point=IN_G1, crs="wgs84", **extra) -> dict:
    lon, lat = point
    if crs == "gcj02":
        x, y = coords.wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        lon, lat = float(x[0]), float(y[0])
    if crs == "bd09":
        x, y = coords.gcj02_to_bd09(*coords.wgs84_to_gcj02(np.array([lon]), np.array([lat])))
        lon, lat = float(x[0]), float(y[0])
    return {
        "client_id": str(uuid.uuid4()),
        "kind": "dispute",
        "category": "neighbour",
        "title": "邻里噪音纠纷",
        "description": "楼上装修噪音",
        "lon": lon,
        "lat": lat,
        "crs": crs,
        "position": "manual",
        **extra,
    }


@pytest.mark.parametrize("crs", ["wgs84", "gcj02", "bd09"])
def test_a_pin_is_placed_answered_and_stored_in_wgs84(api, conn, crs):
    client, headers = member(api)
    body = report(crs=crs, parties=[{"role": "当事人", "name": "王五", "phone": "13900000000"}])
    r = client.post("/api/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.get_json()
    answer = r.get_json()
    assert answer["placement"]["grid"]["code"] == st.G1 and answer["notice"] == ""
    assert "网格员一" in [p["name"] for p in answer["people"]]
    assert answer["deadline"]["light"] in ("green", "yellow", "red")
    stored = conn.execute(
        "SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, grid_code, reported_by FROM incident"
        " WHERE street_code = %s AND id = %s",
        (st.CODE, answer["id"]),
    ).fetchone()
    metres = np.hypot((stored["lon"] - IN_G1[0]) * 96_000, (stored["lat"] - IN_G1[1]) * 111_000)
    assert metres < 0.01 and stored["reported_by"] is not None


def test_a_repeat_is_answered_the_same_and_stored_once(api, conn):
    client, headers = member(api)
    body = report()
    first = client.post("/api/incidents", json=body, headers=headers)
    again = client.post("/api/incidents", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    n = conn.execute(
        "SELECT count(*) AS n FROM incident WHERE street_code = %s AND client_id = %s",
        (st.CODE, body["client_id"]),
    ).fetchone()["n"]
    assert n == 1
    other = client.post("/api/incidents", json={**body, "title": "另一件事"}, headers=headers)
    assert other.status_code == 409 and "内容不同" in other.get_json()["message"]


def test_a_pin_outside_the_members_grid_is_routed_with_a_notice(api):
    client, headers = member(api)
    r = client.post("/api/incidents", json=report(IN_G3), headers=headers)
    assert r.status_code == 201
    answer = r.get_json()
    assert answer["placement"]["grid"]["code"] == st.G3 and "已按位置转至" in answer["notice"]
    assert client.get(f"/api/incidents/{answer['id']}").status_code == 404  # now G3's case


@pytest.mark.parametrize(
    "change, message",
    [
        ({"lon": 120.0, "lat": 31.0}, "不在本街道"),
        ({"crs": None}, "请说明坐标系"),
        ({"crs": "utm"}, "未知的坐标系"),
        ({"lon": "abc"}, "经度"),
        ({"lat": 95}, "纬度"),
        ({"position": "device", "accuracy": 500}, "手动落点"),
        ({"kind": "nonsense"}, "未知的事件类型"),
        ({"title": "长" * 201}, "不能超过 200 个字"),
        ({"client_id": "not-a-uuid"}, "UUID"),
        ({"occurred_at": "2100-01-01 00:00"}, "发生时间应在"),
    ],
)
def test_bad_reports_are_refused_in_chinese_and_nothing_is_stored(api, conn, change, message):
    client, headers = member(api)
    body = {k: v for k, v in {**report(), **change}.items() if v is not None}
    r = client.post("/api/incidents", json=body, headers=headers)
    assert r.status_code == 400 and message in r.get_json()["message"], r.get_json()
    n = conn.execute(
        "SELECT count(*) AS n FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchone()["n"]
    assert n == 0


def test_a_report_without_the_csrf_token_is_refused(api, conn):
    client, _headers = member(api)
    r = client.post("/api/incidents", json=report())
    assert r.status_code == 400 and r.get_json()["error"] == "csrf"


def test_a_preview_warns_of_a_similar_incident_nearby(api):
    client, headers = member(api)
    first = client.post("/api/incidents", json=report(), headers=headers).get_json()
    near = report((IN_G1[0] + 0.0005, IN_G1[1]))  # about 50 m away
    warned = client.post("/api/incidents/preview", json=near, headers=headers).get_json()
    assert [s["id"] for s in warned["similar"]] == [first["id"]]
    assert 30 < warned["similar"][0]["distance_m"] < 80
    other = client.post(
        "/api/incidents/preview", json={**near, "category": "land"}, headers=headers
    ).get_json()
    assert other["similar"] == []


def test_moves_follow_the_workflow_and_the_persons_duties(api, conn):
    client, headers = member(api)
    dispute = client.post("/api/incidents", json=report(), headers=headers).get_json()["id"]
    case = client.get(f"/api/incidents/{dispute}").get_json()
    # a grid member's closure waits for review (办结审核): they report it, they do not close it
    offered = [m["to_status"] for m in case["moves"]]
    assert "review" in offered and "resolved" not in offered
    moved = client.post(
        f"/api/incidents/{dispute}/transition",
        json={"to": "review", "expected": "found"},
        headers=headers,
    )
    assert moved.status_code == 200 and moved.get_json()["case"]["status"] == "review"
    again = client.post(
        f"/api/incidents/{dispute}/transition", json={"to": "review"}, headers=headers
    )
    assert again.status_code == 400 and "不能转为" in again.get_json()["message"]
    petition = client.post(
        "/api/incidents", json=report(kind="petition", category=""), headers=headers
    ).get_json()["id"]
    refused = client.post(
        f"/api/incidents/{petition}/transition", json={"to": "accepted"}, headers=headers
    )
    assert refused.status_code == 403 and "您的职务不能办理" in refused.get_json()["message"]
    outsider, other_headers = member(api, "secretary2")
    r = outsider.post(
        f"/api/incidents/{dispute}/transition", json={"to": "mediating"}, headers=other_headers
    )
    assert r.status_code == 404
