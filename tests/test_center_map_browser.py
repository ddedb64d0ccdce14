"""The center's map as a duty officer, a group leader and a secretary on a phone read it, in
headless Chromium (issue 18): pins by light with their legend, popups that lead to the case,
place names written on the map, a group leader's unit, hotspots in plain words, 390 px.

The small street (tests.small_street) carries three cases of 2021 whose lights never change
with the day the test runs: one still open long past its deadline (red), one closed (grey),
both in unit U1 (group leader grouper1), and one open in U3, outside that unit. Its areas are
named with markup (tests.test_hostile_names_browser), as a hostile administrator would.
"""

from __future__ import annotations

import pandas as pd
import pytest

from gridmap.center import hotwords
from gridmap.intake import load as incidents
from tests import small_street as st
from tests.conftest import sign_in_browser, wait_until
from tests.test_hostile_names_browser import NAMES, named_frames

pytestmark = pytest.mark.browser

YEAR = "from=2021-01-01&to=2021-12-31"
RED_AT, GREY_AT, OTHER_AT = (30.003, 114.003), (30.007, 114.007), (30.015, 114.005)
WORDS = {hotwords.HIGH, hotwords.PERSISTENT, hotwords.NEW, hotwords.EASING}


def case(at, status: str, title: str, closed: str | None = None) -> dict:
    return {
        "kind": "dispute",
        "status": status,
        "lat": at[0],
        "lon": at[1],
        "occurred_at": "2021-05-01 10:00",
        "reported_at": "2021-05-01 11:00",
        "closed_at": closed,
        "title": title,
        "description": title,
    }


@pytest.fixture()
def street(settings, conn, owner, placement, monkeypatch, serve):
    """The small street named with markup, its three cases; (base URL, case ids)."""
    monkeypatch.setattr(st, "frames", named_frames)
    st.create(owner, app=conn)
    frame = pd.DataFrame(
        [
            case(RED_AT, "found", NAMES["title"]),
            case(GREY_AT, "resolved", "已调解的邻里纠纷", closed="2021-05-10 09:00"),
            case(OTHER_AT, "found", "李家台的纠纷"),
        ]
    )
    incidents.load(conn, placement, st.CODE, frame, source="test")
    conn.commit()
    ids = {
        r["title"]: r["id"]
        for r in conn.execute(
            "SELECT id, title FROM incident WHERE street_code = %s", (st.CODE,)
        ).fetchall()
    }
    url = serve({**settings, "STREET_CODE": st.CODE})
    return url, {
        "red": ids[NAMES["title"]],
        "grey": ids["已调解的邻里纠纷"],
        "other": ids["李家台的纠纷"],
    }


def open_map(page, url: str, username: str = "center", query: str = YEAR) -> list[str]:
    """Sign in, open the center's map, wait for its markers; returns the page's JS errors."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, url, username)
    page.goto(f"{url}/center/?{query}")
    page.wait_for_selector(".leaflet-interactive")
    wait_until(page, "window.gmIncidents !== undefined")
    return errors


def zoom_to(page, lat: float, lon: float, zoom: int) -> None:
    """Show a view and wait for its incidents (loaded anew for it)."""
    page.evaluate("window.gmIncidents = undefined")
    page.evaluate(f"window.gmMap.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    wait_until(page, "window.gmIncidents && window.gmIncidents.mode === 'incidents'")


def state_row(popup) -> str:
    row = popup.locator("tr", has=popup.page.locator("th", has_text="状态"))
    return row.locator("td").inner_text()


def test_pins_take_the_colour_of_their_light_with_a_legend(page, street):
    url, ids = street
    errors = open_map(page, url)
    legend = page.locator(".gm-legend", has_text="事件（办理灯）")
    assert legend.is_visible()
    assert legend.inner_text().split("\n") == [
        "事件（办理灯）",
        "超期",
        "临近期限",
        "按期办理中",
        "已办结",
    ]
    zoom_to(page, 30.005, 114.005, 17)
    red, grey = page.locator(f".gm-case-{ids['red']}"), page.locator(f".gm-case-{ids['grey']}")
    assert "gm-pin-red" in red.get_attribute("class")
    assert "gm-pin-grey" in grey.get_attribute("class")
    assert red.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"
    assert grey.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(158, 158, 158)"
    assert errors == []


def test_a_popup_reads_its_state_once_and_leads_to_the_case(page, street):
    url, ids = street
    open_map(page, url)
    zoom_to(page, 30.005, 114.005, 17)
    page.locator(f".gm-case-{ids['grey']}").click()
    popup = page.locator(".leaflet-popup-content")
    assert state_row(popup) == "已化解"
    page.evaluate("window.gmMap.closePopup()")
    # Leaflet fades a closed popup out: let it go before the next one opens
    wait_until(page, "!document.querySelector('.leaflet-popup')")
    zoom_to(page, 30.005, 114.005, 17)
    page.locator(f".gm-case-{ids['red']}").click()
    state = state_row(popup)
    assert state.startswith("排查发现（红灯，超期 ") and state.endswith(" 天）"), state
    assert "办理中" not in popup.inner_text()
    link = popup.locator("a.gm-case-link")
    assert link.get_attribute("href") == f"/cases/{ids['red']}"
    link.click()
    page.wait_for_url(f"**/cases/{ids['red']}")
    assert f"案件 {ids['red']}" in page.locator("h1").inner_text()
    assert NAMES["title"] in page.inner_text("main")
    assert page.evaluate("window.__xss") is None


def test_place_names_are_written_on_the_map_and_run_nothing(page, street):
    """Village names stand on the map without a hover; grid names appear from zoom 15; names
    typed as markup are shown as typed."""
    url, ids = street
    errors = open_map(page, url)
    villages = page.locator(".gm-label-village")
    assert sorted(villages.all_inner_texts()) == sorted([NAMES["village"], "乙社区"])
    assert all(v.is_visible() for v in villages.all())
    page.evaluate("window.gmMap.setZoom(13, {animate: false})")
    # Leaflet fades a tooltip out for 200 ms before it leaves the page.
    wait_until(page, "document.querySelectorAll('.gm-label-grid').length === 0")
    assert villages.count() == 2
    page.evaluate("window.gmMap.setZoom(15, {animate: false})")
    wait_until(page, "document.querySelectorAll('.gm-label-grid').length === 3")
    assert NAMES["grid"] in page.locator(".gm-label-grid").all_inner_texts()
    zoom_to(page, 30.005, 114.005, 17)
    page.locator(f".gm-case-{ids['red']}").click()
    assert NAMES["title"] in page.locator(".leaflet-popup-content").inner_text()
    page.wait_for_load_state("networkidle")  # an injected <img src=x> has failed by now
    assert page.evaluate("window.__xss") is None and errors == []


def test_a_group_leader_sees_their_unit_and_its_incidents(page, street):
    url, ids = street
    errors = open_map(page, url, "grouper1")
    assert page.locator("#gm-total").inner_text() == "2"
    outline = page.locator('path[stroke="#8b1a1a"]')  # layers/units.py
    assert outline.count() == 1
    unit = page.evaluate(
        f"""window.gmMap.getBounds().contains(L.latLngBounds(
            [[{st.Y0}, {st.X0}], [{st.Y0 + st.S}, {st.X0 + st.S}]]))"""
    )
    assert unit and page.evaluate("window.gmMap.getZoom()") >= 14
    assert page.locator(".gm-label-unit").all_inner_texts() == [NAMES["unit"]]
    zoom_to(page, 30.01, 114.005, 16)
    shown = page.evaluate("window.gmIncidents.items.map(i => i.id)")
    assert sorted(shown) == sorted([ids["red"], ids["grey"]])  # not the case in U3
    assert page.locator(".gm-pin").count() == 2
    assert "高发按整个网格判断" in page.inner_text("#gm-unit-hint")
    assert page.evaluate("window.__xss") is None and errors == []


def test_too_few_incidents_make_no_hotspot(page, street):
    url, _ids = street
    open_map(page, url)
    assert hotwords.TOO_FEW in page.inner_text("#gm-too-few")
    assert page.locator("#gm-hotspots").count() == 0
    assert "置信" not in page.inner_text("body")


def test_hotspots_are_named_in_plain_words(page, live_server, client):
    """The demo street's hotspot panel: only significant grids, each with a word, the
    statistics in a tooltip and nowhere else in the panel."""
    open_map(page, live_server, query="")
    panel = page.inner_text(".gm-side")
    for statistic in ("Gi*", "z=", "p 值", "p=", "FDR", "零星", "震荡", "置信"):
        assert statistic not in panel, statistic
    rows = page.locator("#gm-hotspots tbody tr[data-code]")
    assert rows.count() > 3
    words = rows.locator(".gm-word")
    assert set(words.all_inner_texts()) <= WORDS
    assert all("Gi* z=" in w.get_attribute("title") for w in words.all())
    body = client.get("/api/hotspots").get_json()
    significant = {
        f["properties"]["code"]
        for f in body["features"]
        if f["properties"]["gi_bin"] > 0 and f["properties"]["count"] > 0
    }
    listed = {r.get_attribute("data-code") for r in rows.all()}
    assert listed == significant
    legends = "\n".join(page.locator(".gm-legend").all_text_contents())
    assert "Gi*" not in legends and "FDR" not in legends


def test_a_few_overdue_cases_make_no_hotspot(page, live_server, client):
    """只看超期: a handful of cases over the street's 231 grids is too few to tell where
    they cluster; no grid is labelled, least of all one with no incident."""
    body = client.get("/api/hotspots?overdue=1").get_json()
    assert 0 < body["total"] < hotwords.MIN_EVENTS
    assert [f for f in body["features"] if f["properties"]["gi_bin"] != 0] == []
    open_map(page, live_server, query="overdue=1")
    assert hotwords.TOO_FEW in page.inner_text("#gm-too-few")
    assert "置信" not in page.inner_text("body")


def inside(page, selector: str, width: int = 390) -> bool:
    """Whether every box that ``selector``'s elements hold lies within the window's width and
    within their own height: nothing cut off at a side, nothing spilling out of its band."""
    return page.evaluate(
        """([selector, width]) => [...document.querySelectorAll(selector)].every((root) => {
            const band = root.getBoundingClientRect();
            return [root, ...root.querySelectorAll('*')].every((e) => {
                const r = e.getBoundingClientRect();
                return r.width === 0 || (r.left >= 0 && r.right <= width + 0.5
                    && r.top >= band.top - 0.5 && r.bottom <= band.bottom + 0.5);
            });
        })""",
        [selector, width],
    )


@pytest.mark.parametrize("username", ["center", "leader", "secretary"])
def test_the_center_at_390_px(browser, live_server, artifacts, username):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        page = context.new_page()
        errors = open_map(page, live_server, username, query="")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        header = page.locator(".gm-header").bounding_box()
        assert header["y"] >= 0 and header["y"] + header["height"] < 844 / 3
        assert inside(page, ".gm-header")
        toggle = page.locator("#gm-filter-toggle")
        box = toggle.bounding_box()
        assert toggle.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] + box["height"] <= 844
        the_map = page.locator("#gm-map").bounding_box()
        assert the_map["width"] >= 350 and the_map["height"] >= 350
        assert the_map["y"] >= box["y"] + box["height"]  # the filters sit above the map
        form = page.locator("#gm-filter-form")
        assert not form.is_visible()
        page.screenshot(path=str(artifacts / f"center-390-{username}.png"))
        toggle.tap()
        assert form.is_visible() and toggle.get_attribute("aria-expanded") == "true"
        assert form.bounding_box()["width"] >= 350 and inside(page, "#gm-filters")
        page.screenshot(path=str(artifacts / f"center-390-{username}-filters.png"), full_page=True)
        page.check("input[name=overdue]")
        page.locator("#gm-filter-form button[type=submit]").tap()
        page.wait_for_url("**overdue=1**")
        page.wait_for_selector(".leaflet-interactive")
        assert not page.locator("#gm-filter-form").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == []
    finally:
        context.close()
