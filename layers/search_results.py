"""The cases a search found (查找案件), on the map: one dot per case, coloured by its light.

The cases travel as data (JSON the page's own script reads, ``|tojson``), never as markup:
each popup is built in the browser, every value set as text (textContent), and links to its
case page. No party and no reason for the match is put on the map (personal data never is);
the popup says what the list says of the case: number, kind, title, date, state, place.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

from gridmap.core.clock import local
from layers.legend import Legend

# Light of an open case (gm_clock), or closed; the colours of the case page's badges.
COLOURS = {
    "red": ("#c62828", "已超期"),
    "yellow": ("#f9a825", "临近期限"),
    "green": ("#2e7d32", "按期"),
    "closed": ("#757575", "已办结"),
    "none": ("#1565c0", "无办理期限"),
}


class Results(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var items = {{ this.items | tojson }};
            var colours = {{ this.colours | tojson }};
            function popupOf(it) {
                var box = document.createElement('div');
                box.className = 'gm-search-popup';
                var link = document.createElement('a');
                link.href = it.url;
                link.textContent = '案件 ' + it.id + ' · 查看案件';
                box.appendChild(link);
                var table = document.createElement('table');
                table.className = 'gm-popup';
                [['类型', it.kind_name], ['标题', it.title || '（无标题）'],
                 ['发生日期', it.day], ['状态', it.state], ['村（社区）', it.village],
                 ['网格', it.grid]].forEach(function (r) {
                    var tr = table.insertRow(), th = document.createElement('th');
                    th.textContent = r[0];
                    tr.appendChild(th);
                    tr.insertCell().textContent = r[1] == null ? '' : String(r[1]);
                });
                box.appendChild(table);
                return box;
            }
            var group = L.featureGroup();
            items.forEach(function (it) {
                var colour = colours[it.light] || colours.none;
                var m = L.circleMarker([it.lat, it.lon], {
                    radius: 8, weight: 2, color: '#fff', fillColor: colour[0], fillOpacity: 0.9,
                    className: 'gm-search-hit'});
                m.bindPopup(popupOf(it), {maxWidth: 300});
                m.caseId = it.id;
                group.addLayer(m);
            });
            group.addTo(map);
            window.gmSearchHits = group;
        })();
        {% endmacro %}
    """)

    def __init__(self, items: list[dict]):
        super().__init__()
        self._name = "SearchResults"
        self.items = items
        self.colours = COLOURS


def build(items: list[dict]) -> tuple[Results, Legend]:
    """The dots of ``items`` (:func:`item`) and their legend (the lights present)."""
    present = {i["light"] for i in items}
    legend = Legend("查找结果", [COLOURS[k] for k in COLOURS if k in present])
    return Results(items), legend


def item(row: dict, url: str) -> dict:
    """One case found, as the map needs it: where, what, its state and light, and its page."""
    if row["is_final"]:
        light = "closed"
    else:
        light = row["light"] or "none"
    state = row["status_name"] + ("" if light in ("closed", "none") else f"（{COLOURS[light][1]}）")
    return {
        "id": row["id"],
        "url": url,
        "lat": row["lat"],
        "lon": row["lon"],
        "kind_name": row["kind_name"],
        "title": row["title"],
        "day": f"{local(row['occurred_at']):%Y-%m-%d}",
        "state": state,
        "light": light,
        "village": row["village_name"] or row["village_code"],
        "grid": row["grid_name"] or row["grid_code"],
    }
