"""The center works its cases (issue 18): 督办 / 催办 and their answers, 办结审核, 回访 with
不满意 reopening, a stale page said with who and when, and 待办 — on the small street, through
the services, the case page's forms and the phone's API, each refusal in Chinese with nothing
changed."""

from __future__ import annotations

import re
from datetime import timedelta

import psycopg
import pytest

from gridmap.accounts.policy import Actor
from gridmap.cases import callback, service, supervision, todo
from gridmap.core import clock
from gridmap.core.clock import LOCAL
from gridmap.core.errors import BadInput, Conflict, Forbidden, NotFound
from gridmap.data import accounts, streets
from gridmap.people import sessions
from tests import small_street as st
from tests.conftest import csrf_token, sign_in
from tests.test_integrity import GOOD, INSERT


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    conn.commit()


def new_case(conn, unit: str = st.U1) -> int:
    """An open dispute (排查发现) reported now, in ``unit`` (U1: G1, V1, P1; U2: G2, V2, P2)."""
    now = clock.now()
    point = "114.005, 30.005" if unit == st.U1 else "114.015, 30.005"
    row = conn.execute(
        INSERT.replace("114.005, 30.005", point) + " RETURNING id",
        {**GOOD, "unit_code": unit, "occurred": now - timedelta(hours=2), "reported": now},
    ).fetchone()
    conn.commit()
    return row["id"]


def actor(conn, username: str) -> Actor:
    account = accounts.by_username(conn, st.CODE, username)
    return Actor.of(account, sessions.scope_of(conn, account))


def today():
    return clock.now().astimezone(LOCAL).date()


def sections(conn, username: str) -> dict[str, list[int]]:
    found = todo.of(conn, actor(conn, username))
    return {s["key"]: [i.get("incident_id") or i["id"] for i in s["items"]] for s in found}


def count_of(conn, table: str) -> int:
    n = conn.execute(
        f"SELECT count(*) AS n FROM {table} WHERE street_code = %s", (st.CODE,)
    ).fetchone()["n"]
    conn.rollback()
    return n


# 督办 / 催办


def test_the_center_supervises_and_the_grid_member_answers_from_their_to_do(conn, street):
    case = new_case(conn)
    made = supervision.supervise(
        conn,
        actor(conn, "center"),
        case,
        "supervise",
        "请三日内反馈调处进展",
        today() + timedelta(3),
    )
    conn.commit()
    assert sections(conn, "member1")["answer"] == [case]
    assert sections(conn, "center")["awaiting"] == [case]
    assert todo.count(conn, actor(conn, "member1")) >= 1
    supervision.answer(conn, actor(conn, "member1"), case, made["id"], "已入户调解，双方同意再谈")
    conn.commit()
    assert case not in sections(conn, "member1")["answer"]
    with pytest.raises(Conflict, match="答复不能修改"):
        supervision.answer(conn, actor(conn, "member1"), case, made["id"], "改一下答复")
    conn.rollback()
    rows = supervision.of_case(conn, actor(conn, "center"), case)
    assert rows[0]["answer"] == "已入户调解，双方同意再谈" and rows[0]["by_name"] == "包二"
    assert rows[0]["answered_by_name"] == "网格员一" and rows[0]["kind_name"] == "督办"


def test_a_package_leader_supervises_their_area_and_a_group_leader_does_not(conn, street):
    case = new_case(conn)
    supervision.supervise(conn, actor(conn, "leader1"), case, "urge", "请尽快处理", today())
    conn.commit()
    with pytest.raises(Forbidden, match="只有综治中心、包片领导和村（社区）书记"):
        supervision.supervise(conn, actor(conn, "grouper1"), case, "urge", "请尽快处理", today())
    conn.rollback()
    # a village secretary of V2 cannot reach a case of V1: answered as if it did not exist
    with pytest.raises(NotFound, match="不在您的负责范围内"):
        supervision.supervise(conn, actor(conn, "secretary2"), case, "urge", "请处理", today())
    conn.rollback()
    assert count_of(conn, "incident_supervision") == 1


def test_a_closed_case_is_not_supervised_and_a_date_must_be_sensible(conn, street):
    case = new_case(conn)
    center = actor(conn, "center")
    for day, words in ((today() - timedelta(1), "今天至 60 天"), (today() + timedelta(61), "60")):
        with pytest.raises(BadInput, match=words):
            supervision.supervise(conn, center, case, "supervise", "请反馈", day)
        conn.rollback()
    with pytest.raises(BadInput, match="未知的督办类型"):
        supervision.supervise(conn, center, case, "order", "请反馈", today())
    conn.rollback()
    service.move(conn, center, case, "resolved")
    conn.commit()
    with pytest.raises(BadInput, match="已办结，不能再督办"):
        supervision.supervise(conn, center, case, "supervise", "请反馈", today())
    conn.rollback()
    assert count_of(conn, "incident_supervision") == 0


def test_the_database_refuses_a_supervision_of_a_closed_case_or_a_rewritten_one(
    conn, owner, street
):
    case = new_case(conn)
    center = actor(conn, "center")
    made = supervision.supervise(conn, center, case, "supervise", "请反馈", today())
    conn.commit()
    rewrite = "UPDATE incident_supervision SET note = '改过的要求' WHERE id = %s"
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(rewrite, (made["id"],))
    conn.rollback()
    with pytest.raises(psycopg.Error, match="只能补记答复"):
        owner.execute(rewrite, (made["id"],))
    owner.rollback()
    service.move(conn, center, case, "resolved")
    conn.commit()
    account = accounts.by_username(conn, st.CODE, "center")["id"]
    with pytest.raises(Exception, match="已于 .* 办结，不能再督办"):
        conn.execute(
            "INSERT INTO incident_supervision (street_code, incident_id, kind, note, answer_by,"
            " by_account) VALUES (%s, %s, 'urge', '请反馈', now() + interval '1 day', %s)",
            (st.CODE, case, account),
        )
    conn.rollback()


# 办结审核


def test_a_closure_from_the_field_waits_for_review_is_returned_and_closed_again(conn, street):
    case = new_case(conn)
    member, center = actor(conn, "member1"), actor(conn, "center")
    offered = {m["to_status"] for m in service.moves(conn, member, service.one(conn, member, case))}
    assert "review" in offered and "resolved" not in offered
    with pytest.raises(Forbidden):
        service.move(conn, member, case, "resolved")
    conn.rollback()
    service.move(conn, member, case, "review", expected="found")
    conn.commit()
    assert service.one(conn, center, case)["closed_at"] is None  # still 在办
    assert sections(conn, "center")["review"] == [case]
    assert "review" not in sections(conn, "member1")  # the grid member does not review
    with pytest.raises(BadInput, match="须填写理由"):
        service.move(conn, center, case, "mediating")
    conn.rollback()
    service.move(conn, center, case, "mediating", reason="协议未签字，请补齐", expected="review")
    conn.commit()
    assert sections(conn, "member1")["returned"] == [case]
    service.move(conn, member, case, "review", expected="mediating")
    service.move(conn, center, case, "resolved", expected="review")
    conn.commit()
    closed = service.one(conn, center, case)
    assert closed["closed_at"] is not None and closed["status_name"] == "已化解"
    assert case in sections(conn, "center")["call_back"]


def test_a_street_may_give_the_review_to_the_village(conn, owner, street):
    case = new_case(conn, st.U2)  # V2, whose secretary has the account secretary2
    member2 = ids_member(conn)
    service.move(conn, Actor.owner(st.CODE), case, "review", by_person=member2)
    conn.commit()
    center, secretary = actor(conn, "center"), actor(conn, "secretary2")

    def moves(who):
        return {m["to_status"] for m in service.moves(conn, who, service.one(conn, who, case))}

    assert moves(center) == {"resolved", "mediating"} and moves(secretary) == set()
    streets.set_closure_review(conn, st.CODE, "village")
    conn.commit()
    assert moves(center) == set() and moves(secretary) == {"resolved", "mediating"}
    assert "review" in sections(conn, "secretary2") and "review" not in sections(conn, "center")
    with pytest.raises(BadInput, match="center（综治中心）或 village"):
        streets.set_closure_review(conn, st.CODE, "district")
    conn.rollback()


def ids_member(conn) -> int:
    return conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = '网格员二接任'", (st.CODE,)
    ).fetchone()["id"]


# 回访


def test_a_callback_follows_a_closing_once_and_unsatisfied_reopens_the_case(conn, street):
    case = new_case(conn)
    center = actor(conn, "center")
    with pytest.raises(BadInput, match="尚未办结"):
        callback.call_back(conn, center, case, "satisfied", "")
    conn.rollback()
    service.move(conn, center, case, "resolved")
    conn.commit()
    with pytest.raises(BadInput, match="写明当事人不满意的原因"):
        callback.call_back(conn, center, case, "unsatisfied", "")
    conn.rollback()
    done = callback.call_back(conn, center, case, "unsatisfied", "对方仍在占用通道")
    conn.commit()
    assert done["reopened"] == "调处中"
    again = service.one(conn, center, case)
    assert again["closed_at"] is None and again["status"] == "mediating"
    service.move(conn, center, case, "resolved", expected="mediating")
    conn.commit()
    callback.call_back(conn, center, case, "satisfied", "已清理")
    conn.commit()
    with pytest.raises(Conflict, match="已经回访过"):
        callback.call_back(conn, center, case, "fairly", "")
    conn.rollback()
    results = [c["result_name"] for c in callback.of_case(conn, center, case)]
    assert results == ["满意", "不满意"]
    with pytest.raises(Forbidden):
        callback.call_back(conn, actor(conn, "leader1"), case, "satisfied", "")
    conn.rollback()


def test_a_stale_page_says_who_acted_first_and_when(conn, street):
    case = new_case(conn)
    service.move(conn, actor(conn, "member1"), case, "mediating", expected="found")
    conn.commit()
    with pytest.raises(Conflict, match=r"已由网格员一于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 办理"):
        service.move(conn, actor(conn, "center"), case, "resolved", expected="found")
    conn.rollback()


# The case page's forms and the phone's API


def test_the_case_page_supervises_and_shows_refusals_in_words(small_app, conn):
    case = new_case(conn)
    client = sign_in(small_app.test_client(), "center")
    page = client.get(f"/cases/{case}").get_data(as_text=True)
    assert 'id="gm-supervise"' in page and "已化解，报审核" not in page  # not the center's move
    token = csrf_token(client)
    bad = client.post(
        f"/cases/{case}/supervise",
        data={
            "csrf_token": token,
            "kind": "supervise",
            "note": "请反馈",
            "answer_by": "2000-01-01",
        },
    )
    assert bad.status_code == 400 and "今天至 60 天之内" in bad.get_data(as_text=True)
    hostile = "<script>alert(1)</script>请反馈"
    done = client.post(
        f"/cases/{case}/supervise",
        data={"csrf_token": token, "kind": "urge", "note": hostile, "answer_by": str(today())},
    )
    assert done.status_code == 303
    shown = client.get(f"/cases/{case}").get_data(as_text=True)
    assert (
        "已催办" in shown and "&lt;script&gt;alert(1)" in shown and "<script>alert(1)" not in shown
    )
    assert f"{today():%Y-%m-%d} 24:00" in shown
    member = sign_in(small_app.test_client(), "member1")
    assert member.get("/api/incidents/todo/count").get_json()["count"] >= 1
    lists = member.get("/api/incidents/todo").get_json()["sections"]
    asked = next(s for s in lists if s["key"] == "answer")["items"]
    assert [a["incident_id"] for a in asked] == [case]
    headers = {"X-CSRFToken": csrf_token(member)}
    url = f"/api/incidents/{case}/supervisions/{asked[0]['id']}/answer"
    empty = member.post(url, json={"answer": ""}, headers=headers)
    assert empty.status_code == 400 and "答复" in empty.get_json()["message"]
    assert member.post(url, json={"answer": "已处理"}, headers=headers).status_code == 200
    assert member.get(f"/api/incidents/{case}").get_json()["supervisions"][0]["answer"] == "已处理"
    todo_page = member.get("/cases/todo").get_data(as_text=True)
    assert "督办、催办待我答复（0）" in todo_page


def test_the_case_page_moves_a_case_and_refuses_a_stale_form(small_app, conn):
    case = new_case(conn)
    client = sign_in(small_app.test_client(), "member1")
    token = csrf_token(client)
    moved = client.post(
        f"/cases/{case}/move", data={"csrf_token": token, "to": "review", "expected": "found"}
    )
    assert moved.status_code == 303
    stale = client.post(
        f"/cases/{case}/move", data={"csrf_token": token, "to": "mediating", "expected": "found"}
    )
    text = stale.get_data(as_text=True)
    assert stale.status_code == 409 and re.search("已由网格员一于 .* 办理", text)
    assert "未保存" in text


def test_the_street_sets_its_reviewer_from_the_command_line(conn, settings, street):
    from click.testing import CliRunner

    from gridmap.cli import main as cli
    from tests.test_cluster import env_for

    env = {**env_for(settings), "GRIDMAP_STREET_CODE": st.CODE}

    def run(*args):
        conn.rollback()
        return CliRunner().invoke(cli.main, list(args), env=env)

    assert "由综治中心审核" in run("review-by").output
    dry = run("review-by", "village")
    assert dry.exit_code == 0 and "未保存" in dry.output
    assert streets.get(conn, st.CODE)["closure_review"] == "center"
    assert run("review-by", "village", "--commit").exit_code == 0
    assert streets.get(conn, st.CODE)["closure_review"] == "village"
    assert run("review-by", "district").exit_code == 2
