"""Hostile text in every map layer is shown literally and never runs, in a real Chromium.

Names, codes, titles and category names are typed by people (administrators, planners, grid
members), so each layer is built with payloads aimed at every context text could land in: HTML,
an attribute, a JS string, and the JS template strings Folium's Popup and Tooltip write
(``$(`...`)``), where ``${`` and a backslash before a backtick survive HTML escaping. Each page
is rendered as gridmap renders it (assets rewritten to local copies by gridmap.web.offline) and
served from a made-up host by Playwright's router, so nothing leaves the machine.

The heat layer is left out: it shows densities and fixed legend words, no user text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import folium
import pytest
from folium.features import GeoJsonPopup, GeoJsonTooltip

from gridmap.web.offline import localize
from layers import (
    emerging,
    grid_rates,
    grids,
    hotspots,
    incidents,
    labels,
    package_areas,
    resources,
    units,
    villages,
)
from layers.legend import Legend
from tests.conftest import wait_until

STATIC = Path(__file__).resolve().parents[1] / "static"
HOST = "http://gridmap.test"
CENTRE = (30.5, 114.0)

PAYLOADS = [
    "<img src=x onerror=window.__x=1>",  # HTML
    '" onmouseover="window.__x=1',  # attribute
    "';window.__x=1;//",  # JS string, single quotes
    '\\";window.__x=1;//',  # JS string, double quotes, with its escape undone
    "村\\",  # trailing backslash: escapes whatever the template puts next
    "${window.__x=1}",  # template string substitution
    "张三\\`",  # ends in backslash + backtick (Folium's escape_backticks skips it)
    "`",  # lone backtick
    "\\\\`;window.__x=1;//",  # escaped backslash, then a backtick that closes the template
    "\\\\`);window.__x=1;//",  # the same, then code, the rest of Folium's line commented out
    "</script><script>window.__x=1</script>",  # leaves the script element
    "C:\\users\\x",  # \u without hex digits: a syntax error in a template string
]

# Open every popup and tooltip of the map, as a click or hover would, read the text they show,
# and fire mouse events on everything inside them (an injected onmouseover would run).
SHOW_ALL = """
(name) => {
    const map = window[name];
    const poke = (el) => {
        for (const e of [el, ...el.querySelectorAll('*')]) {
            e.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
            e.dispatchEvent(new MouseEvent('mouseenter'));
        }
    };
    const seen = [];
    map.eachLayer((layer) => {
        const popup = layer.getPopup && layer.getPopup();
        const tooltip = layer.getTooltip && layer.getTooltip();
        if (!popup && !tooltip) { return; }
        const at = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
        const one = {lat: at.lat, lon: at.lng, popup: null, tooltip: null};
        if (popup) {
            popup.options.autoPan = false;
            layer.openPopup();
            one.popup = popup.getElement().querySelector('.leaflet-popup-content').textContent;
            poke(popup.getElement());
            layer.closePopup();
        }
        if (tooltip) {
            layer.openTooltip();
            one.tooltip = tooltip.getElement().textContent;
            poke(tooltip.getElement());
        }
        seen.push(one);
    });
    return seen;
}
"""


def spot(i: int) -> tuple[float, float]:
    """(lat, lon) of payload ``i``: a 4 × 3 grid that fits one view at zoom 17."""
    return CENTRE[0] + (i // 4 - 1) * 0.0015, CENTRE[1] + (i % 4 - 1.5) * 0.0025


def square(i: int) -> str:
    lat, lon = spot(i)
    d = 0.0004
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
    return json.dumps({"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def grid_rows() -> list[dict]:
    roles = [role for role, _label in grids.CHAIN]
    return [
        {
            "geojson": square(i),
            "name": p,
            "code": p,
            "village_name": p,
            "package_area_name": p,
            "package_area_code": p,
            "people": [{"role": role, "name": p} for role in roles],
            "households": 12,
            "population": 40,
            "units": 3,
        }
        for i, p in enumerate(PAYLOADS)
    ]


def village_rows() -> list[dict]:
    return [
        {
            "geojson": square(i),
            "name": p,
            "code": p,
            "kind": p,
            "package_area_name": p,
            "grids": 4,
            "households": 120,
        }
        for i, p in enumerate(PAYLOADS)
    ]


def package_area_rows() -> list[dict]:
    return [
        {
            "geojson": square(i),
            "name": p,
            "code": p,
            "leader": p,
            "leader_with_title": p,
            "villages": 5,
        }
        for i, p in enumerate(PAYLOADS)
    ]


def resource_rows() -> list[dict]:
    roles = [*resources.ICONS, "unknown_role"]
    return [
        {
            "lat": spot(i)[0],
            "lon": spot(i)[1],
            "name": p,
            "role": roles[i % len(roles)],
            "role_name": p,
            "village_name": p,
        }
        for i, p in enumerate(PAYLOADS)
    ]


def stat_rows() -> list[dict]:
    """Rows for hotspots, emerging and grid_rates (each reads the fields it needs)."""
    return [
        {
            "geojson": square(i),
            "code": p,
            "name": p,
            "parent": p,
            "count": i,
            "households": 100,
            "rate": 10.0 * i,
            "z": 2.5,
            "p": 0.01,
            "gi_bin": 3 - i % 7,
            "category": p,
            "category_name": p,
            "trend_z": 1.2,
            "trend_p": 0.04,
        }
        for i, p in enumerate(PAYLOADS)
    ]


def unit_rows() -> list[dict]:
    return [
        {
            "geojson": square(i),
            "name": p,
            "code": p,
            "kind": p,
            "households": 30,
            "grid_name": p,
            "village_name": p,
        }
        for i, p in enumerate(PAYLOADS)
    ]


def rates_layer():
    layer, legend = grid_rates.build(stat_rows(), "rate", show=True)
    return [layer, legend]


# layer -> (what to add to the map, user fields in each popup, in each tooltip)
LAYERS = {
    "grids": (lambda: [grids.build(grid_rows(), {})], 9, 1),
    "villages": (lambda: [villages.build(village_rows())], 4, 1),
    "package_areas": (lambda: [package_areas.build(package_area_rows(), {})], 3, 2),
    "resources": (lambda: [resources.build(resource_rows(), show=True)], 3, 0),
    "hotspots": (lambda: [hotspots.build(stat_rows(), show=True)], 2, 1),
    "emerging": (lambda: [emerging.build(stat_rows(), show=True)], 3, 1),
    "units": (lambda: [units.build(unit_rows())], 5, 1),
    "grid_rates": (rates_layer, 3, 1),
}


def new_map() -> folium.Map:
    return folium.Map(location=CENTRE, zoom_start=17, tiles=None, max_zoom=18, maxZoom=18)


def render(m: folium.Map) -> str:
    localize(m, lambda path: f"{HOST}/static/{path}")
    return m.get_root().render()


def open_offline(page, html: str, api: dict | None = None) -> list[str]:
    """Serve ``html`` (and ``static/``, and ``api`` as every /api/ answer) from HOST; abort any
    other request. Returns the list that collects the page's uncaught JS errors."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def answer(route):
        url = route.request.url.split("?")[0]
        file = STATIC / url.removeprefix(f"{HOST}/static/")
        if url == f"{HOST}/map":
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        elif url.startswith(f"{HOST}/static/") and file.is_file():
            route.fulfill(path=file)
        elif url.startswith(f"{HOST}/api/") and api is not None:
            route.fulfill(json=api)
        elif url.startswith(HOST):
            route.fulfill(status=404, body="")
        else:
            route.abort()

    page.route("**/*", answer)
    page.goto(f"{HOST}/map")
    page.wait_for_load_state("networkidle")
    return errors


def shown(page, m: folium.Map) -> dict[str, dict]:
    """What each feature's popup and tooltip show, by the payload placed at its spot."""
    seen = page.evaluate(SHOW_ALL, m.get_name())
    page.wait_for_load_state("networkidle")  # an injected <img src=x> has failed by now
    out = {}
    for one in seen:
        i = min(
            range(len(PAYLOADS)),
            key=lambda k: (spot(k)[0] - one["lat"]) ** 2 + (spot(k)[1] - one["lon"]) ** 2,
        )
        out[PAYLOADS[i]] = one
    return out


@pytest.mark.browser
@pytest.mark.parametrize("name", LAYERS)
def test_layer_shows_hostile_text_literally_and_runs_none(page, name):
    build, popup_fields, tooltip_fields = LAYERS[name]
    m = new_map()
    for element in build():
        m.add_child(element)
    errors = open_offline(page, render(m))
    assert (errors, page.evaluate("window.__x")) == ([], None), "at page load"
    seen = shown(page, m)

    assert (errors, page.evaluate("window.__x")) == ([], None), "with popups and tooltips open"
    assert sorted(seen) == sorted(PAYLOADS), "every feature has its popup or tooltip"
    for payload, one in seen.items():
        assert one["popup"].count(payload) == popup_fields, (payload, one["popup"])
        if tooltip_fields:
            assert one["tooltip"].count(payload) == tooltip_fields, (payload, one["tooltip"])
        else:
            assert one["tooltip"] is None


def incident_row(payload: str) -> dict:
    occurred = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
    return {
        "kind_name": payload,
        "category_name": payload,
        "title": payload,
        "description": payload,
        "occurred_at": occurred,
        "status_name": payload,
        "grid_code": payload,
        "due_at": occurred + timedelta(days=7),
        "is_final": False,
        "light": "yellow",
        "days_left": 2,
        "people": {"package_leader": payload, "grid_member": payload},
    }


@pytest.mark.browser
def test_incident_popups_from_the_api_show_hostile_text_literally(page):
    """The incidents layer builds each popup from the API's data, every value as text."""
    labels = {"package_leader": "包片领导", "grid_member": "网格员"}
    items = [
        incidents.item(
            {**incident_row(p), "id": i, "lat": spot(i)[0], "lon": spot(i)[1]},
            incident_row(p)["people"],
        )
        for i, p in enumerate(PAYLOADS)
    ]
    m = new_map()
    cluster, loader = incidents.build(f"{HOST}/api/map/incidents?kind=1", labels)
    cluster.add_to(m)
    m.add_child(loader)
    errors = open_offline(page, render(m), {"mode": "incidents", "items": items})
    wait_until(page, "window.gmIncidents !== undefined")
    assert (errors, page.evaluate("window.__x")) == ([], None), "at page load"
    seen = shown(page, m)

    assert (errors, page.evaluate("window.__x")) == ([], None), "with popups open"
    assert sorted(seen) == sorted(PAYLOADS)
    for payload, one in seen.items():
        assert one["popup"].count(payload) == 8, (payload, one["popup"])


@pytest.mark.browser
def test_legends_show_hostile_text_literally(page):
    m = new_map()
    for p in PAYLOADS:
        m.add_child(Legend(p, [(p, p)]))
    errors = open_offline(page, render(m))
    for legend in page.locator(".gm-legend").all():
        legend.dispatch_event("mouseover")
        legend.click()  # folds it: the title stays
    page.wait_for_load_state("networkidle")

    assert (errors, page.evaluate("window.__x")) == ([], None)
    texts = page.locator(".gm-legend").all_text_contents()
    assert sorted(texts) == sorted(p + p for p in PAYLOADS)


@pytest.mark.browser
def test_place_names_are_written_as_text(page):
    """Village and unit names are labels from the start, grid names from zoom 15; each is
    the name as typed, in a node of its own, and none runs."""
    rows = [{"name": p, "geojson": square(i)} for i, p in enumerate(PAYLOADS)]
    m = new_map()
    group, script = labels.build(rows[:6], rows[6:], [{"name": "小组", "geojson": square(0)}])
    group.add_to(m)
    m.add_child(script)
    errors = open_offline(page, render(m))
    page.wait_for_load_state("networkidle")

    def shown(level):
        return page.locator(f".gm-label-{level}").all_text_contents()

    assert (errors, page.evaluate("window.__x")) == ([], None)
    assert sorted(shown("village")) == sorted(PAYLOADS[:6])
    assert sorted(shown("grid")) == sorted(PAYLOADS[6:])  # at zoom 17
    assert shown("unit") == ["小组"]
    assert page.locator(".gm-label span").count() == len(PAYLOADS) + 1
    page.evaluate(f"{m.get_name()}.setZoom(14, {{animate: false}})")
    page.wait_for_timeout(300)
    assert shown("grid") == [] and len(shown("village")) == 6
    assert (errors, page.evaluate("window.__x")) == ([], None)


def _tree(element):
    yield element
    for child in element._children.values():
        yield from _tree(child)


@pytest.mark.parametrize("name", LAYERS)
def test_no_layer_hands_text_to_folium_popup_or_tooltip(name):
    """The one way text reaches the page is as GeoJSON properties bound by ``common.BIND``:
    Folium's Popup and Tooltip write their text into JS template strings."""
    build = LAYERS[name][0]
    templated = (folium.Popup, folium.Tooltip, GeoJsonPopup, GeoJsonTooltip)
    for element in build():
        assert not [type(e).__name__ for e in _tree(element) if isinstance(e, templated)]


@pytest.mark.browser
def test_a_click_on_a_legal_resource_opens_its_popup(page):
    m = new_map()
    m.add_child(resources.build(resource_rows(), show=True))
    open_offline(page, render(m))
    icons = page.locator(".awesome-marker:not(.awesome-marker-shadow)")
    assert icons.count() == len(PAYLOADS)
    icons.first.click()
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("td").all_text_contents() == [PAYLOADS[0]] * 3
    assert page.evaluate("window.__x") is None
