"""Each kind of account in headless Chromium: where it lands and what it sees; a grid member
cannot open another grid's case; a popup stays open; the auditor sees a view of personal data
made a moment earlier."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gridmap.data import accounts
from tests.conftest import sign_in_browser, wait_until

pytestmark = pytest.mark.browser
STREET = "420114004"

LANDS = {
    "center": ("/center/", "综治中心热点地图"),
    "leader": ("/center/", "我的责任区"),
    "secretary": ("/center/", "我的责任区"),
    "groupleader": ("/center/", "我的责任区"),
    "gridmember": ("/field/", "我的网格"),
    "planner": ("/planner/", "网格调整方案"),
    "admin": ("/admin/", "系统管理 · 账号"),
    "auditor": ("/audit/", "审计记录"),
}


def scope_of(conn, username: str):
    return accounts.scope_of(conn, accounts.by_username(conn, STREET, username), datetime.now(UTC))


@pytest.mark.parametrize("username", list(LANDS))
def test_each_account_lands_where_it_should(page, live_server, username, conn):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, live_server, username)
    path, heading = LANDS[username]
    assert page.url == live_server + path
    assert heading in page.locator("h1").inner_text()
    person = accounts.by_username(conn, STREET, username)["person_name"]
    if person:
        assert person in page.locator(".gm-user-name").inner_text()
    if username in ("leader", "secretary"):
        assert person in page.locator("#gm-mine h2").first.inner_text()
        assert page.locator("#gm-open").inner_text().isdigit()
    assert errors == []


def test_a_grid_member_sees_only_their_grids_in_the_table(page, live_server, conn):
    scope = scope_of(conn, "gridmember")
    sign_in_browser(page, live_server, "gridmember")
    page.goto(live_server + "/center/?from=2023-01-01&to=2023-12-31")
    codes = page.locator("#gm-hotspots tbody tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert set(codes) <= set(scope.areas["grid"])


def test_a_grid_member_cannot_open_another_grids_case(page, live_server, conn):
    scope = scope_of(conn, "gridmember")
    other = conn.execute(
        "SELECT id FROM incident WHERE street_code = %s AND NOT grid_code = ANY(%s) LIMIT 1",
        (STREET, sorted(scope.areas["grid"])),
    ).fetchone()["id"]
    sign_in_browser(page, live_server, "gridmember")
    answer = page.goto(f"{live_server}/cases/{other}")
    assert answer.status == 404
    assert "不在您的负责范围内" in page.locator(".gm-error-message").inner_text()


def test_a_marker_popup_stays_open(page, live_server):
    sign_in_browser(page, live_server, "center")
    page.goto(live_server + "/center/?from=2023-01-01&to=2023-12-31")
    wait_until(page, "window.gmIncidents !== undefined")
    page.evaluate("window.gmMap.setView([30.4417, 113.838], 17)")
    wait_until(page, "window.gmIncidents && window.gmIncidents.mode === 'incidents'")
    # The marker nearest the top of the view: its popup opens above it, and the map pans.
    top = page.locator(".leaflet-marker-icon").evaluate_all(
        """ms => ms.map((m, i) => [m.getBoundingClientRect().top, i])
                 .filter(([y]) => y > 60).sort((a, b) => a[0] - b[0])[0][1]"""
    )
    page.locator(".leaflet-marker-icon").nth(top).click()
    page.locator(".leaflet-popup-content").wait_for()
    page.wait_for_timeout(1500)  # the pan that fits the popup used to reload and close it
    assert page.locator(".leaflet-popup-content").count() == 1
    assert "时任" in page.locator(".leaflet-popup-content").inner_text()


def test_the_village_list_narrows_to_the_chosen_package_area(page, live_server):
    sign_in_browser(page, live_server, "center")
    page.goto(live_server + "/center/")
    first = page.locator("select[name=package_area] option").nth(1).get_attribute("value")
    page.select_option("select[name=package_area]", first)
    shown = page.locator("select[name=village] option:not([hidden])").evaluate_all(
        "os => os.map(o => o.dataset.packageArea).filter(Boolean)"
    )
    assert shown and set(shown) == {first}


def test_the_auditor_sees_a_view_of_personal_data_made_a_moment_ago(browser, live_server, conn):
    scope = scope_of(conn, "gridmember")
    case = conn.execute(
        """SELECT i.id FROM incident i WHERE i.street_code = %s AND i.grid_code = ANY(%s)
              AND EXISTS (SELECT FROM incident_party p WHERE p.street_code = i.street_code
                          AND p.incident_id = i.id) ORDER BY i.id LIMIT 1""",
        (STREET, sorted(scope.areas["grid"])),
    ).fetchone()["id"]
    member = browser.new_context(locale="zh-CN").new_page()
    sign_in_browser(member, live_server, "gridmember")
    member.goto(f"{live_server}/cases/{case}")
    assert "*" in member.locator("#gm-parties").inner_text()
    member.click("#gm-show-personal")
    member.wait_for_load_state("domcontentloaded")
    assert "*" not in member.locator("#gm-parties td:nth-child(3)").first.inner_text()
    auditor = browser.new_context(locale="zh-CN").new_page()
    sign_in_browser(auditor, live_server, "auditor")
    auditor.goto(f"{live_server}/audit/?action=view_personal&incident={case}")
    row = auditor.locator(".gm-audit tr").nth(1).inner_text()
    assert "gridmember" in row and str(case) in row and "查看个人信息" in row
    member.context.close()
    auditor.context.close()
