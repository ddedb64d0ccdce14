"""The planner's editor in headless Chromium: paint a unit into another grid and see the table,
redraw an edge into an overlap and see it refused in red, take a suggested rebalance, assign
grid members and publish (then a new incident lands in the new grid, an old one keeps its
grid, and an open case of the retired grid shows its new handler), and two planners' stale
save."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.core import clock
from gridmap.data import plans as store
from gridmap.planner import plans, workload
from tests import small_street as st
from tests.conftest import sign_in_browser, wait_until
from tests.test_history import place_one

pytestmark = pytest.mark.browser


@pytest.fixture()
def street(settings, conn, owner, placement):
    st.create(owner, app=conn)
    old = place_one(conn, placement)  # open, in U4 (grid G3), 2021
    conn.commit()
    return {**settings, "STREET_CODE": st.CODE}, old


def new_plan(conn, street_code: str, username: str = "planner") -> int:
    from gridmap.data import accounts

    account = accounts.by_username(conn, street_code, username)
    plan_id = plans.create(conn, Actor.of(account, Scope.street(street_code)), "网格调整")
    conn.commit()
    return plan_id


def open_editor(page, url: str, plan_id: int, village: str, username: str = "planner"):
    sign_in_browser(page, url, username)
    page.goto(f"{url}/planner/plans/{plan_id}/villages/{village}")
    wait_until(page, "document.body.dataset.ready === '1'")


def row(page, grid: str) -> list[str]:
    return page.locator(f"#gm-table tr[data-grid='{grid}'] td").all_inner_texts()


def drag_vertex(page, lon: float, lat: float, to_lon: float, to_lat: float) -> None:
    """Drag the vertex handle at (lon, lat) to (to_lon, to_lat), as a mouse would."""
    box = page.locator(".gm-editor-map .folium-map").bounding_box()

    def at(x, y):
        p = page.evaluate(
            f"(() => {{ const p = gmMap.latLngToContainerPoint([{y}, {x}]);"
            " return [p.x, p.y]; })()"
        )
        return box["x"] + p[0], box["y"] + p[1]

    page.mouse.move(*at(lon, lat))
    page.mouse.down()
    page.mouse.move(*at((lon + to_lon) / 2, (lat + to_lat) / 2), steps=5)
    page.mouse.move(*at(to_lon, to_lat), steps=5)
    page.mouse.up()


def test_paint_a_unit_into_another_grid_and_see_the_table(page, serve, street, conn):
    config, _ = street
    url = serve(config)
    plan_id = new_plan(conn, st.CODE)
    open_editor(page, url, plan_id, st.V2)
    assert row(page, st.G2)[1] == "300" and row(page, st.G3)[1] == "250"
    page.click(f"li[data-grid='{st.G2}'] .gm-pick")
    page.click(f"path.gm-unit-{st.U4}")
    wait_until(
        page,
        f"document.querySelector(\"#gm-table tr[data-grid='{st.G2}'] td:nth-child(2)\")"
        ".textContent === '550'",
    )
    assert row(page, st.G3)[1] == "0"
    assert page.locator("#gm-problems").inner_text().count("没有任何单元") == 1
    page.click("#gm-undo")
    wait_until(
        page,
        f"document.querySelector(\"#gm-table tr[data-grid='{st.G2}'] td:nth-child(2)\")"
        ".textContent === '300'",
    )
    page.click("#gm-redo")
    wait_until(
        page,
        f"document.querySelector(\"#gm-table tr[data-grid='{st.G2}'] td:nth-child(2)\")"
        ".textContent === '550'",
    )


def test_an_overlap_drawn_is_refused_and_drawn_in_red(page, serve, street, conn):
    config, _ = street
    url = serve(config)
    plan_id = new_plan(conn, st.CODE)
    open_editor(page, url, plan_id, st.V2)
    page.click("[data-mode=edit]")
    page.uncheck("#gm-topology")  # move U2's corner alone, into U4
    page.click(f"path.gm-unit-{st.U2}", position={"x": 20, "y": 40})
    wait_until(page, "document.querySelectorAll('.gm-vertex').length === 4")
    drag_vertex(page, 114.02, 30.01, 114.0185, 30.0135)
    wait_until(page, "document.querySelector('#gm-problems').textContent.includes('重叠')")
    assert page.locator("path.gm-problem-shape").count() > 0
    page.click("#gm-save")
    wait_until(page, "!document.querySelector('#gm-error').hidden")
    assert "方案未保存" in page.inner_text("#gm-error")
    assert store.latest(conn, st.CODE, plan_id, st.V2) is None
    page.click("#gm-next-problem")
    assert page.locator("#gm-problems li.gm-current").count() == 1


def test_a_suggested_rebalance_brings_every_grid_within_tolerance(page, live_server, conn):
    street = "420114004"
    rules = plans.rules(
        {
            "PLAN_BAND_VILLAGE": "20-200",
            "PLAN_BAND_COMMUNITY": "150-500",
            "PLAN_TOLERANCE": 0.2,
            "PLAN_WEIGHTS": "petition:3,dispute:2,mediation:2,enforcement:1.5",
        }
    )
    plan_id = new_plan(conn, street)
    village = _unbalanced_village(conn, street, plan_id, rules)
    open_editor(page, live_server, plan_id, village)
    assert "超出" in page.inner_text("#gm-table") or "低于" in page.inner_text("#gm-table")
    page.click("#gm-suggest")
    wait_until(page, "document.querySelector('#gm-message').textContent.includes('已应用')")
    wait_until(
        page,
        "[...document.querySelectorAll('#gm-table tbody tr')]"
        ".every(r => r.lastElementChild.textContent === '合理')",
    )
    page.click("#gm-undo")
    wait_until(
        page,
        "![...document.querySelectorAll('#gm-table tbody tr')]"
        ".every(r => r.lastElementChild.textContent === '合理')",
    )


def _unbalanced_village(conn, street: str, plan_id: int, rules) -> str:
    """A demo village with a grid off the tolerance that a rebalance can mend."""
    from gridmap.data import areas

    division = areas.in_force(conn, street, datetime.now(UTC))
    for v in store.villages_in_force(conn, division["id"]):
        d = plans.draft(conn, Scope.street(street), plan_id, v["code"])
        counts = workload.of_village(conn, Scope.street(street), v["code"])
        table = plans.check(d, counts, {}, rules).grids
        if any(r["status"] != "within" for r in table) and plans.suggest(d, counts, rules).within:
            return v["code"]
    raise AssertionError("the demo has no village to rebalance")


def test_assign_members_publish_and_the_cases_follow(page, serve, street, conn, placement):
    config, old = street
    url = serve(config)
    plan_id = new_plan(conn, st.CODE)
    open_editor(page, url, plan_id, st.V2)
    page.click(f"li[data-grid='{st.G2}'] .gm-pick")
    page.click(f"path.gm-unit-{st.U4}")
    page.click(f"li[data-grid='{st.G3}'] button:text('撤销网格')")
    member3 = conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = '网格员三'", (st.CODE,)
    ).fetchone()["id"]
    page.locator(f"li[data-grid='{st.G2}'] select.gm-add-member").select_option(str(member3))
    assert "网格员三" in page.inner_text(f"li[data-grid='{st.G2}'] .gm-members")
    page.click("#gm-save")
    wait_until(page, "document.querySelector('#gm-message').textContent.includes('已保存第 1 版')")
    page.goto(f"{url}/planner/plans/{plan_id}")
    assert "和平小区" in page.inner_text("#gm-diff")
    page.on("dialog", lambda dialog: dialog.accept())  # 今天发布即刻生效… 确定发布吗？
    page.click("#gm-publish button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "方案已发布并已生效" in page.inner_text("main")
    moment = (datetime.now(UTC) + timedelta(seconds=1)).astimezone(clock.LOCAL)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    fresh = place_one(conn, placement, when=text, reported_at=text)
    grids = dict(
        (r["id"], r["grid_code"])
        for r in conn.execute(
            "SELECT id, grid_code FROM incident WHERE street_code = %s AND id = ANY(%s)",
            (st.CODE, [old, fresh]),
        ).fetchall()
    )
    assert grids == {old: st.G3, fresh: st.G2}
    page.goto(f"{url}/signin")
    page.context.clear_cookies()
    sign_in_browser(page, url, "center")
    page.goto(f"{url}/cases/{old}")
    assert st.G2 in page.inner_text("#gm-handover") and "移交" in page.inner_text("#gm-handover")
    now = page.locator("#gm-responsible tr[data-role='grid_member'] td.gm-now").inner_text()
    assert "网格员三" in now  # who answers for it now
    data = page.request.get(f"{url}/api/incidents/{old}").json()  # what the phone page shows
    assert (data["case"]["grid_code"], data["case"]["handler_grid_code"]) == (st.G3, st.G2)


def test_two_planners_stale_save(browser, serve, street, conn):
    config, _ = street
    url = serve(config)
    plan_id = new_plan(conn, st.CODE)
    pages = []
    for who in ("planner", "planner2"):
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
        pages.append(context.new_page())
        open_editor(pages[-1], url, plan_id, st.V2, who)
    first, second = pages
    first.click(f"li[data-grid='{st.G2}'] .gm-pick")
    first.click(f"path.gm-unit-{st.U4}")
    first.click("#gm-save")
    wait_until(first, "document.querySelector('#gm-message').textContent.includes('已保存第 1 版')")
    second.fill(f"li[data-grid='{st.G3}'] .gm-grid-name", "东区")
    second.press(f"li[data-grid='{st.G3}'] .gm-grid-name", "Tab")
    second.click("#gm-save")
    wait_until(second, "!document.querySelector('#gm-error').hidden")
    message = second.inner_text("#gm-error")
    assert "planner" in message and "第 1 版" in message and "移动 1 个单元" in message
    assert store.latest(conn, st.CODE, plan_id, st.V2)["revision"] == 1
    for p in pages:
        p.context.close()
