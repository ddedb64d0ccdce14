"""Plans on the small street: save, refuse, publish, hand over, cancel (gridmap.planner.plans and
gridmap.planner.release, against the real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import shapely

from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.core import clock
from gridmap.core.errors import BadInput, Conflict
from gridmap.data import accounts, areas, cases
from gridmap.planner import body as plan_body
from gridmap.planner import check as plancheck
from gridmap.planner import plans
from gridmap.planner import release as plan_release
from tests import small_street as st
from tests.test_history import place_one

SCOPE = Scope.street(st.CODE)
RULES = plans.Rules(
    plancheck.Band(20, 200), plancheck.Band(150, 500), 0.2, {"petition": 3.0, "dispute": 2.0}
)


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    conn.commit()
    return accounts.by_username(conn, st.CODE, "planner")


def person(conn, name: str) -> int:
    return conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = %s", (st.CODE, name)
    ).fetchone()["id"]


def body(d: plans.Draft, moves: dict | None = None, grids=None, geometry=None) -> dict:
    """What the page sends: the draft's grids and units, with units moved and shapes redrawn."""
    moves, geometry = moves or {}, geometry or {}
    units = []
    for u in d.units.itertuples(index=False):
        item = {"code": u.code, "grid": moves.get(u.code, u.grid_code)}
        if u.code in geometry:
            item["geometry"] = geometry[u.code]
        units.append(item)
    return {"grids": grids if grids is not None else d.grids, "units": units}


def merged_v2(conn, plan_id: int):
    """V2 with U4 moved into G2 and G3 retired."""
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    grids = [g for g in base.grids if g["code"] == st.G2]
    return base, plan_body.content(base, body(base, {st.U4: st.G2}, grids))


def test_a_village_draft_starts_from_the_division_in_force(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并乙社区网格")
    d = plans.draft(conn, SCOPE, plan_id, st.V2)
    assert d.revision == 0
    assert [g["code"] for g in d.grids] == [st.G2, st.G3]
    assert d.grids[1]["members"] == [person(conn, "网格员三")]
    assert dict(zip(d.units["code"], d.units["grid_code"], strict=True)) == {
        st.U2: st.G2,
        st.U4: st.G3,
    }


def test_a_save_adds_a_revision_and_keeps_the_band_as_a_warning(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    revision, check = plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    conn.commit()
    assert revision == 1
    assert [p.kind for p in check.problems] == ["band"]  # 550 households: saved, marked
    again = plans.draft(conn, SCOPE, plan_id, st.V2)
    assert again.revision == 1 and again.saved_by == "planner"
    assert set(again.units["grid_code"]) == {st.G2}


def test_a_stale_save_is_refused_with_who_and_when(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    other = accounts.by_username(conn, st.CODE, "planner2")
    renamed = plan_body.content(
        base, body(base, grids=[{**base.grids[0], "name": "东区"}, base.grids[1]])
    )
    with pytest.raises(Conflict) as refused:
        plans.save(conn, Actor.of(other, SCOPE), base, renamed, RULES)
    assert "planner" in refused.value.message and "第 1 版" in refused.value.message
    assert "移动 1 个单元" in refused.value.message
    assert plans.draft(conn, SCOPE, plan_id, st.V2).grids[0]["name"] != "东区"


def test_an_overlap_is_refused_drawn_and_nothing_is_saved(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "重画")
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    grown = shapely.geometry.mapping(shapely.box(114.01, 30.0, 114.02, 30.015))  # into U4
    new = plan_body.content(base, body(base, geometry={st.U2: grown}))
    with pytest.raises(BadInput) as refused:
        plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    assert "重叠" in refused.value.message
    kinds = {p["kind"] for p in refused.value.details}
    assert "overlap" in kinds
    assert all(p["geometry"] for p in refused.value.details if p["kind"] == "overlap")
    assert plans.draft(conn, SCOPE, plan_id, st.V2).revision == 0


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        (  # a bow-tie
            {
                "type": "Polygon",
                "coordinates": [
                    [
                        [114.01, 30.0],
                        [114.02, 30.01],
                        [114.02, 30.0],
                        [114.01, 30.01],
                        [114.01, 30.0],
                    ]
                ],
            },
            "无效",
        ),
        (  # first point is not the last
            {
                "type": "Polygon",
                "coordinates": [[[114.01, 30.0], [114.02, 30.0], [114.02, 30.01], [114.01, 30.01]]],
            },
            "没有闭合",
        ),
        ({"type": "Point", "coordinates": [114.01, 30.0]}, "应为多边形"),
    ],
)
def test_a_bad_drawing_is_refused_in_words(conn, street, shape, words):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "坏图形")
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    with pytest.raises(BadInput) as refused:
        new = plan_body.content(base, body(base, geometry={st.U2: shape}))
        plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    assert words in refused.value.message
    assert plans.draft(conn, SCOPE, plan_id, st.V2).revision == 0


def test_units_unknown_missing_or_split_wrong_are_refused(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "单元")
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    content = body(base)
    content["units"] = [content["units"][0], {"code": st.V2 + "099", "grid": st.G2}]
    with pytest.raises(BadInput) as refused:
        plan_body.content(base, content)
    assert f"单元 {st.V2}099 不是本村" in refused.value.message
    assert f"缺少单元 {st.U4}" in refused.value.message
    halves = [
        shapely.box(114.01, 30.01, 114.015, 30.02),
        shapely.box(114.015, 30.01, 114.02, 30.02),
    ]
    content = body(base)
    content["units"] = [content["units"][0]] + [
        {
            "code": st.V2 + c,
            "grid": st.G3,
            "split_from": st.U4,
            "households": h,
            "population": 380,
            "geometry": shapely.geometry.mapping(g),
        }
        for c, h, g in zip(("003", "004"), (100, 100), halves, strict=True)
    ]
    with pytest.raises(BadInput) as refused:
        plan_body.content(base, content)
    assert "户数之和为 200，与原来的 250 不符" in refused.value.message


def test_publish_hands_over_open_cases_and_moves_grid_members(conn, street, placement):
    old = place_one(conn, placement)
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    result = plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, None, RULES)
    conn.commit()
    assert result["units_moved"] == 1 and result["grids_retired"] == 1
    assert result["handed_over"] == 1
    case = conn.execute(
        "SELECT grid_code, handler_grid_code FROM incident WHERE street_code = %s AND id = %s",
        (st.CODE, old),
    ).fetchone()
    assert case == {"grid_code": st.G3, "handler_grid_code": st.G2}  # snapshot kept
    [handover] = cases.handovers(conn, SCOPE, old)
    assert (handover["from_grid_code"], handover["to_grid_code"]) == (st.G3, st.G2)
    now = datetime.now(UTC)
    moment = (now + timedelta(seconds=1)).astimezone(clock.LOCAL).strftime("%Y-%m-%d %H:%M:%S")
    fresh = place_one(conn, placement, when=moment, reported_at=moment)
    assert _grid_of(conn, fresh) == st.G2
    members = conn.execute(
        "SELECT p.name, upper_inf(a.valid) AS open FROM assignment a JOIN person p"
        " ON p.street_code = a.street_code AND p.id = a.person_id"
        " WHERE a.street_code = %s AND a.scope_code = %s AND a.role = 'grid_member'",
        (st.CODE, st.G3),
    ).fetchall()
    assert members == [{"name": "网格员三", "open": False}]
    division = areas.in_force(conn, st.CODE, now)
    assert division["id"] == result["division_id"]
    log = conn.execute(
        "SELECT detail FROM audit_log WHERE street_code = %s AND action = 'plan_published'",
        (st.CODE,),
    ).fetchone()
    assert "乙社区" in log["detail"]


def test_publishing_a_grid_without_a_member_is_refused_and_nothing_changes(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "拆分")
    base = plans.draft(conn, SCOPE, plan_id, st.V1)
    grids = [*base.grids, {"code": st.V1 + "002", "name": "新网格", "members": []}]
    new = plan_body.content(base, body(base, {st.U3: st.V1 + "002"}, grids))
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    before = areas.in_force(conn, st.CODE, datetime.now(UTC))["id"]
    with pytest.raises(BadInput) as refused:
        plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, None, RULES)
    assert "没有网格员" in refused.value.message
    assert areas.in_force(conn, st.CODE, datetime.now(UTC))["id"] == before
    assert plans.plan(conn, SCOPE, plan_id)["status"] == "draft"


def test_an_effective_date_before_today_is_refused(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    yesterday = (datetime.now(clock.LOCAL) - timedelta(days=1)).date()
    with pytest.raises(BadInput) as refused:
        plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, yesterday, RULES)
    assert "早于今天" in refused.value.message


def test_a_scheduled_plan_can_be_cancelled_before_its_day(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "下月合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    before = areas.in_force(conn, st.CODE, datetime.now(UTC))["id"]
    day = (datetime.now(clock.LOCAL) + timedelta(days=3)).date()
    result = plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, day, RULES)
    conn.commit()
    assert result["handed_over"] == 0  # not in force yet
    later = datetime.now(UTC) + timedelta(days=4)
    assert areas.in_force(conn, st.CODE, later)["id"] == result["division_id"]
    plan_release.cancel(conn, Actor.of(street, SCOPE), plan_id)
    conn.commit()
    assert areas.in_force(conn, st.CODE, later)["id"] == before
    assert plans.plan(conn, SCOPE, plan_id)["status"] == "cancelled"
    open_members = conn.execute(
        "SELECT count(*) AS n FROM assignment WHERE street_code = %s AND scope_code = %s"
        " AND role = 'grid_member' AND upper_inf(valid)",
        (st.CODE, st.G3),
    ).fetchone()["n"]
    assert open_members == 1  # 网格员三 keeps G3


def test_two_plans_for_two_villages_never_revert_each_other(conn, street):
    first = plans.create(conn, Actor.of(street, SCOPE), "乙社区")
    second = plans.create(conn, Actor.of(street, SCOPE), "甲村")
    base, new = merged_v2(conn, first)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    b1 = plans.draft(conn, SCOPE, second, st.V1)
    renamed = plan_body.content(b1, body(b1, grids=[{**b1.grids[0], "name": "甲村一格"}]))
    plans.save(conn, Actor.of(street, SCOPE), b1, renamed, RULES)
    plan_release.publish(conn, Actor.of(street, SCOPE), first, None, RULES)
    conn.commit()  # each publish is its own transaction (and moment)
    plan_release.publish(conn, Actor.of(street, SCOPE), second, None, RULES)
    conn.commit()
    division = areas.in_force(conn, st.CODE, datetime.now(UTC))["id"]
    names = {g["code"]: g["name"] for g in areas.grids(conn, division, datetime.now(UTC))}
    assert names == {st.G1: "甲村一格", st.G2: names[st.G2]} and st.G3 not in names


def test_diff_and_duplicate(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    diff = plan_release.diff(conn, SCOPE, plan_id)
    [v] = diff["villages"]
    assert v["moved"] == [
        {"code": st.U4, "name": "和平小区", "households": 250, "from": st.G3, "to": st.G2}
    ]
    assert v["retired"] == [st.G3] and v["lineage"][st.G2] == {st.G2: 300, st.G3: 250}
    assert {m["name"] for m in v["members"]} == {"网格员二接任", "网格员三"}
    copy = plan_release.duplicate(conn, Actor.of(street, SCOPE), plan_id, "")
    assert plans.draft(conn, SCOPE, copy, st.V2).revision == 1
    assert plans.plan(conn, SCOPE, copy)["copied_from"] == plan_id


def _grid_of(conn, incident_id: int) -> str:
    return conn.execute(
        "SELECT grid_code FROM incident WHERE street_code = %s AND id = %s", (st.CODE, incident_id)
    ).fetchone()["grid_code"]


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        (shapely.box(114.01, 30.0, 114.02, 30.009), "空隙"),  # U2 shrunk: a strip left bare
        (shapely.box(114.01, 29.99, 114.02, 30.01), "越出了村（社区）的边界"),  # past the edge
    ],
)
def test_a_gap_or_a_unit_past_the_village_edge_is_refused(conn, street, shape, words):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "边界")
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    new = plan_body.content(base, body(base, geometry={st.U2: shapely.geometry.mapping(shape)}))
    with pytest.raises(BadInput) as refused:
        plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    assert words in refused.value.message
    assert plans.draft(conn, SCOPE, plan_id, st.V2).revision == 0


def test_a_unit_in_a_grid_the_plan_does_not_have_is_refused(conn, street):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "未知网格")
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    new = plan_body.content(base, body(base, {st.U4: st.V2 + "009"}))
    with pytest.raises(BadInput) as refused:
        plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    assert f"网格 {st.V2}009 不在方案中" in refused.value.message
    with pytest.raises(BadInput) as refused:
        plan_body.content(base, body(base, grids=[{"code": "12345", "name": "x", "members": []}]))
    assert "应为本村代码加 3 位序号" in refused.value.message


def test_an_empty_grid_in_any_village_stops_the_publish(conn, street):
    """Every village of the plan must pass: 甲村 is fine, 乙社区 keeps an empty grid."""
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "两村")
    base = plans.draft(conn, SCOPE, plan_id, st.V1)
    g2 = {"code": st.V1 + "002", "name": "二格", "members": [person(conn, "网格员一")]}
    new = plan_body.content(base, body(base, {st.U3: g2["code"]}, [*base.grids, g2]))
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    v2 = plans.draft(conn, SCOPE, plan_id, st.V2)
    emptied = plan_body.content(v2, body(v2, {st.U4: st.G2}))  # G3 kept, with nothing in it
    plans.save(conn, Actor.of(street, SCOPE), v2, emptied, RULES)
    with pytest.raises(BadInput) as refused:
        plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, None, RULES)
    assert "乙社区" in refused.value.message and "没有任何单元" in refused.value.message
    assert "甲村" not in refused.value.message
    assert plans.plan(conn, SCOPE, plan_id)["status"] == "draft"


def test_an_effective_date_before_a_scheduled_division_is_refused(conn, street):
    first = plans.create(conn, Actor.of(street, SCOPE), "先排期")
    base, new = merged_v2(conn, first)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    later = (datetime.now(clock.LOCAL) + timedelta(days=10)).date()
    plan_release.publish(conn, Actor.of(street, SCOPE), first, later, RULES)
    conn.commit()
    second = plans.create(conn, Actor.of(street, SCOPE), "更早")
    b1 = plans.draft(conn, SCOPE, second, st.V1)
    renamed = plan_body.content(b1, body(b1, grids=[{**b1.grids[0], "name": "甲一"}]))
    plans.save(conn, Actor.of(street, SCOPE), b1, renamed, RULES)
    sooner = (datetime.now(clock.LOCAL) + timedelta(days=5)).date()
    with pytest.raises(BadInput) as refused:
        plan_release.publish(conn, Actor.of(street, SCOPE), second, sooner, RULES)
    assert "早于已排期区划" in refused.value.message


def test_a_saved_unit_that_was_never_cut_has_no_origin(conn, street):
    """A unit's missing origin is NULL, never the text 'NaN' (pandas' missing value), so that
    nothing counts it as cut."""
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "两次保存")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    again = plans.draft(conn, SCOPE, plan_id, st.V2)
    plans.save(conn, Actor.of(street, SCOPE), again, plan_body.content(again, body(again)), RULES)
    origins = conn.execute(
        "SELECT DISTINCT split_from FROM plan_unit WHERE street_code = %s AND plan_id = %s",
        (st.CODE, plan_id),
    ).fetchall()
    assert origins == [{"split_from": None}]


def test_only_a_planner_changes_a_plan_though_the_center_sees_the_whole_street(conn, street):
    from gridmap.core.errors import Forbidden

    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    center = accounts.by_username(conn, st.CODE, "center")
    member = accounts.by_username(conn, st.CODE, "member1")
    for someone in (center, member):
        actor = Actor.of(someone, accounts.scope_of(conn, someone, datetime.now(UTC)))
        with pytest.raises(Forbidden, match="无权编辑网格调整方案"):
            plans.save(conn, actor, base, new, RULES)
        with pytest.raises(Forbidden, match="无权发布"):
            plan_release.publish(conn, actor, plan_id, None, RULES)
    planner = accounts.by_username(conn, st.CODE, "planner")
    scope = accounts.scope_of(conn, planner, datetime.now(UTC))
    assert scope.whole and not scope.duties  # reads the street, moves no case


def test_the_served_maintenance_hands_over_plans_come_into_force(conn, owner, street, placement):
    """A plan in force whose cases are not handed over yet (a scheduled one, on its day) is
    picked up by the maintenance `gridmap serve` runs every few minutes, once."""
    from gridmap.cli import upkeep as maintenance

    old = place_one(conn, placement)
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, None, RULES)
    conn.commit()
    # As if its day had just come: in force, its cases not yet handed over.
    owner.execute(
        "UPDATE plan SET handed_over_at = NULL WHERE street_code = %s AND id = %s",
        (st.CODE, plan_id),
    )
    owner.execute(
        "UPDATE incident SET handler_unit_code = NULL, handler_grid_code = NULL,"
        " handler_village_code = NULL, handler_package_area_code = NULL"
        " WHERE street_code = %s AND id = %s",
        (st.CODE, old),
    )
    owner.commit()
    assert maintenance.hand_over_due(conn, st.CODE) == {plan_id: 1}
    assert maintenance.hand_over_due(conn, st.CODE) == {}
    conn.commit()
    assert plans.plan(conn, SCOPE, plan_id)["handed_over_at"] is not None


def test_a_village_changed_by_a_plan_published_since_is_refused_even_in_a_copy(conn, street):
    """Publishing a plan begun (or copied from one begun) before another plan changed the same
    village would put that change back."""
    early = plans.create(conn, Actor.of(street, SCOPE), "先开始")
    b1 = plans.draft(conn, SCOPE, early, st.V2)
    renamed = plan_body.content(b1, body(b1, grids=[{**b1.grids[0], "name": "东区"}, b1.grids[1]]))
    plans.save(conn, Actor.of(street, SCOPE), b1, renamed, RULES)
    conn.commit()
    late = plans.create(conn, Actor.of(street, SCOPE), "后开始，先发布")
    base, new = merged_v2(conn, late)
    plans.save(conn, Actor.of(street, SCOPE), base, new, RULES)
    plan_release.publish(conn, Actor.of(street, SCOPE), late, None, RULES)
    conn.commit()
    copy = plan_release.duplicate(conn, Actor.of(street, SCOPE), early, "")
    conn.commit()
    for plan_id in (early, copy):
        with pytest.raises(Conflict) as refused:
            plan_release.publish(conn, Actor.of(street, SCOPE), plan_id, None, RULES)
        assert "后开始，先发布" in refused.value.message
    again = plan_release.duplicate(
        conn, Actor.of(street, SCOPE), late, ""
    )  # a copy of what is in force
    conn.commit()
    assert plans.draft(conn, SCOPE, again, st.V2).revision == 1


def test_the_parts_of_a_cut_unit_count_the_incidents_inside_them(conn, street, placement):
    from gridmap.planner import unitedit, workload

    moment = (datetime.now(clock.LOCAL) - timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")
    place_one(conn, placement, when=moment, reported_at=moment, point=(114.012, 30.015))
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "分割")
    base = plans.draft(conn, SCOPE, plan_id, st.V2)
    u4 = base.units[base.units["code"] == st.U4].iloc[0].to_dict()
    parts, _ = unitedit.cut(u4, [[114.015, 30.009], [114.015, 30.021]], 100, None, {st.U4})
    body = {
        "grids": base.grids,
        "units": [{"code": st.U2, "grid": st.G2}]
        + [
            {
                "code": p["code"],
                "grid": p["grid_code"],
                "split_from": st.U4,
                "households": p["households"],
                "population": p["population"],
                "geometry": shapely.geometry.mapping(p["geometry"]),
            }
            for p in parts
        ],
    }
    new = plan_body.content(base, body)
    by_code = workload.of_village(conn, SCOPE, st.V2)
    assert by_code[st.U4] == {"dispute": 1}
    counts = workload.of_draft(conn, SCOPE, new, by_code)
    west, east = parts[0]["code"], parts[1]["code"]  # the left of a line walked north: west
    assert counts.get(west) == {"dispute": 1} and east not in counts
