"""The governance center's page in headless Chromium."""

from __future__ import annotations

import pandas as pd
import pytest

from gridmap.intake import load as incidents
from tests import small_street as st
from tests.conftest import sign_in_browser, wait_until
from tests.test_overview_page import off_machine, watch_requests

pytestmark = pytest.mark.browser


def open_center(page, url: str, username: str = "center") -> None:
    sign_in_browser(page, url.split("/center")[0], username)
    page.goto(url)
    page.wait_for_selector(".leaflet-interactive")
    wait_until(page, "window.gmIncidents !== undefined")


def first_marker_popup(page, lat: float, lon: float):
    """Zoom in until the view shows single incidents, click one, return its popup."""
    page.evaluate(f"window.gmMap.setView([{lat}, {lon}], 17)")
    wait_until(page, "window.gmIncidents && window.gmIncidents.mode === 'incidents'")
    popup = page.locator(".leaflet-popup-content")
    # On a busy machine the layer may redraw its markers once more after the view settles,
    # and a click on the marker it replaced opens nothing: click the one shown now, again.
    for _ in range(3):
        page.locator(".leaflet-marker-icon").first.click()
        try:
            popup.wait_for(timeout=8000)
            return popup
        except Exception:  # noqa: BLE001 (Playwright's TimeoutError: try the fresh marker)
            continue
    popup.wait_for()
    return popup


def test_the_center_page_loads_offline_with_its_layers(page, live_server, artifacts):
    requests = watch_requests(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_center(page, live_server + "/center/")
    assert "综治中心热点地图" in page.locator("h1").inner_text()
    control = page.locator(".leaflet-control-layers").text_content()
    for name in (
        "高发网格（热点分析）",
        "高发地块（500 米方格）",
        "高发趋势（按月）",
        "地名（村、网格）",
        "事件核密度",
        "事件标注（按视野加载）",
        "片区与包片领导",
        "法治资源",
        "村（社区）每千户事件数",
        "网格每千户事件数",
    ):
        assert name in control
    legends = page.locator(".gm-legend").all_inner_texts()
    assert any(t.startswith("高发网格") for t in legends)
    assert any(t.startswith("高发趋势") for t in legends)
    assert any(t.startswith("事件（办理灯）") for t in legends)
    assert page.locator("#gm-hotspots tbody tr[data-code]").count() > 3
    page.screenshot(path=str(artifacts / "center.png"))
    assert off_machine(requests) == [] and errors == []


def test_filters_change_what_is_shown(page, live_server):
    open_center(page, live_server + "/center/")
    before = int(page.locator("#gm-total").inner_text())
    rows_before = page.locator("#gm-hotspots tbody tr[data-code]").count()
    for box in page.locator("input[name=kind]").all():
        box.uncheck()
    page.check("input[name=kind][value=petition]")
    page.click("#gm-filter-form button[type=submit]")
    page.wait_for_selector(".leaflet-interactive")
    after = int(page.locator("#gm-total").inner_text())
    assert 0 < after < before
    assert page.locator("#gm-hotspots tbody tr[data-code]").count() != rows_before
    assert "kind=petition" in page.url


def test_a_hotspot_row_zooms_the_map_to_its_grid(page, live_server):
    open_center(page, live_server + "/center/")
    zoom_before = page.evaluate("window.gmMap.getZoom()")
    row = page.locator("#gm-hotspots tbody tr[data-code]").first
    bounds = row.get_attribute("data-bounds")
    row.click()
    page.wait_for_timeout(400)
    assert page.evaluate("window.gmMap.getZoom()") > zoom_before
    inside = page.evaluate(
        "(b) => { b = JSON.parse(b); return window.gmMap.getBounds().contains("
        "L.latLngBounds([[b[1], b[0]], [b[3], b[2]]])); }",
        bounds,
    )
    assert inside


def test_an_incident_popup_names_the_package_leader(page, live_server, client):
    open_center(page, live_server + "/center/")
    text = first_marker_popup(page, 30.4417, 113.838).inner_text()
    leader = client.get("/api/locate?lon=113.838&lat=30.4417&at=2023-06-01").get_json()
    name = next(p["name"] for p in leader["people"] if p["role"] == "package_leader")
    assert "包片领导" in text and name in text


def test_a_description_with_markup_is_shown_as_text(
    page, conn, owner, settings, serve, placement, artifacts
):
    st.create(owner, app=conn)
    evil = '<img src=x onerror="window.hacked=1"><b>加粗</b>'
    frame = pd.DataFrame(
        [
            {
                "kind": "dispute",
                "status": "found",
                "lon": 114.005,
                "lat": 30.005,
                "occurred_at": "2021-05-01 10:00",
                "reported_at": "2021-05-01 11:00",
                "title": evil,
                "description": evil,
            }
        ]
    )
    incidents.load(conn, placement, st.CODE, frame, source="test")
    conn.commit()
    url = serve({**settings, "STREET_CODE": st.CODE})
    open_center(page, url + "/center/?from=2021-01-01&to=2021-12-31")
    popup = first_marker_popup(page, 30.005, 114.005)
    assert evil in popup.inner_text()
    assert page.evaluate("window.hacked") is None
    page.screenshot(path=str(artifacts / "center-markup-as-text.png"))


def test_each_coloured_layer_brings_its_legend(page, live_server):
    open_center(page, live_server + "/center/")

    def legends():
        return [t.split("\n")[0] for t in page.locator(".gm-legend").all_inner_texts() if t]

    assert "事件核密度（四次核，带宽 800 米）" not in legends()
    page.evaluate("""() => {
        const input = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
            .find(l => l.textContent.includes('事件核密度')).querySelector('input');
        input.click();
    }""")
    assert "事件核密度（四次核，带宽 800 米）" in legends()
