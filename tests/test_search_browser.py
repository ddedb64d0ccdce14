"""The duty officer finds a case by a party's name in a real Chromium: the header's box, the
list and the map of what was found, a popup built as text, and its link to the case page."""

from __future__ import annotations

import re

from gridmap.accounts import pii
from tests.conftest import sign_in_browser, wait_until
from tests.test_hostile_names_browser import (  # noqa: F401 (hostile: the fixture)
    NAMES,
    assert_literal,
    hostile,
    open_everything,
    watch,
)


def a_party(conn) -> dict:
    """A party whose name is on one case only, and that case."""
    return conn.execute(
        """SELECT pa.name, pa.incident_id AS id FROM incident_party pa
            WHERE pa.street_code = '420114004'
              AND (SELECT count(*) FROM incident_party o WHERE o.street_code = pa.street_code
                      AND o.name = pa.name) = 1
            ORDER BY pa.incident_id DESC LIMIT 1"""
    ).fetchone()


def test_the_center_finds_a_case_by_a_partys_name_and_follows_the_map_to_it(
    page, live_server, conn
):
    party = a_party(conn)
    sign_in_browser(page, live_server, "center")
    assert "/center/" in page.url
    page.fill("#gm-search-q", party["name"])
    page.press("#gm-search-q", "Enter")
    page.wait_for_url(re.compile(r"/cases/search\?q="))
    hits = page.locator("#gm-hits .gm-hit")
    assert hits.count() == 1
    listed = page.inner_text("#gm-search-list")
    assert f"案件 {party['id']}" in listed
    assert f"当事人姓名（{pii.mask_name(party['name'])}）" in listed or "信访人姓名" in listed
    assert party["name"] not in listed  # masked in the list; only the box holds the query
    assert page.input_value("#gm-search-q") == party["name"]
    # The map: one dot per case, its popup built from data and linking to the case.
    wait_until(page, "window.gmSearchHits && window.gmSearchHits.getLayers().length === 1")
    page.locator("path.gm-search-hit").first.click()
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.inner_text() == f"案件 {party['id']} · 查看案件"
    popup = page.inner_text(".leaflet-popup-content")
    assert party["name"] not in popup and pii.mask_name(party["name"]) not in popup
    link.click()
    page.wait_for_url(re.compile(rf"/cases/{party['id']}$"))
    assert f"案件 {party['id']}" in page.inner_text("h1")


def test_the_list_opens_a_cases_dot_on_the_map_and_the_page_fits_a_phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        sign_in_browser(page, live_server, "leader")
        box = page.locator("#gm-search-q").bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        page.fill("#gm-search-q", "纠纷")
        page.press("#gm-search-q", "Enter")
        page.wait_for_url(re.compile(r"/cases/search\?q="))
        wait_until(page, "window.gmSearchHits && window.gmSearchHits.getLayers().length > 0")
        first = page.locator("#gm-hits .gm-hit").first
        case_id = first.get_attribute("data-id")
        for selector in ("#gm-map", "#gm-search-list", "#gm-hits .gm-hit"):
            shown = page.locator(selector).first.bounding_box()
            assert shown and shown["x"] >= 0 and shown["x"] + shown["width"] <= 390, selector
        first.locator(".gm-hit-locate").click()
        link = page.locator(".leaflet-popup-content a")
        link.wait_for()
        assert link.get_attribute("href").endswith(f"/cases/{case_id}")
    finally:
        context.close()


def test_hostile_titles_and_names_are_shown_as_typed_in_the_list_and_the_popups(
    page,
    serve,
    hostile,  # noqa: F811 (the fixture imported above)
):
    """The small street named with markup (tests/test_hostile_names_browser.py): its case
    found by words of its title shows title, village and grid literally, nothing runs."""
    settings, incident = hostile
    errors = watch(page)
    sign_in_browser(page, serve(settings), "center")
    page.fill("#gm-search-q", "邻里纠纷")
    page.press("#gm-search-q", "Enter")
    page.wait_for_url(re.compile(r"/cases/search\?q="))
    wait_until(page, "window.gmSearchHits && window.gmSearchHits.getLayers().length === 1")
    listed = page.inner_text("#gm-search-list")
    assert f"案件 {incident}" in listed
    for key in ("title", "village", "grid"):
        assert NAMES[key] in listed, key
    shown = open_everything(page)
    assert_literal(page, shown, ["title", "village", "grid"], errors)
