"""Corrections of the past are new rows with a reason, never edits (issue 17, migration 0022).

A period of responsibility, or a leaving, recorded wrongly or months late is corrected by an
administrator with a reason: the row as first recorded stays, superseded at the moment of the
correction, and the corrected row decides who answered for the cases of that time. Tried on
the small street through the service, the page and the command, and in SQL as the app's role
and as the owner, each refusal in Chinese and nothing left of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from gridmap.accounts.policy import Actor
from gridmap.cli import main as cli
from gridmap.core.errors import BadInput, Conflict, Forbidden
from gridmap.data import accounts
from gridmap.people import corrections, sessions, staffing
from tests import small_street as st
from tests.conftest import csrf_token, sign_in
from tests.test_cluster import env_for
from tests.test_db_guards import denied, ids, one, refused
from tests.test_integrity import GOOD, INSERT

LOCAL_2021 = datetime(2021, 1, 1, tzinfo=UTC) - timedelta(hours=8)  # 2021-01-01 00:00 +08
MAY_2021 = datetime(2021, 5, 1, 2, tzinfo=UTC)  # when the small street's test incident happens


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    conn.execute(INSERT, GOOD)  # a dispute in U1 (G1, V1, P1), May 2021
    conn.commit()


def actor(conn, username: str) -> Actor:
    account = accounts.by_username(conn, st.CODE, username)
    return Actor.of(account, sessions.scope_of(conn, account))


def row_of(conn, person: str) -> dict:
    """The person's one assignment as the record now stands."""
    return one(
        conn,
        "SELECT * FROM assignment_standing WHERE street_code = %s AND person_id = %s",
        (st.CODE, ids(conn)[person]),
    )


def responsible(conn, role: str) -> list[str]:
    """Who answers, by the record as it stands, for the test incident in ``role``."""
    rows = conn.execute(
        "SELECT r.name FROM incident_responsible r WHERE r.street_code = %s AND r.role = %s",
        (st.CODE, role),
    ).fetchall()
    conn.rollback()
    return [r["name"] for r in rows]


def ledger_size(conn) -> tuple[int, int]:
    found = one(
        conn,
        "SELECT (SELECT count(*) FROM assignment WHERE street_code = %(s)s) AS rows,"
        " (SELECT count(*) FROM person_correction WHERE street_code = %(s)s) AS leavings",
        {"s": st.CODE},
    )
    return found["rows"], found["leavings"]


# The correction of a period


def test_a_correction_keeps_the_row_as_first_recorded_and_decides_who_answered(conn, street):
    assert responsible(conn, "package_leader") == ["包一"]
    first = row_of(conn, "包一")
    row = corrections.correct_assignment(
        conn,
        actor(conn, "admin"),
        first["id"],
        first["valid"].lower,
        LOCAL_2021,
        "2020 年底已调任，当时未登记",
    )
    conn.commit()
    assert (row["was_from"], row["was_to"]) == (first["valid"].lower, None)
    assert row["valid_to"] == LOCAL_2021 and row["corrected_by"] == "admin"
    kept = one(conn, "SELECT * FROM assignment WHERE id = %s", (first["id"],))
    assert kept["valid"] == first["valid"] and kept["superseded_at"] is not None
    assert row_of(conn, "包一")["corrects"] == first["id"]
    # the May 2021 case no longer counts against the leader who had gone
    assert responsible(conn, "package_leader") == []
    line = one(
        conn,
        "SELECT username, detail FROM audit_log WHERE street_code = %s"
        " AND action = 'assignment_corrected'",
        (st.CODE,),
    )
    assert line["username"] == "admin" and "2020 年底已调任" in line["detail"]
    assert "原记 2019-01-01 至 今（在任）" in line["detail"]
    # every reader takes the standing rows: the people list shows no duty now
    listed = {
        p["name"]: p["duties"]
        for p in staffing.people_listing(conn, actor(conn, "admin"))["people"]
    }
    assert listed["包一"] is None and listed["包二"]


def test_a_correction_needs_a_reason_and_an_administrator(conn, street):
    first = row_of(conn, "包一")
    before = ledger_size(conn)
    with pytest.raises(BadInput, match="须写明原因"):
        corrections.correct_assignment(
            conn, actor(conn, "admin"), first["id"], first["valid"].lower, LOCAL_2021, "调走"
        )
    conn.rollback()
    with pytest.raises(Forbidden):
        corrections.correct_assignment(
            conn,
            actor(conn, "planner"),
            first["id"],
            first["valid"].lower,
            LOCAL_2021,
            "2020 年底已调任",
        )
    conn.rollback()
    planner = accounts.by_username(conn, st.CODE, "planner")["id"]
    refused(
        conn,
        "SELECT assignment_correct(%s, %s, tstzrange('2019-01-01', '2021-01-01'), %s, %s)",
        (st.CODE, first["id"], "2020 年底已调任", planner),
        "须由本街道在用的系统管理员账号进行",
    )
    refused(
        conn,
        "SELECT assignment_correct(%s, %s, tstzrange('2019-01-01', '2021-01-01'), %s, NULL)",
        (st.CODE, first["id"], "2020 年底已调任"),
        "系统管理员",
    )
    assert ledger_size(conn) == before and row_of(conn, "包一")["id"] == first["id"]


def test_a_correction_is_of_the_past_and_changes_something(conn, street):
    first = row_of(conn, "包一")
    admin = actor(conn, "admin")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for end, words in ((tomorrow, "还没有到"), (None, "与原记录相同")):
        with pytest.raises(BadInput, match=words):
            corrections.correct_assignment(
                conn, admin, first["id"], first["valid"].lower, end, "核对后更正任职期"
            )
        conn.rollback()
    with pytest.raises(BadInput, match="截止晚于开始"):
        corrections.correct_assignment(
            conn, admin, first["id"], LOCAL_2021, LOCAL_2021, "核对后更正任职期"
        )
    conn.rollback()


def test_the_app_role_cannot_write_a_correction_but_through_its_door(conn, owner, street):
    first = row_of(conn, "包一")
    denied(conn, "UPDATE assignment SET superseded_at = now() WHERE id = %s", (first["id"],))
    denied(
        conn,
        "INSERT INTO assignment (street_code, person_id, role, scope_code, valid, corrects,"
        " reason) VALUES (%s, %s, 'package_leader', %s, tstzrange('2019-01-01', '2020-01-01'),"
        " %s, '自己写的更正')",
        (st.CODE, first["person_id"], st.CODE + "-P1", first["id"]),
    )
    # the owner's own SQL holds the ledger together too
    refused(
        owner,
        "UPDATE assignment SET superseded_at = now() WHERE id = %s",
        (first["id"],),
        "只能通过“更正任职期”",
    )
    refused(
        owner,
        "INSERT INTO assignment (street_code, person_id, role, scope_code, valid, corrects,"
        " reason) VALUES (%s, %s, 'grid_member', %s, tstzrange('2020-02-01', '2020-03-01'),"
        " %s, '自己写的更正')",
        (st.CODE, first["person_id"], st.G1, first["id"]),
        "须对应同一人员、职责和范围的一条已被更正的任职记录",
    )
    assert row_of(conn, "包一")["id"] == first["id"]


def test_a_superseded_row_is_history_and_a_correction_is_corrected_in_turn(conn, street):
    first = row_of(conn, "包一")
    admin = actor(conn, "admin")
    second = corrections.correct_assignment(
        conn, admin, first["id"], first["valid"].lower, LOCAL_2021, "2020 年底已调任"
    )
    conn.commit()
    refused(
        conn,
        "UPDATE assignment SET valid = tstzrange(lower(valid), now()) WHERE id = %s",
        (first["id"],),
        f"任职记录 {first['id']} 已于",
    )
    with pytest.raises(Conflict, match=f"已于 .* 更正为任职记录 {second['id']}"):
        corrections.correct_assignment(
            conn, admin, first["id"], first["valid"].lower, None, "又核对了一遍"
        )
    conn.rollback()
    third = corrections.correct_assignment(
        conn,
        admin,
        second["id"],
        first["valid"].lower,
        MAY_2021 + timedelta(days=1),
        "查到 5 月的交接记录，实际 5 月初才离开",
    )
    conn.commit()
    assert third["corrects"] == second["id"]
    assert responsible(conn, "package_leader") == ["包一"]
    record = corrections.person_record(conn, admin, ids(conn)["包一"])
    assert [a["id"] for a in record["assignments"] if a["superseded_at"] is None] == [third["id"]]
    assert {a["corrected_as"] for a in record["assignments"]} == {second["id"], third["id"], None}


def test_a_correction_may_not_overlap_the_next_holder(conn, street):
    secretary, successor = ids(conn)["书记甲"], ids(conn)["书记乙"]
    old = row_of(conn, "书记甲")
    conn.execute(
        "UPDATE assignment SET valid = tstzrange(lower(valid), now() - interval '1 day')"
        " WHERE id = %s",
        (old["id"],),
    )
    conn.execute(
        "INSERT INTO assignment (street_code, person_id, role, scope_code, valid)"
        " VALUES (%s, %s, 'village_secretary', %s, tstzrange(now() - interval '1 day', NULL))",
        (st.CODE, successor, st.V1),
    )
    conn.commit()
    before = ledger_size(conn)
    with pytest.raises(Conflict, match="同一时间只能一人"):
        corrections.correct_assignment(
            conn, actor(conn, "admin"), old["id"], old["valid"].lower, None, "结束任职点错了"
        )
    conn.rollback()
    assert ledger_size(conn) == before
    assert one(conn, "SELECT superseded_at FROM assignment WHERE id = %s", (old["id"],)) == {
        "superseded_at": None
    }
    assert secretary != successor


# The correction of a leaving


def test_a_leaving_entered_months_late_is_corrected_with_its_periods(conn, street):
    member = ids(conn)["网格员一"]
    admin = actor(conn, "admin")
    assert responsible(conn, "grid_member") == ["网格员一"]
    refused(
        conn,
        "UPDATE person SET left_at = '2021-01-01 00:00+08' WHERE id = %s",
        (member,),
        "更正离任时间",
    )
    record = corrections.correct_leaving(
        conn, admin, member, LOCAL_2021, "2020 年底已离职外出务工，村里未及时上报"
    )
    conn.commit()
    assert record["left_at"] == LOCAL_2021
    assert record["leaving"][0]["left_before"] is None
    assert responsible(conn, "grid_member") == []
    standing = [a for a in record["assignments"] if a["superseded_at"] is None]
    assert [(a["valid_to"], a["reason"]) for a in standing] == [
        (LOCAL_2021, "2020 年底已离职外出务工，村里未及时上报")
    ]
    # a recorded leaving is not edited either, only corrected again
    refused(
        conn,
        "UPDATE person SET left_at = '2021-02-01 00:00+08' WHERE id = %s",
        (member,),
        "不能直接修改",
    )
    later = corrections.correct_leaving(
        conn, admin, member, MAY_2021 + timedelta(days=30), "核对工资表，实际 5 月底离职"
    )
    conn.commit()
    assert responsible(conn, "grid_member") == ["网格员一"]
    assert [c["left_before"] for c in later["leaving"]] == [LOCAL_2021, None]
    lines = one(
        conn,
        "SELECT count(*) AS n FROM audit_log WHERE street_code = %s"
        " AND action = 'person_left_corrected'",
        (st.CODE,),
    )
    assert lines["n"] == 2


def test_a_leaving_is_not_corrected_before_a_period_began_or_into_the_future(conn, street):
    successor = ids(conn)["网格员二接任"]  # in G2 since 2021-07-01
    admin = actor(conn, "admin")
    before = ledger_size(conn)
    with pytest.raises(BadInput, match="才开始任职"):
        corrections.correct_leaving(conn, admin, successor, LOCAL_2021, "核对后更正离任时间")
    conn.rollback()
    with pytest.raises(BadInput, match="已经过去的时间"):
        corrections.correct_leaving(
            conn, admin, successor, datetime.now(UTC) + timedelta(days=3), "核对后更正离任时间"
        )
    conn.rollback()
    assert ledger_size(conn) == before
    assert one(conn, "SELECT left_at FROM person WHERE id = %s", (successor,))["left_at"] is None


# The page and the command


def test_the_administrator_corrects_a_period_on_the_person_page(conn, small_app):
    client = small_app.test_client()
    sign_in(client, "admin")
    first = row_of(conn, "包一")
    person = first["person_id"]
    page = client.get(f"/admin/people/{person}")
    assert page.status_code == 200 and "原始记录" in page.get_data(as_text=True)
    url = f"/admin/people/{person}/assignments/{first['id']}/correct"
    token = csrf_token(client)
    missing = client.post(url, data={"csrf_token": token, "from": "2019-01-01", "to": "2021-01-01"})
    assert missing.status_code == 400 and "请填写更正原因" in missing.get_data(as_text=True)
    hostile = "<script>alert(1)</script> 当时未登记"
    done = client.post(
        url,
        data={"csrf_token": token, "from": "2019-01-01", "to": "2021-01-01", "reason": hostile},
    )
    body = done.get_data(as_text=True)
    assert done.status_code == 200, body
    assert "已更正" in body and "原记录保留" in body
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body
    listing = client.get("/admin/people").get_data(as_text=True)
    assert "近期更正" in listing and "&lt;script&gt;" in listing


def test_only_the_administrator_reaches_the_corrections(conn, small_app):
    client = small_app.test_client()
    sign_in(client, "center")
    first = row_of(conn, "包一")
    assert client.get(f"/admin/people/{first['person_id']}").status_code == 403
    answer = client.post(
        f"/admin/people/{first['person_id']}/correct-leaving",
        data={"csrf_token": csrf_token(client), "at": "2021-01-01", "reason": "核对后更正"},
    )
    assert answer.status_code == 403
    assert row_of(conn, "包一")["id"] == first["id"]


def test_the_command_corrects_as_a_named_administrator_and_rolls_back_unless_told(
    conn, settings, street
):
    env = {**env_for(settings), "GRIDMAP_STREET_CODE": st.CODE}

    def run(*args):
        conn.rollback()
        return CliRunner().invoke(cli.main, [str(a) for a in args], env=env)

    member = ids(conn)["网格员三"]
    args = ["people", "correct-leaving", member, "--on", "2021-01-01", "--reason", "村里补报离职"]
    without_user = run(*args)
    assert without_user.exit_code == 1 and "--user" in without_user.output
    as_center = run(*args, "--user", "center")
    assert as_center.exit_code == 1 and "无权" in as_center.output
    dry = run(*args, "--user", "admin")
    assert dry.exit_code == 0 and "未保存" in dry.output, dry.output
    assert one(conn, "SELECT left_at FROM person WHERE id = %s", (member,))["left_at"] is None
    done = run(*args, "--user", "admin", "--commit")
    assert done.exit_code == 0 and "已保存" in done.output, done.output
    shown = run("people", "show", member)
    assert "2021-01-01 离任" in shown.output and "村里补报离职" in shown.output
    bad_day = run("people", "correct-leaving", member, "--on", "0001-01-01", "--reason", "村里补报")
    assert bad_day.exit_code == 1 and "Traceback" not in bad_day.output
