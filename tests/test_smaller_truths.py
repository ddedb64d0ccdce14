"""Smaller truths (issue 17, item 6): a division to come is 已排期, never 现行; a new plan on a
village a scheduled plan changes says so; the audit log records a plan's creation and a
disabled account's right password, and the auditor reads it all in Chinese words."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest

from gridmap.accounts import pii
from gridmap.accounts.policy import Actor
from gridmap.core import clock
from gridmap.data import accounts, audit, divisions
from gridmap.data import people as people_data
from gridmap.demo import accounts as demo_accounts
from gridmap.people import staffing
from gridmap.planner import planning, plans
from gridmap.planner import release as plan_release
from tests import small_street as st
from tests.conftest import csrf_token, sign_in
from tests.test_history import place_one
from tests.test_plans import RULES, SCOPE, merged_v2
from tests.test_signin import attempt

NEW_YEAR = datetime(2027, 1, 1, tzinfo=clock.LOCAL)


@pytest.fixture()
def small(small_app):
    """An app serving the small street (division A in force since 2020)."""
    return small_app


@pytest.fixture()
def new_year(small, owner):
    """Division B published ahead for 2027-01-01 (the owner's door: no plan, a fixed day)."""
    b = planning.load_draft(owner, st.CODE, "B", *st.frames(moved=True))
    planning.publish(owner, b, NEW_YEAR)
    owner.commit()
    return small, b


def divisions_listed(page: str) -> dict[str, str]:
    """The planner's list of divisions: each division's name and its row as a person reads it."""
    rows = re.findall(r'<tr class="gm-division-\w+">(.*?)</tr>', page, re.S)
    cells = [
        [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
        for r in rows
    ]
    return {c[1]: " ".join(c) for c in cells}


def test_a_division_to_come_is_scheduled_with_its_day_never_current(new_year, conn):
    app, b = new_year
    before, after = datetime(2026, 12, 15, tzinfo=clock.LOCAL), NEW_YEAR + timedelta(days=31)
    with clock.moment(before):
        states = {d["name"]: d["state"] for d in divisions.published(conn, st.CODE)}
        assert states == {"A": divisions.CURRENT, "B": divisions.SCHEDULED}
        client = sign_in(app.test_client(), "planner")
        listed = divisions_listed(client.get("/planner/").get_data(as_text=True))
        assert "已排期 · 自2027年1月1日起" in listed["B"] and "现行" not in listed["B"]
        assert "现行 · 自2020年1月1日起，至2027年1月1日" in listed["A"]
        compare = html.unescape(client.get("/planner/divisions").get_data(as_text=True))
        options = re.findall(r"<option[^>]*>([^<]*)</option>", compare)
        assert f"{b} · B（已排期 · 自2027年1月1日起）" in options
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", compare, re.S)
        assert captions[1].startswith("B（已排期 · 自2027年1月1日起）")
        assert "现行" not in captions[1] and "现行" in captions[0]
    with clock.moment(after):
        states = {d["name"]: d["state"] for d in divisions.published(conn, st.CODE)}
        assert states == {"A": divisions.ENDED, "B": divisions.CURRENT}
        client = sign_in(app.test_client(), "planner")  # a session of its own day
        listed = divisions_listed(client.get("/planner/").get_data(as_text=True))
        assert "现行 · 自2027年1月1日起" in listed["B"]
        assert "已结束 · 2020年1月1日至2027年1月1日" in listed["A"]
        assert "已排期" not in " ".join(listed.values())


def _schedule_v2(conn, days: int = 10) -> tuple[int, datetime]:
    """A plan that merges 乙社区's grids, published for a later day (the database's today)."""
    planner = accounts.by_username(conn, st.CODE, "planner")
    plan_id = plans.create(conn, Actor.of(planner, SCOPE), "下月合并")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(planner, SCOPE), base, new, RULES)
    day = (datetime.now(clock.LOCAL) + timedelta(days=days)).date()
    result = plan_release.publish(conn, Actor.of(planner, SCOPE), plan_id, day, RULES)
    conn.commit()
    return plan_id, result["effective"]


def test_a_new_plan_on_a_village_a_scheduled_plan_changes_says_so(small, conn):
    scheduled, effective = _schedule_v2(conn)
    client = sign_in(small.test_client(), "planner")
    made = client.post("/planner/plans", data={"name": "再调整", "csrf_token": csrf_token(client)})
    plan_page = client.get(made.headers["Location"]).get_data(as_text=True)
    words = (
        f"已排期的方案「下月合并」（方案 {scheduled}）将自{clock.day_words(effective)}起调整乙社区"
    )
    assert words in re.sub(r"<[^>]+>", "", plan_page)
    assert "；已有排期调整）" in plan_page  # 乙社区 marked where a village is chosen
    new_id = int(re.search(r"/planner/plans/(\d+)", made.headers["Location"]).group(1))
    editor = client.get(f"/planner/plans/{new_id}/villages/{st.V2}").get_data(as_text=True)
    assert "gm-scheduled-ahead" in editor and clock.day_words(effective) in editor
    other = client.get(f"/planner/plans/{new_id}/villages/{st.V1}").get_data(as_text=True)
    assert "gm-scheduled-ahead" not in other  # 甲村: no plan to come changes it
    itself = client.get(f"/planner/plans/{scheduled}").get_data(as_text=True)
    assert "gm-scheduled-ahead" not in itself  # the scheduled plan is not warned of itself
    with clock.moment(effective + timedelta(hours=1)):  # come into force: nothing is ahead
        later = client.get(f"/planner/plans/{new_id}").get_data(as_text=True)
        assert "gm-scheduled-ahead" not in later


def test_creating_a_plan_is_in_the_audit_log(small, conn):
    client = sign_in(small.test_client(), "planner")
    made = client.post(
        "/planner/plans", data={"name": "春季调整", "csrf_token": csrf_token(client)}
    )
    plan_id = int(re.search(r"/planner/plans/(\d+)", made.headers["Location"]).group(1))
    copy = client.post(
        f"/planner/plans/{plan_id}/duplicate",
        data={"name": "春季调整二", "csrf_token": csrf_token(client)},
    )
    copy_id = int(re.search(r"/planner/plans/(\d+)", copy.headers["Location"]).group(1))
    lines = audit.entries(conn, st.CODE, action="plan_created")
    assert [(r["username"], r["detail"]) for r in reversed(lines)] == [
        ("planner", f"方案 {plan_id}「春季调整」"),
        ("planner", f"方案 {copy_id}「春季调整二」，复制自方案 {plan_id}"),
    ]
    auditor = sign_in(small.test_client(), "auditor")
    shown = auditor.get("/audit/?action=plan_created").get_data(as_text=True)
    assert "新建网格调整方案" in shown and f"方案 {plan_id}「春季调整」" in shown


def _member1(conn) -> dict:
    return accounts.by_username(conn, st.CODE, "member1")


def test_a_disabled_account_with_its_right_password_is_logged_as_disabled(small, conn):
    wrong = attempt(small.test_client(), "member1", "not-the-password")
    accounts.set_disabled(conn, st.CODE, _member1(conn)["id"], True)
    conn.commit()
    right = attempt(small.test_client(), "member1", demo_accounts.PASSWORD)
    wrong_again = attempt(small.test_client(), "member1", "not-the-password")
    for r in (right, wrong_again):  # the person is told exactly what a wrong password is told
        assert r.status_code == wrong.status_code == 401
        assert _form(r) == _form(wrong)
    lines = audit.entries(conn, st.CODE, action="sign_in_failed")
    assert [r["detail"] for r in reversed(lines)] == ["wrong", "disabled", "wrong"]


def test_an_account_whose_person_left_is_logged_as_left(small, conn):
    people_data.end_person(conn, st.CODE, _member1(conn)["person_id"], clock.now())
    conn.commit()
    assert attempt(small.test_client(), "member1", demo_accounts.PASSWORD).status_code == 401
    (line,) = audit.entries(conn, st.CODE, action="sign_in_failed")
    assert line["detail"] == "left"


def _form(answer) -> str:
    return re.sub(r'value="[^"]*"', "", answer.get_data(as_text=True))


# Codes a line holds that a person must never read on the audit page.
CODES = re.compile(
    r"(?<![A-Za-z_])(wrong|locked|disabled|unusable|left|chain|center|planner|auditor|grid_member"
    r"|village_secretary|name|id_number|phone|address|sign_in\w*|account_\w+|plan_\w+)(?![A-Za-z_])"
)


def test_the_audit_page_says_every_code_in_words(small, conn, placement):
    admin = accounts.by_username(conn, st.CODE, "admin")
    actor = Actor.of(admin, accounts.scope_of(conn, admin, clock.now()))
    lead = conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = '组长三'", (st.CODE,)
    ).fetchone()["id"]
    staffing.create_account(conn, actor, "lead1", "chain", lead)
    start = pd.Timestamp("2024-01-01T00:00+08:00").to_pydatetime()
    staffing.add_assignment(conn, actor, lead, "grid_member", st.G1, start)
    member = _member1(conn)
    case = place_one(conn, placement)
    audit.record(conn, st.CODE, "view_personal", member, incident_id=case, fields=list(pii.FIELDS))
    conn.commit()
    attempt(small.test_client(), "nobody-here", "x")  # wrong (no such account)
    accounts.set_disabled(conn, st.CODE, member["id"], True)
    conn.commit()
    attempt(small.test_client(), "member1", demo_accounts.PASSWORD)  # disabled
    auditor = sign_in(small.test_client(), "auditor")
    page = auditor.get("/audit/").get_data(as_text=True)
    read = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        read.append(" ".join(html.unescape(c) for i, c in enumerate(cells) if i != 1))
    text = "\n".join(read)  # every cell but the account's own name, as a person reads it
    assert CODES.search(text) is None, CODES.search(text)
    for words in (
        "lead1（责任链人员）",
        f"人员 {lead} 任网格员，{st.G1}",
        "姓名、身份证号、电话、住址",
        "用户名不存在或密码错误",
        "账号已停用（密码正确）",
        "（无此账号）",
        "登录失败",
    ):
        assert words in text, words
