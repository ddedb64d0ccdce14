"""Incident markers, loaded for the visible area on demand, coloured by their light.

A page never embeds every incident: when the map stops moving it asks ``/api/map/incidents``
for the current view. Zoomed out, the answer is one bubble per grid with its count; zoomed in,
the incidents themselves. The API answers data, never markup: the popups (kind, category, date,
state, grid, deadline, the people responsible and a link to the case) are built here in the
browser, every value set as text (textContent, an <a> given its href), so that nothing a person
typed is ever read as HTML.

Each incident's pin has the colour of its light (办理灯, gm_clock): red overdue, yellow near
its deadline, green on time, grey closed. Bubbles and clusters stay neutral (slate), whatever
they hold: a count is not a light, and a green bubble must never read as "on time".
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template

from layers.legend import Legend

SUM_COUNTS = """
function (cluster) {
    var n = 0;
    cluster.getAllChildMarkers().forEach(function (m) { n += m.options.count || 1; });
    return L.divIcon({html: '<div><span>' + Number(n) + '</span></div>',
                      className: 'marker-cluster gm-bubble', iconSize: L.point(40, 40)});
}
"""

# The lights (gm_clock) and their words; a closed case is grey. Colours in static/gridmap.css
# (.gm-pin-*), the legend's here.
LIGHTS = {
    "red": ("#c62828", "超期"),
    "yellow": ("#f9a825", "临近期限"),
    "green": ("#2e7d32", "按期办理中"),
    "grey": ("#9e9e9e", "已办结"),
}


def legend(layer=None) -> Legend:
    """What the pins' colours say, shown while the markers are on the map."""
    return Legend("事件（办理灯）", list(LIGHTS.values()), layer)


class OnDemand(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var cluster = {{ this.cluster.get_name() }};
            var base = {{ this.url | tojson }};
            var people = {{ this.people | tojson }};
            var caseBase = {{ this.case_base | tojson }};
            var seq = 0;
            var LIGHTS = {green: '绿灯', yellow: '黄灯', red: '红灯'};
            var PINS = {{ this.pins | tojson }};  // light → its word (LIGHTS)
            function lightOf(it) {
                if (it.is_final) { return 'grey'; }
                return PINS[it.light] ? it.light : 'green';  // an open case always has a deadline
            }
            // The state once: the workflow's own name (调处中, 已化解), and for an open case its
            // light in words.
            function stateOf(it) {
                if (it.is_final || it.light == null || it.days_left == null) {
                    return it.status_name;
                }
                var d = it.days_left;
                var left = d < 0 ? '超期 ' + (-d) + ' 天'
                         : (d === 0 ? '今天到期' : '剩 ' + d + ' 天');
                return it.status_name + '（' + LIGHTS[it.light] + '，' + left + '）';
            }
            function rowsOf(it) {
                if (it.id === undefined) {
                    var rows = it.grid_code ? [['网格', it.grid_code]] : [];
                    return rows.concat([['事件数', it.count], ['提示', '放大地图可查看单个事件']]);
                }
                var out = [['类型', it.kind_name], ['分类', it.category_name],
                           ['标题', it.title], ['情况', it.description],
                           ['发生时间',
                            String(it.occurred_at || '').slice(0, 16).replace('T', ' ')],
                           ['状态', stateOf(it)],
                           ['网格', it.grid_code]];
                if (it.due_day && !it.is_final) { out.push(['办理期限', it.due_day]); }
                people.forEach(function (p) {
                    out.push([p[1], (it.people || {})[p[0]] || '（空缺）']);
                });
                return out;
            }
            function popupOf(it) {
                var box = document.createElement('div');
                var table = document.createElement('table');
                table.className = 'gm-popup';
                rowsOf(it).forEach(function (r) {
                    var tr = table.insertRow(), th = document.createElement('th');
                    th.textContent = r[0];
                    tr.appendChild(th);
                    tr.insertCell().textContent = r[1] == null ? '' : String(r[1]);
                });
                box.appendChild(table);
                if (it.id !== undefined) {
                    var link = document.createElement('a');
                    link.className = 'gm-case-link';
                    link.href = caseBase + encodeURIComponent(String(it.id));
                    link.textContent = '查看案件详情';
                    box.appendChild(link);
                }
                return box;
            }
            function pin(it) {
                var light = lightOf(it);
                return L.divIcon({html: '', iconSize: L.point(18, 18),
                                  className: 'gm-pin gm-pin-' + light
                                             + ' gm-case-' + Number(it.id)});
            }
            function bubble(n) {
                return L.divIcon({html: '<div><span>' + Number(n) + '</span></div>',
                                  className: 'marker-cluster gm-bubble',
                                  iconSize: L.point(40, 40)});
            }
            // Opening a popup pans the map to fit it; reloading then would clear the marker
            // and close its popup. While a popup is open the markers stay; closing it reloads.
            var open = false;
            map.on('popupopen', function () { open = true; });
            map.on('popupclose', function () { open = false; load(); });
            function load() {
                if (!map.hasLayer(cluster) || open) { return; }
                var b = map.getBounds(), mine = ++seq;
                var url = base + '&bbox=' + [b.getWest(), b.getSouth(), b.getEast(),
                                             b.getNorth()].join(',') + '&zoom=' + map.getZoom();
                fetch(url).then(function (r) { return r.json(); }).then(function (data) {
                    if (mine !== seq) { return; }
                    cluster.clearLayers();
                    cluster.addLayers((data.items || []).map(function (it) {
                        var single = it.id !== undefined;
                        var options = {count: it.count,
                                       icon: single ? pin(it) : bubble(it.count),
                                       title: single ? PINS[lightOf(it)] : '',
                                       light: single ? lightOf(it) : null};
                        var m = L.marker([it.lat, it.lon], options);
                        m.bindPopup(popupOf(it), {maxWidth: 360});
                        return m;
                    }));
                    window.gmIncidents = data;
                });
            }
            map.on('moveend', load);
            map.on('overlayadd', load);
            load();
        })();
        {% endmacro %}
    """)

    def __init__(self, cluster: MarkerCluster, url: str, people: dict[str, str], case_base: str):
        super().__init__()
        self._name = "IncidentsOnDemand"
        self.cluster = cluster
        self.url = url
        self.people = list(people.items())
        self.case_base = case_base
        self.pins = {light: words for light, (_colour, words) in LIGHTS.items()}


def build(
    url: str, people: dict[str, str] | None = None, case_base: str = "/cases/"
) -> tuple[MarkerCluster, OnDemand]:
    """The cluster layer (for the layer control) and the loader that fills it from ``url``;
    ``people`` (role → label) are the rows of responsible people each popup shows, and
    ``case_base`` the address a case's id is added to for its page."""
    cluster = MarkerCluster(
        name="事件标注（按视野加载）",
        icon_create_function=SUM_COUNTS,
        options={"chunkedLoading": True, "maxClusterRadius": 50, "disableClusteringAtZoom": 17},
    )
    return cluster, OnDemand(cluster, url, people if people is not None else PEOPLE, case_base)


# The people who answered for the place when the incident happened (时任), not those of today.
PEOPLE = {
    "package_leader": "时任包片领导",
    "village_secretary": "时任村书记",
    "grid_member": "时任网格员",
}


def item(row: dict, people: dict | None) -> dict:
    """One incident of a map view as data: where, what, its state and deadline, and who
    answered for it (role → name)."""
    from gridmap.core.clock import deadline_words, iso_local

    due = row.get("due_at")
    return {
        "lat": row["lat"],
        "lon": row["lon"],
        "count": 1,
        "id": row["id"],
        "kind_name": row["kind_name"],
        "category_name": row["category_name"],
        "title": row["title"],
        "description": row["description"],
        "occurred_at": iso_local(row["occurred_at"]),
        "status_name": row["status_name"],
        "is_final": row["is_final"],
        "grid_code": row["grid_code"],
        # Written as every page writes a deadline: 2026-11-16 24:00 前.
        "due_day": deadline_words(due) if due else None,
        "light": row.get("light"),
        "days_left": row.get("days_left"),
        "people": dict(people or {}),
    }
