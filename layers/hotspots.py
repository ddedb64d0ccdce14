"""高发 places: the significant hot spots of Getis-Ord Gi*, in words.

A place is 高发 when the analysis finds more incidents in and around it than chance would put
there (Gi* after the false discovery rate correction, ArcGIS's Gi_Bin +1…+3); its shade says
how sure that is (十分明显 / 明显 / 略有迹象 for 99 / 95 / 90 % confidence). Everything else,
cold spots included, is 无明显聚集 and left nearly clear. The statistics themselves are a
details line of the popup (gridmap.center.hotwords), for whoever wants to check them.
"""

from __future__ import annotations

from gridmap.center import hotwords
from layers.common import esc, feature, geojson_layer, table
from layers.legend import Legend

# Shades of 高发 by Gi_Bin (ArcGIS's hot colours), and the clear fill of the rest.
SHADES = {3: "#d62f27", 2: "#ed7551", 1: "#fab984"}
CLEAR = "#ffffbf"
GRIDS_NAME = "高发网格（热点分析）"


def label(gi_bin: int, count: int) -> str:
    """The words of one place: 高发（明显）, or 无明显聚集."""
    if gi_bin > 0 and count > 0:
        return f"{hotwords.HIGH}（{hotwords.SURE[gi_bin]}）"
    return hotwords.NONE


def build(rows: list[dict], name: str = GRIDS_NAME, show: bool = True, only_hot: bool = False):
    """``rows``: geojson, code, name, count, z, p (q), gi_bin. ``only_hot`` leaves out what is
    not 高发 (the fishnet's cold cells: nothing to act on)."""
    features = []
    for row in rows:
        gi_bin, count = int(row["gi_bin"]), int(row["count"])
        hot = gi_bin > 0 and count > 0
        if only_hot and not hot:
            continue
        words = label(gi_bin, count)
        features.append(
            feature(
                row["geojson"],
                {
                    "code": row["code"],
                    "popup": table(
                        [
                            ("位置", row["name"]),
                            ("编码", row["code"]),
                            ("事件数", count),
                            ("情况", words),
                            ("统计", hotwords.gi_details(row)),
                        ]
                    ),
                    "tooltip": f"{esc(row['name'])}：{esc(words)}",
                    "style": {
                        "fillColor": SHADES[gi_bin] if hot else CLEAR,
                        "fillOpacity": 0.75 if hot else 0.15,
                    },
                },
            )
        )
    return geojson_layer(
        features, name, {"color": "#666", "weight": 0.5, "fillOpacity": 0.75}, show=show
    )


def legend(layer=None, title: str = "高发网格", too_few: bool = False) -> Legend:
    """The shades and their words; with ``too_few`` incidents to judge, the title alone
    (it says so)."""
    items = [(SHADES[k], label(k, 1)) for k in (3, 2, 1)] + [(CLEAR, hotwords.NONE)]
    return Legend(title, [] if too_few else items, layer)
