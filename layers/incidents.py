"""Incident markers, loaded for the visible area on demand and clustered.

A page never embeds every incident: when the map stops moving it asks ``/api/map/incidents``
for the current view. Zoomed out, the answer is one bubble per grid with its count; zoomed in,
the incidents themselves. The API answers data, never markup: the popups (kind, category, date,
status, grid, deadline and the people responsible) are built here in the browser, every value
set as text (textContent), so that nothing a person typed is ever read as HTML. Cluster icons
add up the counts of what they hold.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.plugins import MarkerCluster
from jinja2 import Template

SUM_COUNTS = """
function (cluster) {
    var n = 0;
    cluster.getAllChildMarkers().forEach(function (m) { n += m.options.count || 1; });
    var size = n < 10 ? 'small' : (n < 100 ? 'medium' : 'large');
    return L.divIcon({html: '<div><span>' + n + '</span></div>',
                      className: 'marker-cluster marker-cluster-' + size,
                      iconSize: L.point(40, 40)});
}
"""


class OnDemand(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var cluster = {{ this.cluster.get_name() }};
            var base = {{ this.url | tojson }};
            var people = {{ this.people | tojson }};
            var seq = 0;
            var LIGHTS = {green: '绿灯', yellow: '黄灯', red: '红灯'};
            function deadline(it) {
                if (!it.due_day || it.is_final) { return null; }
                if (it.light == null || it.days_left == null) { return it.due_day; }
                var d = it.days_left;
                var left = d < 0 ? '超期 ' + (-d) + ' 天'
                         : (d === 0 ? '今天到期' : '剩 ' + d + ' 天');
                return it.due_day + '（' + LIGHTS[it.light] + '，' + left + '）';
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
                           // The filter's words (办理中 / 已办结) with the workflow's own state.
                           ['状态',
                            (it.is_final ? '已办结' : '办理中') + '（' + it.status_name + '）'],
                           ['网格', it.grid_code]];
                var due = deadline(it);
                if (due) { out.push(['办理期限', due]); }
                people.forEach(function (p) {
                    out.push([p[1], (it.people || {})[p[0]] || '（空缺）']);
                });
                return out;
            }
            function popupOf(it) {
                var table = document.createElement('table');
                table.className = 'gm-popup';
                rowsOf(it).forEach(function (r) {
                    var tr = table.insertRow(), th = document.createElement('th');
                    th.textContent = r[0];
                    tr.appendChild(th);
                    tr.insertCell().textContent = r[1] == null ? '' : String(r[1]);
                });
                return table;
            }
            function bubble(n) {
                var size = n < 10 ? 'small' : (n < 100 ? 'medium' : 'large');
                return L.divIcon({html: '<div><span>' + Number(n) + '</span></div>',
                                  className: 'marker-cluster marker-cluster-' + size,
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
                        var options = {count: it.count};
                        if (it.count > 1) { options.icon = bubble(it.count); }
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

    def __init__(self, cluster: MarkerCluster, url: str, people: dict[str, str]):
        super().__init__()
        self._name = "IncidentsOnDemand"
        self.cluster = cluster
        self.url = url
        self.people = list(people.items())


def build(url: str, people: dict[str, str] | None = None) -> tuple[MarkerCluster, OnDemand]:
    """The cluster layer (for the layer control) and the loader that fills it from ``url``;
    ``people`` (role → label) are the rows of responsible people each popup shows."""
    cluster = MarkerCluster(
        name="事件标注（按视野加载）",
        icon_create_function=SUM_COUNTS,
        options={"chunkedLoading": True, "maxClusterRadius": 50, "disableClusteringAtZoom": 17},
    )
    return cluster, OnDemand(cluster, url, people if people is not None else PEOPLE)


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
