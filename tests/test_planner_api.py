"""The planner's pages and JSON API on the small street, through Flask's test client."""

from __future__ import annotations

import re
import uuid

import pytest
import shapely

from gridmap import create_app
from gridmap.store import db
from tests import small_street as st
from tests.conftest import sign_in


@pytest.fixture()
def planner(settings, conn, owner):
    st.create(owner, app=conn)
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    client = sign_in(app.test_client(), "planner")
    made = client.post("/planner/plans", data={"name": "合并乙社区", "csrf_token": _token(client)})
    plan_id = int(re.search(r"/planner/plans/(\d+)", made.headers["Location"]).group(1))
    yield app, client, {"X-CSRFToken": _token(client)}, plan_id
    db.close(app)


def _token(client) -> str:
    page = client.get("/account/password").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _draft(client, plan_id):
    return client.get(f"/api/plans/{plan_id}/villages/{st.V2}").get_json()


def _body(draft, moves=None, grids=None, shapes=None):
    units = []
    for f in draft["units"]["features"]:
        p = f["properties"]
        item = {"code": p["code"], "grid": (moves or {}).get(p["code"], p["grid"])}
        if shapes and p["code"] in shapes:
            item["geometry"] = shapes[p["code"]]
        units.append(item)
    return {"base": draft["revision"], "grids": grids or draft["grids"], "units": units}


def test_a_planner_lands_on_the_plans_and_other_roles_are_refused(planner, settings):
    app, client, _, plan_id = planner
    assert "合并乙社区" in client.get("/planner/").get_data(as_text=True)
    center = sign_in(app.test_client(), "center")
    assert center.get("/planner/").status_code == 403
    assert center.get(f"/api/plans/{plan_id}/villages/{st.V2}").status_code == 403


def test_the_draft_the_check_and_a_save(planner):
    _, client, headers, plan_id = planner
    draft = _draft(client, plan_id)
    assert draft["revision"] == 0 and {g["code"] for g in draft["grids"]} == {st.G2, st.G3}
    assert [r["households"] for r in draft["table"]] == [300, 250]
    merged = _body(draft, {st.U4: st.G2}, [g for g in draft["grids"] if g["code"] == st.G2])
    checked = client.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/check", json=merged, headers=headers
    )
    assert checked.status_code == 200
    assert [r["households"] for r in checked.get_json()["table"]] == [550]
    assert [p["kind"] for p in checked.get_json()["problems"]] == ["band"]
    saved = client.post(f"/api/plans/{plan_id}/villages/{st.V2}/save", json=merged, headers=headers)
    assert saved.status_code == 200 and saved.get_json()["revision"] == 1
    assert _draft(client, plan_id)["revision"] == 1


def test_a_save_without_the_token_is_refused(planner):
    _, client, _, plan_id = planner
    answer = client.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/save", json=_body(_draft(client, plan_id))
    )
    assert answer.status_code == 400 and answer.get_json()["error"] == "csrf"


def test_a_stale_save_names_who_saved_first(planner):
    app, client, headers, plan_id = planner
    draft = _draft(client, plan_id)
    other = sign_in(app.test_client(), "planner2")
    first = other.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/save",
        json=_body(draft, {st.U4: st.G2}, [g for g in draft["grids"] if g["code"] == st.G2]),
        headers={"X-CSRFToken": _token(other)},
    )
    assert first.status_code == 200
    late = client.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/save", json=_body(draft), headers=headers
    )
    assert late.status_code == 409
    assert "planner2" in late.get_json()["message"] and "第 1 版" in late.get_json()["message"]


def test_an_overlap_is_refused_with_its_shape(planner):
    _, client, headers, plan_id = planner
    draft = _draft(client, plan_id)
    grown = shapely.geometry.mapping(shapely.box(114.01, 30.0, 114.02, 30.015))
    answer = client.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/save",
        json=_body(draft, shapes={st.U2: grown}),
        headers=headers,
    )
    assert answer.status_code == 400
    overlap = [p for p in answer.get_json()["details"] if p["kind"] == "overlap"]
    assert overlap and overlap[0]["geometry"]["type"]
    assert _draft(client, plan_id)["revision"] == 0


@pytest.mark.parametrize(
    "line",
    [
        [[114.015, 30.009], [114.015, 30.021]],
        [[114.0123, 30.009], [114.0171, 30.021]],  # slanted: its corners are not round numbers
    ],
)
def test_cut_a_unit_and_save_its_parts(planner, line):
    _, client, headers, plan_id = planner
    draft = _draft(client, plan_id)
    url = f"/api/plans/{plan_id}/villages/{st.V2}/cut"
    wrong = client.post(
        url, json={**_body(draft), "unit": st.U4, "line": line, "households": 999}, headers=headers
    )
    assert wrong.status_code == 400 and "0 到 250" in wrong.get_json()["message"]
    cut = client.post(
        url, json={**_body(draft), "unit": st.U4, "line": line, "households": 100}, headers=headers
    )
    parts = cut.get_json()["parts"]
    assert [p["households"] for p in parts] == [100, 150]
    assert {p["code"] for p in parts} == {st.V2 + "003", st.V2 + "004"}
    body = _body(draft, shapes=cut.get_json()["neighbours"])
    assert set(cut.get_json()["neighbours"]) == {st.U2}  # the new corner on U2's edge
    body["units"] = [u for u in body["units"] if u["code"] != st.U4] + [
        {
            "code": p["code"],
            "grid": p["grid_code"],
            "split_from": p["split_from"],
            "households": p["households"],
            "population": p["population"],
            "name": p["name"],
            "geometry": p["geometry"],
        }
        for p in parts
    ]
    saved = client.post(f"/api/plans/{plan_id}/villages/{st.V2}/save", json=body, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    again = client.get(f"/api/plans/{plan_id}/villages/{st.V2}")
    assert b"NaN" not in again.data  # valid JSON: a unit never cut has no origin (null)
    units = {
        f["properties"]["code"]: f["properties"] for f in again.get_json()["units"]["features"]
    }
    assert set(units) == {st.U2, st.V2 + "003", st.V2 + "004"}
    assert units[st.U2]["split_from"] is None and units[st.V2 + "003"]["split_from"] == st.U4


def test_suggest_and_publish_from_the_plan_page(planner):
    app, client, headers, plan_id = planner
    draft = _draft(client, plan_id)
    suggestion = client.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/suggest", json=_body(draft), headers=headers
    )
    assert suggestion.status_code == 200 and set(suggestion.get_json()["assignment"]) == {
        st.U2,
        st.U4,
    }
    merged = _body(draft, {st.U4: st.G2}, [g for g in draft["grids"] if g["code"] == st.G2])
    client.post(f"/api/plans/{plan_id}/villages/{st.V2}/save", json=merged, headers=headers)
    page = client.get(f"/planner/plans/{plan_id}").get_data(as_text=True)
    assert "和平小区" in page and "撤销网格" in page
    bad = client.post(
        f"/planner/plans/{plan_id}/publish",
        data={"effective": "2000-01-01", "csrf_token": _token(client)},
    )
    assert bad.status_code == 400 and "早于今天" in bad.get_data(as_text=True)
    done = client.post(
        f"/planner/plans/{plan_id}/publish", data={"effective": "", "csrf_token": _token(client)}
    )
    assert done.status_code == 302
    assert "已发布" in client.get(done.headers["Location"]).get_data(as_text=True)
    center = sign_in(app.test_client(), "center")  # the same app: its placement sees the new grids
    pin = center.post(
        "/api/incidents",
        headers={"X-CSRFToken": _token(center)},
        json={
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "category": "neighbour",
            "title": "新划分",
            "lon": 114.0152,
            "lat": 30.0151,
            "crs": "wgs84",
        },
    ).get_json()
    assert pin["placement"]["grid"]["code"] == st.G2
    compared = client.get("/planner/divisions").get_data(as_text=True)
    assert "区划版本对照" in compared and "1 个与另一版本不同" in compared  # G3 retired, G2 grown
    assert "2 个与另一版本不同" in compared


def test_import_a_csv_from_the_plan_page_and_see_a_refusal_in_words(planner):
    import io

    _, client, _, plan_id = planner
    good = f"单元代码,网格代码\n{st.U2},{st.G2}\n{st.U4},{st.G2}\n".encode()
    done = client.post(
        f"/planner/plans/{plan_id}/import",
        data={"village": st.V2, "csrf_token": _token(client), "file": (io.BytesIO(good), "a.csv")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    assert _draft(client, plan_id)["revision"] == 1
    missing = f"{st.U2},{st.G2}\n".encode()
    refused = client.post(
        f"/planner/plans/{plan_id}/villages/{st.V2}/import",
        data={"csrf_token": _token(client), "file": (io.BytesIO(missing), "b.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and st.U4 in refused.get_data(as_text=True)
    assert _draft(client, plan_id)["revision"] == 1
    exported = client.get(f"/planner/plans/{plan_id}/villages/{st.V2}/export?format=csv")
    assert exported.status_code == 200 and st.U4.encode() in exported.data


def test_a_rebalance_with_an_empty_grid_asks_for_a_unit_first(planner):
    _, client, headers, plan_id = planner
    draft = _draft(client, plan_id)
    grids = [*draft["grids"], {"code": st.V2 + "003", "name": "新网格", "members": []}]
    answer = client.post(
        f"/api/plans/{plan_id}/villages/{st.V2}/suggest",
        json=_body(draft, grids=grids),
        headers=headers,
    )
    assert answer.status_code == 400 and "「新网格」还没有单元" in answer.get_json()["message"]


def test_the_people_offered_as_grid_members_leave_out_the_office(planner):
    _, client, _, plan_id = planner
    people = {p["name"]: p for p in _draft(client, plan_id)["people"]}
    assert "书记甲" not in people or people["书记甲"]["duties"]  # a planner with a duty stays
    assert people["网格员三"]["local"] and "网格员·乙社区" in people["网格员三"]["duties"]
