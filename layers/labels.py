"""Place names written on the map: villages always, grids (and units) once zoomed in.

A duty officer reads the map by its place names (群丰村, 三屋台村第4网格), not by hovering each
polygon. The names are permanent Leaflet tooltips, each placed at a point inside its area
(shapely's point on surface: a bend-shaped village's centre can lie outside it). Names are typed
by people, so they travel as JSON data and each label is a DOM node whose text is set with
``textContent`` in the browser: a name string is never handed to ``bindTooltip`` or
``setContent``, where Leaflet would read it as HTML (the stored XSS of issue 17 came that way).
"""

from __future__ import annotations

import folium
import shapely
from branca.element import MacroElement
from jinja2 import Template

NAME = "地名（村、网格）"
GRID_ZOOM = 15  # grid names from this zoom on: below it they would cover one another


class Labels(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var group = {{ this.group.get_name() }};
            var places = {{ this.places | tojson }};
            var detailZoom = {{ this.zoom | tojson }};
            var near = L.layerGroup();  // the names shown only once zoomed in
            places.forEach(function (p) {
                var node = document.createElement('span');
                node.textContent = p.name;
                var label = L.tooltip({permanent: true, direction: 'center', interactive: false,
                                       className: 'gm-label gm-label-' + p.level})
                    .setLatLng([p.lat, p.lon]).setContent(node);
                (p.level === 'grid' ? near : group).addLayer(label);
            });
            function follow() {
                var show = map.hasLayer(group) && map.getZoom() >= detailZoom;
                if (show && !map.hasLayer(near)) { near.addTo(map); }
                if (!show && map.hasLayer(near)) { map.removeLayer(near); }
            }
            map.on('zoomend overlayadd overlayremove', follow);
            follow();
        })();
        {% endmacro %}
    """)

    def __init__(self, group: folium.FeatureGroup, places: list[dict], zoom: int):
        super().__init__()
        self._name = "Labels"
        self.group = group
        self.places = places
        self.zoom = zoom


def places(rows: list[dict], level: str) -> list[dict]:
    """Name and label point of each area (``rows``: name, geojson)."""
    if not rows:
        return []
    points = shapely.point_on_surface(shapely.from_geojson([r["geojson"] for r in rows]))
    return [
        {
            "name": "" if r["name"] is None else str(r["name"]),
            "level": level,
            "lat": round(float(shapely.get_y(p)), 6),
            "lon": round(float(shapely.get_x(p)), 6),
        }
        for r, p in zip(rows, points, strict=True)
    ]


def build(
    villages: list[dict], grids: list[dict], units: list[dict] = ()
) -> tuple[folium.FeatureGroup, Labels]:
    """The labels' layer (for the layer control) and the script that writes them: the names
    of villages (and of a group leader's units) always, of grids from zoom :data:`GRID_ZOOM`.
    Each row: name, geojson."""
    group = folium.FeatureGroup(name=NAME, show=True)
    found = places(villages, "village") + places(grids, "grid") + places(list(units), "unit")
    return group, Labels(group, found, GRID_ZOOM)
