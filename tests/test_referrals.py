"""转办 to a 联动单位 (issue 18): the center refers a case to 派出所 with a date to reply by; the
department's account sees only what was sent to it, replies and so returns it; the center sees
the reply on the case and in its 待办. On the small street, through the services, the pages and
in Chromium; each refusal in Chinese with nothing stored."""

from __future__ import annotations

import re
from datetime import timedelta

import psycopg
import pytest

from gridmap.cases import referrals, todo
from gridmap.core.errors import BadInput, Conflict, Forbidden, NotFound
from gridmap.people import staffing
from tests import small_street as st
from tests.conftest import csrf_token, sign_in, sign_in_browser
from tests.test_casework import actor, count_of, new_case, today


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    conn.commit()


def test_the_center_refers_and_the_police_reply_returns_it(conn, street):
    case = new_case(conn)
    center, police = actor(conn, "center"), actor(conn, "police1")
    assert {d["name"] for d in referrals.departments(conn, center)} >= {"派出所", "司法所", "法庭"}
    sent = referrals.refer(
        conn, center, case, "police", "请协助调查占道一事", today() + timedelta(5)
    )
    conn.commit()
    assert sent["department_name"] == "派出所"
    inbox = referrals.inbox(conn, police)
    assert [r["incident_id"] for r in inbox] == [case] and inbox[0]["note"] == "请协助调查占道一事"
    assert "name" not in inbox[0] and "id_number" not in inbox[0]  # nothing of the parties
    waiting = {s["key"]: s for s in todo.of(conn, center)}
    assert [i["incident_id"] for i in waiting["referral_waiting"]["items"]] == [case]
    referrals.answer(conn, police, inbox[0]["id"], "已出警，双方已调解，建议街道跟进")
    conn.commit()
    with pytest.raises(Conflict, match="答复不能修改"):
        referrals.answer(conn, police, inbox[0]["id"], "再补充一句")
    conn.rollback()
    shown = referrals.of_case(conn, center, case)
    assert shown[0]["reply"] == "已出警，双方已调解，建议街道跟进"
    assert shown[0]["replied_by_name"] == "police1"
    replied = {s["key"]: s for s in todo.of(conn, center)}["referral_replied"]["items"]
    assert [i["incident_id"] for i in replied] == [case] and "派出所：已出警" in replied[0]["note"]


def test_a_referral_is_refused_in_words_and_nothing_is_stored(conn, street):
    case = new_case(conn)
    center = actor(conn, "center")
    with pytest.raises(BadInput, match="没有这个联动单位"):
        referrals.refer(conn, center, case, "fbi", "请协助", today())
    conn.rollback()
    with pytest.raises(BadInput, match="今天至 60 天"):
        referrals.refer(conn, center, case, "police", "请协助", today() - timedelta(1))
    conn.rollback()
    with pytest.raises(Forbidden):  # the chain does not refer; the center coordinates
        referrals.refer(conn, actor(conn, "leader1"), case, "police", "请协助", today())
    conn.rollback()
    referrals.refer(conn, center, case, "police", "请协助", today())
    conn.commit()
    with pytest.raises(Conflict, match="尚未答复，不能重复转办"):
        referrals.refer(conn, center, case, "police", "再请协助", today())
    conn.rollback()
    assert count_of(conn, "incident_referral") == 1


def test_a_department_sees_and_answers_only_what_was_sent_to_it(conn, owner, street):
    case = new_case(conn)
    center, police = actor(conn, "center"), actor(conn, "police1")
    sent = referrals.refer(conn, center, case, "justice", "请司法所协助调解", today())
    conn.commit()
    assert referrals.inbox(conn, police) == []  # sent to 司法所, not to 派出所
    with pytest.raises(NotFound, match="不是转办给本单位的"):
        referrals.answer(conn, police, sent["id"], "我们来答")
    conn.rollback()
    with pytest.raises(Forbidden):
        referrals.inbox(conn, center)
    # the database holds the rule too: a reply only from the department's own account
    police_id = police.account["id"]
    with pytest.raises(psycopg.Error, match="只有被转办的联动单位本身可以答复"):
        conn.execute(
            "UPDATE incident_referral SET reply = '越权答复', replied_by = %s, replied_at = now()"
            " WHERE id = %s",
            (police_id, sent["id"]),
        )
    conn.rollback()


def test_a_department_account_names_its_department(conn, street):
    admin = actor(conn, "admin")
    person = conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = '书记乙'", (st.CODE,)
    ).fetchone()["id"]
    conn.rollback()
    with pytest.raises(BadInput, match="须选择所属单位"):
        staffing.create_account(conn, admin, "court1", "department", person)
    conn.rollback()
    with pytest.raises(BadInput, match="须选择所属单位"):
        staffing.create_account(conn, admin, "court1", "center", person, None, "court")
    conn.rollback()
    with pytest.raises(BadInput, match="没有这个联动单位"):
        staffing.create_account(conn, admin, "court1", "department", person, None, "nope")
    conn.rollback()
    staffing.create_account(conn, admin, "court1", "department", person, None, "court")
    conn.commit()


def test_the_pages_refer_reply_and_keep_others_out(small_app, conn):
    case = new_case(conn)
    center = sign_in(small_app.test_client(), "center")
    page = center.get(f"/cases/{case}").get_data(as_text=True)
    assert 'id="gm-refer"' in page and "派出所" in page
    token = csrf_token(center)
    hostile = "<script>alert(1)</script>请协助"
    done = center.post(
        f"/cases/{case}/refer",
        data={
            "csrf_token": token,
            "department": "police",
            "note": hostile,
            "reply_by": str(today() + timedelta(3)),
        },
    )
    assert done.status_code == 303
    police = sign_in(small_app.test_client(), "police1")
    assert police.get(f"/cases/{case}").status_code == 403  # no case page, no map
    assert police.get("/center/").status_code == 403
    inbox = police.get("/referrals/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in inbox and "<script>alert(1)" not in inbox
    referral = re.search(r"/referrals/(\d+)/reply", inbox).group(1)
    empty = police.post(f"/referrals/{referral}/reply", data={"csrf_token": csrf_token(police)})
    assert empty.status_code == 400 and "请填写答复" in empty.get_data(as_text=True)
    answered = police.post(
        f"/referrals/{referral}/reply",
        data={"csrf_token": csrf_token(police), "reply": "已出警处理"},
    )
    assert answered.status_code == 303
    assert "已答复案件" in police.get("/referrals/").get_data(as_text=True)
    shown = center.get(f"/cases/{case}").get_data(as_text=True)
    assert "已出警处理" in shown and "联动单位答复并退回" in shown


@pytest.mark.browser
def test_the_center_refers_a_case_to_the_police_whose_account_replies(
    browser, settings, conn, owner, serve
):
    st.create(owner, app=conn)
    case = new_case(conn)
    url = serve({**settings, "STREET_CODE": st.CODE})
    errors: list[str] = []
    pages = []
    for username in ("center", "police1"):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        sign_in_browser(page, url, username)
        pages.append(page)
    center, police = pages
    center.goto(f"{url}/cases/{case}")
    center.select_option("#gm-refer [name=department]", "police")
    center.fill("#gm-refer [name=note]", "请派出所协助调查")
    center.fill("#gm-refer [name=reply_by]", str(today() + timedelta(2)))
    center.locator("#gm-refer button[type=submit]").click()
    center.wait_for_load_state("domcontentloaded")
    assert "已转办派出所" in center.locator(".gm-notice").first.inner_text()
    assert police.url.endswith("/referrals/"), "a department lands on its referrals"
    police.reload()
    assert "请派出所协助调查" in police.locator(".gm-referral").first.inner_text()
    police.fill(".gm-referral textarea[name=reply]", "已出警，纠纷已平息")
    police.locator(".gm-referral button[type=submit]").click()
    police.wait_for_load_state("domcontentloaded")
    assert "并退回综治中心" in police.locator(".gm-notice").inner_text()
    center.reload()
    assert "已出警，纠纷已平息" in center.locator("#gm-referrals").inner_text()
    center.goto(f"{url}/cases/todo")
    assert f"案件 {case}" in center.locator("#gm-todo-referral_replied").inner_text()
    assert errors == []
    for page in pages:
        page.context.close()
