"""Incident markers, loaded for the visible area on demand and clustered.

A page never embeds every incident: when the map stops moving it asks ``/api/incidents`` for
the current view. Zoomed out, the answer is one bubble per grid with its count; zoomed in, the
incidents themselves, whose popups (escaped on the server) give kind, category, date, status,
grid and the people responsible. Cluster icons add up the counts of what they hold.
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
            var seq = 0;
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
                        m.bindPopup(it.popup, {maxWidth: 360});
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

    def __init__(self, cluster: MarkerCluster, url: str):
        super().__init__()
        self._name = "IncidentsOnDemand"
        self.cluster = cluster
        self.url = url


def build(url: str) -> tuple[MarkerCluster, OnDemand]:
    """The cluster layer (for the layer control) and the loader that fills it from ``url``."""
    cluster = MarkerCluster(
        name="事件标注（按视野加载）",
        icon_create_function=SUM_COUNTS,
        options={"chunkedLoading": True, "maxClusterRadius": 50, "disableClusteringAtZoom": 17},
    )
    return cluster, OnDemand(cluster, url)


LIGHTS = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}


def deadline_text(due, light: str | None, days_left: int | None) -> str:
    """ "2026-03-17（🟡 剩 2 天）": the last day of the period (the deadline is 24:00 of it), and
    the traffic light and days left that gm_clock gave."""
    from datetime import timedelta

    from gridmap.clock import local

    text = f"{local(due - timedelta(microseconds=1)):%Y-%m-%d}"
    if light is None or days_left is None:
        return text
    if days_left < 0:
        left = f"超期 {-days_left} 天"
    elif days_left == 0:
        left = "今天到期"
    else:
        left = f"剩 {days_left} 天"
    return f"{text}（{LIGHTS[light]}，{left}）"


def popup(row: dict, people_labels: dict[str, str]) -> str:
    """Escaped popup HTML for one incident: what, when, where, and who answers for it."""
    from gridmap.clock import local
    from layers.common import table

    people = row.get("people") or {}
    rows = [
        ("类型", row["kind_name"]),
        ("分类", row["category_name"]),
        ("标题", row["title"]),
        ("情况", row["description"]),
        ("发生时间", f"{local(row['occurred_at']):%Y-%m-%d %H:%M}"),
        # The filter's words (办理中 / 已办结) with the workflow's own state.
        ("状态", f"{'已办结' if row['is_final'] else '办理中'}（{row['status_name']}）"),
        ("网格", row["grid_code"]),
    ]
    if row.get("due_at") is not None and not row["is_final"]:
        rows.append(
            ("办理期限", deadline_text(row["due_at"], row.get("light"), row.get("days_left")))
        )
    rows += [(label, people.get(role, "（空缺）")) for role, label in people_labels.items()]
    return table(rows)
