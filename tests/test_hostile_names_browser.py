"""Hostile names on every page that draws them, in headless Chromium (issue 17).

Names are typed by people: a planner names a unit through the planner's API, an administrator
names grids, villages, package areas and people, a grid member titles an incident. Each name
here is markup (an ``<img onerror>`` or ``<svg onload>`` that sets ``window.__xss``, a
``<script>``, quotes), put into the small street (tests.small_street, rebuilt by each test that
uses it) as its users would put it: areas through the loader of a division before it is
published (a published one is final), people and incidents as the owner and the incident
loader, a unit's name through the planner's API. Every page that shows names is opened as its
users open it; the features are hovered and clicked, then every tooltip and popup of every map
layer (with every overlay of the layer control switched on) is opened. Nothing may run, and
each name must be shown literally, as typed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from gridmap.intake import load as incidents
from tests import small_street as st
from tests.conftest import sign_in_browser, wait_until
from tests.test_planner_browser import new_plan, open_editor

pytestmark = pytest.mark.browser

# Markup that runs when it is read as HTML (an image that fails, an <svg> that loads), and a
# script element and quotes besides; at most 50 characters, as a person's name may be.
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>__xss=1</script><svg onload=__xss=1>"
NAMES = {
    "package_area": IMG + "一片\"'",
    "village": SCRIPT + "甲村'",
    "grid": IMG + '网格一</b>"',
    "unit": IMG + "张家湾'\"",  # as published: in the division in force
    "unit_api": IMG + "李家台\"'",  # typed into a plan through the planner's API
    "member": IMG + "网格员一'",
    "resource": SCRIPT + '明白人"',
    "title": SCRIPT + IMG + "邻里纠纷'\"",
}
IN_U1 = (30.005, 114.005)  # (lat, lon): in U1, grid G1, village V1, package area P1

# Switch on every overlay of the layer control, then open every popup and tooltip of every map
# on the page as a click or hover would, read what each shows, and fire mouse events on all that
# is inside (an injected onmouseover would run). Returns the texts shown.
OPEN_ALL = """
async () => {
    document.querySelectorAll('.leaflet-control-layers-overlays input[type=checkbox]')
        .forEach((box) => { if (!box.checked) { box.click(); } });
    await new Promise((done) => setTimeout(done, 300));
    const poke = (el) => {
        for (const e of [el, ...el.querySelectorAll('*')]) {
            e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
            e.dispatchEvent(new MouseEvent('mouseenter'));
        }
    };
    const texts = [];
    for (const map of window.gmMaps || [window.gmMap]) {
        const all = [];
        map.eachLayer((layer) => all.push(layer));
        for (const layer of all) {
            const popup = layer.getPopup && layer.getPopup();
            const tooltip = layer.getTooltip && layer.getTooltip();
            if (popup) {
                popup.options.autoPan = false;
                layer.openPopup(layer.getLatLng ? undefined : layer.getBounds().getCenter());
                texts.push(popup.getElement().querySelector('.leaflet-popup-content').textContent);
                poke(popup.getElement());
                layer.closePopup();
            }
            if (tooltip) {
                layer.openTooltip(layer.getLatLng ? undefined : layer.getBounds().getCenter());
                texts.push(tooltip.getElement().textContent);
                poke(tooltip.getElement());
            }
        }
    }
    return texts;
}
"""


FRAMES = st.frames


def named_frames(moved: bool = False, grid_names: dict | None = None):
    """The small street's frames, its first package area, village, grid and unit named with
    markup, as an administrator's import would bring them (a published division is final)."""
    package_areas, villages, grids, units = FRAMES(moved, grid_names)
    package_areas.loc[package_areas["code"] == st.CODE + "-P1", "name"] = NAMES["package_area"]
    villages.loc[villages["code"] == st.V1, "name"] = NAMES["village"]
    grids.loc[grids["code"] == st.G1, "name"] = NAMES["grid"]
    units.loc[units["code"] == st.U1, "name"] = NAMES["unit"]
    return package_areas, villages, grids, units


@pytest.fixture()
def hostile(settings, conn, owner, placement, monkeypatch):
    """The small street, named with markup; returns its settings and the hostile incident."""
    monkeypatch.setattr(st, "frames", named_frames)
    st.create(owner, app=conn)
    with owner.transaction():
        renamed = owner.execute(
            "UPDATE person SET name = %s WHERE street_code = %s AND name = '网格员一'",
            (NAMES["member"], st.CODE),
        )
        assert renamed.rowcount == 1
        resource = owner.execute(
            "INSERT INTO person (street_code, name) VALUES (%s, %s) RETURNING id",
            (st.CODE, NAMES["resource"]),
        ).fetchone()["id"]
        owner.execute(
            "INSERT INTO assignment (street_code, person_id, role, scope_code, valid)"
            " VALUES (%s, %s, 'legal_savvy', %s, tstzrange('2019-01-01', NULL))",
            (st.CODE, resource, st.V1),
        )
    owner.commit()
    when = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    frame = pd.DataFrame(
        [
            {
                "kind": "dispute",
                "status": "found",
                "lon": IN_U1[1],
                "lat": IN_U1[0],
                "occurred_at": when,
                "reported_at": when,
                "title": NAMES["title"],
                "description": NAMES["title"],
            }
        ]
    )
    incidents.load(conn, placement, st.CODE, frame, source="test")
    conn.commit()
    incident = conn.execute(
        "SELECT id FROM incident WHERE street_code = %s AND title = %s",
        (st.CODE, NAMES["title"]),
    ).fetchone()["id"]
    return {**settings, "STREET_CODE": st.CODE}, incident


def watch(page) -> list[str]:
    """The page's uncaught JS errors, as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def point_at(page, lat: float, lon: float) -> tuple[float, float]:
    """Where (lat, lon) of window.gmMap is on the screen."""
    return tuple(
        page.evaluate(
            f"""(() => {{
                const p = gmMap.latLngToContainerPoint([{lat}, {lon}]);
                const r = gmMap.getContainer().getBoundingClientRect();
                return [r.left + p.x, r.top + p.y];
            }})()"""
        )
    )


def hover_and_click(page, lat: float, lon: float, click: bool = True) -> None:
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    x, y = point_at(page, lat, lon)
    page.mouse.move(x - 5, y - 5)
    page.mouse.move(x, y, steps=3)
    if click:
        page.mouse.click(x, y)
    page.wait_for_timeout(200)


SHOWS_TOOLTIP = (
    "[...document.querySelectorAll('.leaflet-tooltip')].some(t => t.textContent.includes('{}'))"
)


def tooltips(page) -> str:
    return "\n".join(page.locator(".leaflet-tooltip").all_text_contents())


def open_everything(page) -> str:
    """Every popup and tooltip's text, after an injected image has had its time to fail."""
    texts = page.evaluate(OPEN_ALL)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    return "\n".join(texts)


def assert_literal(page, shown: str, keys: list[str], errors: list[str]) -> None:
    assert page.evaluate("window.__xss") is None, "a name ran as script"
    assert errors == []
    for key in keys:
        assert NAMES[key] in shown, (key, NAMES[key], shown[:2000])


def test_unit_names_in_the_planners_editor(page, browser, serve, hostile, conn):
    """A unit named through the planner's API, and one as published, shown to another planner
    in the editor's tooltips (a hover), with the grid and its member in the side panel."""
    config, _ = hostile
    url = serve(config)
    plan_id = new_plan(conn, st.CODE)
    open_editor(page, url, plan_id, st.V1)
    api = f"{url}/api/plans/{plan_id}/villages/{st.V1}"
    draft = page.request.get(api).json()
    body = {
        "base": draft["revision"],
        "grids": draft["grids"],
        "units": [
            {"code": f["properties"]["code"], "grid": f["properties"]["grid"]}
            | ({"name": NAMES["unit_api"]} if f["properties"]["code"] == st.U3 else {})
            for f in draft["units"]["features"]
        ],
    }
    token = page.locator("meta[name=csrf-token]").get_attribute("content")
    saved = page.request.post(f"{api}/save", data=body, headers={"X-CSRFToken": token})
    assert saved.status == 200, saved.text()

    other = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        editor = other.new_page()
        errors = watch(editor)
        open_editor(editor, url, plan_id, st.V1, "planner2")
        editor.hover(f"path.gm-unit-{st.U3}")
        editor.locator(".leaflet-tooltip").first.wait_for()
        editor.wait_for_load_state("networkidle")  # an injected <img src=x> has failed by now
        assert editor.evaluate("window.__xss") is None, "a unit's name ran on a hover"
        assert NAMES["unit_api"] in tooltips(editor)
        editor.hover(f"path.gm-unit-{st.U1}")
        wait_until(editor, SHOWS_TOOLTIP.format("张家湾"))
        assert NAMES["unit"] in tooltips(editor)
        editor.click("#gm-new-grid")  # paint U1 into a new grid: its tooltip is set again
        editor.click(f"path.gm-unit-{st.U1}")
        editor.mouse.move(0, 0)
        editor.hover(f"path.gm-unit-{st.U1}")
        wait_until(editor, SHOWS_TOOLTIP.format("002"))
        assert NAMES["unit"] in tooltips(editor)
        shown = open_everything(editor)
        assert_literal(editor, shown, ["unit", "unit_api"], errors)
        panel = editor.inner_text("#gm-grids") + editor.inner_text("#gm-table")
        assert NAMES["member"] in panel
        assert editor.input_value(f"li[data-grid='{st.G1}'] input.gm-grid-name") == NAMES["grid"]
    finally:
        other.close()


def test_names_on_the_overview(page, serve, hostile):
    config, _ = hostile
    url = serve(config)
    errors = watch(page)
    sign_in_browser(page, url)
    page.goto(url + "/")
    page.wait_for_selector(".leaflet-interactive")
    hover_and_click(page, *IN_U1)
    shown = open_everything(page)
    assert_literal(page, shown, ["package_area", "village", "grid", "member"], errors)
    assert NAMES["package_area"] in page.inner_text("main")


def test_names_and_titles_at_the_center(page, serve, hostile):
    config, _ = hostile
    url = serve(config)
    errors = watch(page)
    sign_in_browser(page, url)
    since = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%d")
    page.goto(f"{url}/center/?from={since}")
    page.wait_for_selector(".leaflet-interactive")
    wait_until(page, "window.gmIncidents !== undefined")
    page.evaluate(f"window.gmMap.setView([{IN_U1[0]}, {IN_U1[1]}], 18, {{animate: false}})")
    wait_until(page, "window.gmIncidents && window.gmIncidents.mode === 'incidents'")
    page.locator(".leaflet-marker-icon").first.click()
    page.locator(".leaflet-popup-content").wait_for()
    page.keyboard.press("Escape")
    shown = open_everything(page)
    assert_literal(page, shown, ["package_area", "village", "grid", "resource", "title"], errors)


def test_names_on_the_phone_page(page, serve, hostile):
    """我的网格: the grid's name on hover, the case's title on its dot and in its card."""
    config, incident = hostile
    url = serve(config)
    errors = watch(page)
    sign_in_browser(page, url, "member1")
    wait_until(page, "window.gmFieldReady === true")
    wait_until(page, "document.querySelectorAll('#gm-cases > li').length > 0")
    page.evaluate(f"gmMap.setView([{IN_U1[0]}, {IN_U1[1]}], 16, {{animate: false}})")
    hover_and_click(page, *IN_U1, click=False)
    page.locator(".leaflet-tooltip").first.wait_for()
    shown = open_everything(page)
    assert_literal(page, shown, ["grid", "title"], errors)
    assert NAMES["title"] in page.inner_text("#gm-cases")
    page.click(f"#gm-cases li[data-id='{incident}']")
    page.locator("#gm-case-title").wait_for()
    assert page.inner_text("#gm-case-title") == NAMES["title"]
    assert page.evaluate("window.__xss") is None


def test_grid_names_where_divisions_are_compared(page, serve, hostile):
    config, _ = hostile
    url = serve(config)
    errors = watch(page)
    sign_in_browser(page, url, "planner")
    page.goto(url + "/planner/divisions")
    page.wait_for_selector(".leaflet-interactive")
    shown = open_everything(page)
    assert_literal(page, shown, ["grid", "village", "package_area", "member"], errors)
