"""Boundaries over time: an incident keeps the grid and people in force when it happened."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from gridmap.accounts.scope import Scope
from gridmap.core.errors import BadInput, Conflict
from gridmap.data import incidents as incident_data
from gridmap.geo.locate import locate
from gridmap.intake import load as incidents
from gridmap.planner import planning
from tests import small_street as st

U4_POINT = (114.015, 30.015)
NEW_FROM = pd.Timestamp("2022-01-01T00:00+08:00").to_pydatetime()


def one(kind="dispute", status="found", when="2021-03-01 10:00", point=U4_POINT, **extra):
    return pd.DataFrame(
        [
            {
                "kind": kind,
                "status": status,
                "lon": point[0],
                "lat": point[1],
                "occurred_at": when,
                "reported_at": "2022-06-01 09:00",
                "title": "测试",
                **extra,
            }
        ]
    )


def place_one(conn, placement, **kw) -> int:
    result = incidents.load(conn, placement, st.CODE, one(**kw), source="test")
    return incident_data.ids_of_batch(conn, st.CODE, result.batch_id)[0]


def people_of(conn, incident_id) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in incident_data.responsible(conn, Scope.street(st.CODE), incident_id):
        out.setdefault(row["role"], []).append(row["name"])
    return out


@pytest.fixture()
def redrawn(conn, owner, placement):
    """Small street with an incident in 2021, then division B (G3 merged into G2) from 2022."""
    st.create(owner, app=conn)
    old = place_one(conn, placement)
    conn.commit()
    # A division goes in force without a plan only through the owner's door (planning.publish).
    draft = planning.load_draft(owner, st.CODE, "B", *st.frames(moved=True))
    planning.publish(owner, draft, NEW_FROM)
    owner.commit()
    return old, draft


def test_old_incident_keeps_its_grid_and_people_after_a_new_division(conn, placement, redrawn):
    old, _ = redrawn
    row = incident_data.get(conn, Scope.street(st.CODE), old)
    assert (row["grid_code"], row["unit_code"]) == (st.G3, st.U4)
    assert people_of(conn, old) == {
        "package_leader": ["包二"],
        "village_secretary": ["书记乙"],
        "group_leader": ["组长四"],
        "grid_member": ["网格员三"],
    }


def test_new_incident_at_the_same_point_lands_in_the_new_grid(conn, placement, redrawn):
    new = place_one(conn, placement, when="2022-03-01 10:00")
    row = incident_data.get(conn, Scope.street(st.CODE), new)
    assert row["grid_code"] == st.G2
    assert row["division_id"] == redrawn[1]
    assert people_of(conn, new)["grid_member"] == ["网格员二接任"]


def test_people_follow_the_time_of_the_incident(conn, placement, redrawn):
    before = place_one(conn, placement, when="2021-03-01 10:00", point=(114.015, 30.005))
    after = place_one(conn, placement, when="2021-09-01 10:00", point=(114.015, 30.005))
    assert people_of(conn, before)["grid_member"] == ["网格员二"]
    assert people_of(conn, after)["grid_member"] == ["网格员二接任"]


def test_locate_answers_for_any_moment(conn, placement, redrawn):
    then = locate(conn, placement, st.CODE, *U4_POINT, pd.Timestamp("2021-05-01T00:00+08:00"))
    now = locate(conn, placement, st.CODE, *U4_POINT, pd.Timestamp("2023-05-01T00:00+08:00"))
    assert (then["grid"]["code"], then["division"]["name"]) == (st.G3, "A")
    assert (now["grid"]["code"], now["division"]["name"]) == (st.G2, "B")
    assert now["division"]["valid_from"] == "2022-01-01T00:00:00+08:00"


def test_old_division_stays_queryable(conn, redrawn):
    rows = conn.execute(
        "SELECT name, upper(valid) AS until FROM division WHERE street_code = %s"
        " ORDER BY lower(valid)",
        (st.CODE,),
    ).fetchall()
    assert [r["name"] for r in rows] == ["A", "B"]
    assert rows[0]["until"] == NEW_FROM


def test_a_published_division_cannot_be_edited(conn, redrawn):
    with pytest.raises(psycopg.DatabaseError, match="已发布，不能再修改其边界"):
        with conn.transaction():
            conn.execute("UPDATE grid SET name = 'x' WHERE street_code = %s", (st.CODE,))


def test_publishing_before_an_existing_incident_is_refused(conn, placement, redrawn):
    place_one(conn, placement, when="2022-05-01 10:00")
    draft = planning.load_draft(conn, st.CODE, "C", *st.frames())
    with pytest.raises(Conflict, match="早于现行区划上最新事件"):
        planning.publish(conn, draft, pd.Timestamp("2022-04-01T00:00+08:00").to_pydatetime())


def test_publishing_before_the_division_in_force_is_refused(conn, redrawn):
    draft = planning.load_draft(conn, st.CODE, "C", *st.frames())
    with pytest.raises(Conflict, match="新版本的生效时间必须晚于"):
        planning.publish(conn, draft, pd.Timestamp("2021-06-01T00:00+08:00").to_pydatetime())


def test_a_division_is_published_once(conn, redrawn):
    with pytest.raises(Conflict, match="已发布"):
        planning.publish(conn, redrawn[1], pd.Timestamp("2030-01-01T00:00+08:00").to_pydatetime())


def test_an_incident_before_any_division_is_refused(conn, placement, redrawn):
    with pytest.raises(BadInput, match="没有生效的网格划分"):
        place_one(conn, placement, when="2019-05-01 10:00")


def test_overlapping_units_are_refused_and_nothing_is_stored(conn, redrawn):
    import shapely

    pa, villages, grids, units = st.frames()
    units.loc[0, "geometry"] = shapely.box(114.0, 30.0, 114.012, 30.01)  # into U2
    before = conn.execute("SELECT count(*) AS n FROM division").fetchone()["n"]
    with pytest.raises(BadInput) as err:
        planning.load_draft(conn, st.CODE, "bad", pa, villages, grids, units)
    assert any("重叠" in d for d in err.value.details)
    assert conn.execute("SELECT count(*) AS n FROM division").fetchone()["n"] == before


def test_a_grid_code_must_extend_its_village_code(conn, redrawn):
    pa, villages, grids, units = st.frames()
    grids.loc[0, "code"] = st.V2 + "009"
    units.loc[units["grid_code"] == st.G1, "grid_code"] = st.V2 + "009"
    with pytest.raises(BadInput) as err:
        planning.load_draft(conn, st.CODE, "bad", pa, villages, grids, units)
    assert any("网格编码应为所属村（社区）编码加 3 位序号" in d for d in err.value.details)
