"""The street overview page in a real headless Chromium, with no request leaving the machine."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from gridmap.data import streets
from tests import small_street as st
from tests.conftest import sign_in_browser

pytestmark = pytest.mark.browser
SEAT = (113.8380, 30.4417)


def watch_requests(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def off_machine(urls: list[str]) -> list[str]:
    return [
        u
        for u in urls
        if urlparse(u).hostname not in ("127.0.0.1", "localhost")
        and not u.startswith(("data:", "blob:", "about:"))
    ]


def click_lonlat(page, lon: float, lat: float) -> None:
    point = page.evaluate(
        "([lat, lon]) => { const p = window.gmMap.latLngToContainerPoint([lat, lon]);"
        " const r = window.gmMap.getContainer().getBoundingClientRect();"
        " return [r.left + p.x, r.top + p.y]; }",
        [lat, lon],
    )
    page.mouse.click(*point)


def test_the_map_of_the_street_loads_offline_in_chinese(page, live_server, artifacts):
    requests = watch_requests(page)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, live_server)
    page.goto(live_server + "/")
    page.wait_for_selector(".leaflet-interactive")
    assert page.locator("h1").inner_text() == "侏儒山街道 · 网格化治理总览"
    assert page.locator(".gm-synthetic").inner_text() == "示意数据"
    assert page.locator(".gm-pa-label").count() == 6  # six package areas, labelled
    assert "包片领导" in page.locator(".gm-pa-label").first.inner_text()
    assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK SC\"', '侏儒山')")
    assert page.locator(".gm-summary tfoot").inner_text().split()[-3] == "55"
    page.screenshot(path=str(artifacts / "overview.png"))
    assert off_machine(requests) == []
    assert failed == [] and errors == []


def test_clicking_a_grid_names_its_code_households_and_people(page, live_server, client, artifacts):
    answer = client.get(f"/api/locate?lon={SEAT[0]}&lat={SEAT[1]}").get_json()
    sign_in_browser(page, live_server)
    page.goto(live_server + "/")
    page.wait_for_selector(".leaflet-interactive")
    page.evaluate("([lat, lon]) => window.gmMap.setView([lat, lon], 15)", [SEAT[1], SEAT[0]])
    page.wait_for_timeout(300)
    click_lonlat(page, *SEAT)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert answer["grid"]["code"] in text
    assert str(answer["grid"]["households"]) in text
    for person in answer["people"]:
        if person["role"] in ("package_leader", "village_secretary", "grid_member"):
            assert person["name"] in text, person
    for label in ("包片党政领导", "村书记", "村干部", "小组长", "网格员", "农户（户数）"):
        assert label in text
    page.screenshot(path=str(artifacts / "overview-popup.png"))


def test_markup_in_names_is_shown_as_text(page, conn, owner, settings, serve):
    st.create(owner, app=conn, grid_names={st.G1: '<img src=x onerror="window.hacked=1">网格'})
    url = serve({**settings, "STREET_CODE": st.CODE})
    sign_in_browser(page, url)
    page.goto(url + "/")
    page.wait_for_selector(".leaflet-interactive")
    click_lonlat(page, 114.005, 30.005)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert '<img src=x onerror="window.hacked=1">网格' in popup.inner_text()
    assert page.evaluate("window.hacked") is None
    assert streets.get(conn, st.CODE)["name"] == "测试街道"
