"""``GET /api/incidents``: the person's incidents as data, filtered, in a map view, in keyset
pages; nothing outside the scope, nothing as markup, every bad parameter explained."""

from __future__ import annotations

import uuid

import pytest

from gridmap import create_app
from gridmap.data import workflow
from gridmap.store import db
from tests import small_street as st
from tests.test_pins_api import member

G1_POINTS = [(114.0012 + 0.0008 * k, 30.0031) for k in range(7)]  # U1, grid G1
G3_POINT = (114.0152, 30.0151)


@pytest.fixture()
def listed(settings, conn, owner):
    st.create(owner, app=conn)
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    client, headers = member(app, "center")
    made = {}
    for k, (lon, lat) in enumerate([*G1_POINTS, G3_POINT]):
        body = {
            "client_id": str(uuid.uuid4()),
            "kind": "dispute" if k % 2 == 0 else "petition",
            "category": "",
            "title": f"<b>事件{k}</b>",
            "lon": lon,
            "lat": lat,
            "crs": "wgs84",
            "occurred_at": f"2026-11-{10 + k:02d}T09:00:00+08:00",
        }
        r = client.post("/api/incidents", json=body, headers=headers)
        assert r.status_code == 201, r.get_json()
        made[k] = r.get_json()["id"]
    yield app, made
    db.close(app)


def every_page(client, url: str) -> list[dict]:
    items, pages = [], 0
    while url:
        r = client.get(url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        items += body["items"]
        url, pages = body["next"], pages + 1
        assert pages < 50
    return items


def test_the_list_is_data_in_the_scope_and_in_urgency_order(listed):
    app, made = listed
    client, _ = member(app, "member1")
    items = every_page(client, "/api/incidents?limit=3")
    assert sorted(i["id"] for i in items) == sorted(made[k] for k in range(7)), "G1's, not G3's"
    assert len({i["id"] for i in items}) == len(items), "no page repeats a row"
    dues = [i["due_at"] for i in items]
    assert dues == sorted(dues), "most urgent (earliest deadline) first"
    first = items[0]
    assert first["title"].startswith("<b>事件"), "text as data, for the page to show as text"
    assert first["grid_code"] == st.G1 and first["light"] in ("green", "yellow", "red")
    assert "description" not in first and "parties" not in first

    center, _ = member(app, "center")
    assert len(every_page(center, "/api/incidents")) == 8


def test_filters_bbox_and_newest_first(listed):
    app, made = listed
    client, _ = member(app, "center")
    petitions = every_page(client, "/api/incidents?kind=petition&sort=newest&limit=2")
    assert [i["id"] for i in petitions] == [made[7], made[5], made[3], made[1]]
    west = every_page(client, "/api/incidents?bbox=114.0,30.0,114.0030,30.01")
    assert sorted(i["id"] for i in west) == [made[0], made[1], made[2]]
    days = every_page(client, "/api/incidents?from=2026-11-12&to=2026-11-13")
    assert sorted(i["id"] for i in days) == [made[2], made[3]], "Beijing days, both inclusive"
    grid = every_page(client, f"/api/incidents?grid={st.G3}")
    assert [i["id"] for i in grid] == [made[7]]


def test_closed_cases_leave_the_open_list(listed, conn):
    app, made = listed
    workflow.transition(conn, st.CODE, made[0], "resolved", reason="当场化解")
    conn.commit()
    client, _ = member(app, "member1")
    open_ids = {i["id"] for i in every_page(client, "/api/incidents")}
    closed = every_page(client, "/api/incidents?state=closed")
    assert made[0] not in open_ids and [i["id"] for i in closed] == [made[0]]
    assert closed[0]["closed_at"] and closed[0]["light"] is None
    everything = every_page(client, "/api/incidents?state=all")
    assert len(everything) == 7


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("state=maybe", "状态 state"),
        ("kind=fire", "未知的事件类型"),
        ("limit=0", "每页条数"),
        ("limit=500", "每页条数"),
        ("bbox=1,2,3", "bbox"),
        ("from=2026-11-20&to=2026-11-01", "晚于"),
        ("after=abc", "翻页参数"),
        ("light=red&state=closed", "信号灯"),
        ("sort=oldest", "排序"),
    ],
)
def test_bad_parameters_are_explained(listed, query, words):
    app, _made = listed
    client, _ = member(app, "member1")
    r = client.get(f"/api/incidents?{query}")
    assert r.status_code == 400 and words in r.get_json()["message"], r.get_json()


def test_a_cursor_of_another_order_is_refused(listed):
    app, _made = listed
    client, _ = member(app, "center")
    following = client.get("/api/incidents?limit=2").get_json()["next"]
    after = following.split("after=")[1].split("&")[0]
    r = client.get(f"/api/incidents?sort=newest&after={after}")
    assert r.status_code == 400 and "翻页参数" in r.get_json()["message"]
