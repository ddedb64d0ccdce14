"""What a person sees follows the six-level chain at the moment they ask: their grids, their
incidents, their counts, and nothing of the rest (not even a count)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from gridmap import create_app
from gridmap.data import accounts, people
from gridmap.intake import load as incidents
from gridmap.store import db
from tests import small_street as st
from tests.conftest import sign_in

PERIOD = "from=2026-01-01&to=2026-11-30"
WHOLE = "bbox=113.99,29.99,114.03,30.03&zoom=17"
# Incidents per unit (the small street: U1 and U3 in G1, U2 in G2, U4 in G3).
PLACED = {
    st.U1: (114.005, 30.005, 3),
    st.U3: (114.005, 30.015, 2),
    st.U2: (114.015, 30.005, 4),
    st.U4: (114.015, 30.015, 5),
}


@pytest.fixture()
def small(settings, conn, owner, placement):
    st.create(owner, app=conn)
    rows = []
    for lon, lat, n in PLACED.values():
        for k in range(n):
            rows.append(
                {
                    "kind": "dispute",
                    "status": "found",
                    "lon": lon + k * 1e-4,
                    "lat": lat,
                    "occurred_at": f"2026-06-{k + 1:02d} 10:00",
                    "reported_at": f"2026-06-{k + 1:02d} 11:00",
                    "title": f"纠纷{k}",
                }
            )
    incidents.load(conn, placement, st.CODE, pd.DataFrame(rows), source="t")
    conn.commit()
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    yield app
    db.close(app)


def seen(app, username: str) -> dict:
    client = sign_in(app.test_client(), username)
    spots = client.get(f"/api/hotspots?{PERIOD}").get_json()
    cells = client.get(f"/api/hotspots?{PERIOD}&layer=cells").get_json()
    markers = client.get(f"/api/map/incidents?{PERIOD}&{WHOLE}").get_json()
    return {
        "grids": sorted(f["properties"]["code"] for f in spots["features"]),
        "total": spots["total"],
        "cells": cells["features"],
        "incidents": markers["total"],
        "client": client,
    }


def test_the_center_sees_the_street(small):
    s = seen(small, "center")
    assert s["grids"] == [st.G1, st.G2, st.G3] and s["total"] == 14 and s["incidents"] == 14


def test_a_grid_member_sees_their_grid_only(small):
    s = seen(small, "member1")
    assert s["grids"] == [st.G1] and s["total"] == 5 and s["incidents"] == 5
    other = s["client"].get(f"/api/hotspots?{PERIOD}&package_area={st.CODE}-P2").get_json()
    assert other["features"] == [] and other["total"] == 0
    zoomed_out = s["client"].get(
        f"/api/map/incidents?{PERIOD}&bbox=113.99,29.99,114.03,30.03&zoom=10"
    )
    assert [i["count"] for i in zoomed_out.get_json()["items"]] == [5]


def test_a_village_secretary_sees_their_village(small):
    s = seen(small, "secretary2")
    assert s["grids"] == [st.G2, st.G3] and s["total"] == 9 and s["incidents"] == 9


def test_a_group_leader_sees_their_units_incidents_and_no_grid_figures(small):
    s = seen(small, "grouper1")
    assert s["grids"] == [] and s["total"] == 0 and s["cells"] == []
    assert s["incidents"] == 3


def test_a_person_whose_assignment_ended_sees_nothing(small):
    s = seen(small, "member2old")  # 网格员二's assignment ended in 2021
    assert s["grids"] == [] and s["incidents"] == 0 and s["total"] == 0
    page = s["client"].get("/center/").get_data(as_text=True)
    assert "没有在任的责任区" in page


def test_a_leader_whose_assignment_ended_yesterday_sees_nothing_today(small, conn):
    assert seen(small, "leader1")["total"] == 5
    leader = accounts.by_username(conn, st.CODE, "leader1")
    duty = conn.execute(
        "SELECT id FROM assignment WHERE street_code = %s AND person_id = %s",
        (st.CODE, leader["person_id"]),
    ).fetchone()["id"]
    people.end_assignment(conn, st.CODE, duty, datetime.now(UTC) - timedelta(days=1))
    conn.commit()
    after = seen(small, "leader1")
    assert after["grids"] == [] and after["incidents"] == 0 and after["total"] == 0


def test_a_leader_lands_on_their_area_with_their_name_and_counts(small, conn):
    client = sign_in(small.test_client(), "leader1")
    page = client.get("/center/").get_data(as_text=True)
    assert "我的责任区" in page and "包一" in page and "包片党政领导" in page
    direct = conn.execute(
        """SELECT count(*) FILTER (WHERE closed_at IS NULL) AS open,
                  count(*) FILTER (WHERE closed_at IS NULL AND due_at < now()) AS overdue
             FROM incident WHERE street_code = %s AND package_area_code = %s""",
        (st.CODE, st.CODE + "-P1"),
    ).fetchone()
    assert f'<td id="gm-open">{direct["open"]}</td>' in page
    assert f'<td id="gm-overdue">{direct["overdue"]}</td>' in page
    assert direct["open"] == 5


def test_resources_are_shown_at_their_village_with_phones_for_the_center_only(conn, demo_loaded):
    from gridmap.accounts.scope import Scope
    from gridmap.data import areas
    from gridmap.data import center as center_data

    now = datetime.now(UTC)
    street = "420114004"
    division = areas.in_force(conn, street, now)["id"]
    whole = center_data.resources(conn, Scope.street(street), division, now)
    assert whole and all(r["phone"] for r in whole)
    homes = {
        (round(r["lon"], 6), round(r["lat"], 6))
        for r in conn.execute(
            "SELECT ST_X(home) AS lon, ST_Y(home) AS lat FROM person"
            " WHERE street_code = %s AND home IS NOT NULL",
            (street,),
        )
    }
    assert homes and not {(round(r["lon"], 6), round(r["lat"], 6)) for r in whole} & homes
    member = accounts.scope_of(conn, accounts.by_username(conn, street, "gridmember"), now)
    mine = center_data.resources(conn, member, division, now)
    assert mine and len(mine) < len(whole) and not any(r["phone"] for r in mine)


def test_an_unknown_area_in_the_filters_is_a_chinese_400(client):
    for query in ("package_area=XYZ", "village=123"):
        page = client.get(f"/center/?{query}")
        assert page.status_code == 400 and "未知的" in page.get_data(as_text=True)
        api = client.get(f"/api/hotspots?{query}")
        assert api.status_code == 400 and api.get_json()["error"] == "bad_input"
