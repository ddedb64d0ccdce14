"""The command screen (指挥大屏, issue 18): headline figures with their numerators and
denominators (无数据 where there is none), the trend, counts by area, and the overdue board
with one click to 督办 — on the small street, within each account's scope."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from gridmap.accounts.policy import Actor
from gridmap.cases import callback, service
from gridmap.center import board
from gridmap.core import clock
from gridmap.data import accounts
from gridmap.people import sessions
from tests import small_street as st
from tests.conftest import csrf_token, sign_in
from tests.test_integrity import GOOD, INSERT


def make(conn, unit: str = st.U1, days_ago: float = 0) -> int:
    now = clock.now()
    point = "114.005, 30.005" if unit == st.U1 else "114.015, 30.005"
    row = conn.execute(
        INSERT.replace("114.005, 30.005", point) + " RETURNING id",
        {
            **GOOD,
            "unit_code": unit,
            "occurred": now - timedelta(days=days_ago, hours=1),
            "reported": now - timedelta(days=days_ago),
        },
    ).fetchone()
    conn.commit()
    return row["id"]


def actor(conn, username: str) -> Actor:
    account = accounts.by_username(conn, st.CODE, username)
    return Actor.of(account, sessions.scope_of(conn, account))


def figures(shown: dict) -> dict[str, tuple[str, str]]:
    return {label: (value, detail) for label, value, detail in shown["headline"]}


def test_an_empty_street_says_no_data_not_zero_percent(conn, owner):
    st.create(owner, app=conn)
    shown = figures(board.screen(conn, actor(conn, "center")))
    assert shown["在办"][0] == "0" and shown["按期办结率"][0] == "无数据"
    assert shown["满意率"] == ("无数据", "本月回访中满意、基本满意的（尚无可计算的案件）")


def test_the_figures_count_the_record_and_the_board_lists_the_overdue(conn, owner):
    st.create(owner, app=conn)
    center = actor(conn, "center")
    late = make(conn, days_ago=30)  # 排查发现 5 working days: long overdue
    fresh = make(conn)
    other = make(conn, st.U2, days_ago=20)  # overdue too, in P2
    service.move(conn, center, fresh, "resolved")
    conn.commit()
    callback.call_back(conn, center, fresh, "satisfied", "")
    conn.commit()
    shown = board.screen(conn, center)
    numbers = figures(shown)
    assert numbers["在办"][0] == "2" and numbers["超期"][0] == "2"
    assert numbers["今日新增"][0] == "1" and numbers["本月办结"][0] == "1"
    assert numbers["按期办结率"] == ("100.0%", "本月办结中在期限内办结的（1/1）")
    assert numbers["满意率"][0] == "100.0%"
    assert [c["id"] for c in shown["overdue"]] == sorted([late, other])
    row = next(c for c in shown["overdue"] if c["id"] == late)
    assert row["handler"] == "网格员一" and row["days_late"] >= 20 and row["supervisions"] == 0
    assert sum(m["n"] for m in shown["trend"]["series"]) >= 3
    assert {a["name"] for a in shown["areas"]["package_areas"]} == {"一片", "二片"}
    # the 包片 leader of P1 sees P1 only
    mine = board.screen(conn, actor(conn, "leader1"))
    assert [c["id"] for c in mine["overdue"]] == [late]
    assert {a["name"] for a in mine["areas"]["package_areas"]} == {"一片"}


def test_one_click_on_the_board_supervises_and_returns_to_it(small_app, conn):
    late = make(conn, days_ago=30)
    client = sign_in(small_app.test_client(), "center")
    page = client.get("/center/board").get_data(as_text=True)
    assert f'data-supervise="{late}"' in page and "未督办" in page
    form = re.search(r"<form[^>]*supervise[^>]*>(.*?)</form>", page, re.S).group(1)
    data = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', form))
    data["csrf_token"] = csrf_token(client)
    done = client.post(f"/cases/{late}/supervise", data=data)
    assert done.status_code == 303 and done.headers["Location"].endswith("/center/board")
    again = client.get("/center/board").get_data(as_text=True)
    assert "已督办" in again and "共 1 次" in again
    wall = client.get("/center/board?wall=1").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="60">' in wall and "gm-wall" in wall


def test_a_grid_member_sees_the_board_of_their_grid_without_the_supervise_button(small_app, conn):
    make(conn, days_ago=30)
    client = sign_in(small_app.test_client(), "member1")
    page = client.get("/center/board").get_data(as_text=True)
    assert "督办台" in page and "data-supervise" not in page


@pytest.mark.browser
def test_the_board_at_a_wall_screen_and_a_phone(browser, settings, conn, owner, serve):
    from tests.conftest import sign_in_browser

    st.create(owner, app=conn)
    make(conn, days_ago=30)
    url = serve({**settings, "STREET_CODE": st.CODE})
    for width, height in ((1920, 1080), (390, 844)):
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        sign_in_browser(page, url, "center")
        page.goto(url + "/center/board?wall=1")
        assert page.locator("#gm-headline .gm-figure").count() == 7
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{width}px: the page is {overflow}px wider than the screen"
        heights = page.eval_on_selector_all(
            "#gm-trend .gm-bar", "bars => bars.map(b => b.getBoundingClientRect().height)"
        )
        assert len(heights) == 12 and max(heights) > 50
        context.close()
