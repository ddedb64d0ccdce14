"""How each grid's incidents went from month to month, in words: 持续高发, 新出现, 正在缓解.

This is the layer 源头治理 needs: it separates places where conflicts keep coming back
(持续高发) or are starting (新出现) from those that are calming down (正在缓解). The words
come from Esri's emerging hot spot categories (gridmap.center.hotwords maps each one); the
category and its Mann–Kendall trend are a details line of the popup.
"""

from __future__ import annotations

from gridmap.center import hotwords
from layers.common import esc, feature, geojson_layer, table
from layers.legend import Legend

NAME = "高发趋势（按月）"
COLOURS = {
    hotwords.PERSISTENT: "#a50f15",
    hotwords.NEW: "#fd8d3c",
    hotwords.EASING: "#6baed6",
    hotwords.NONE: "#d9d9d9",
}


def trend_of(row: dict) -> str:
    """The grid's trend word (an unknown category is no pattern)."""
    return row.get("trend_word") or hotwords.TRENDS.get(row["category"], hotwords.NONE)


def build(rows: list[dict], show: bool = False):
    """``rows``: geojson, code, name, category, category_name, trend_z, trend_p (trend_word)."""
    features = []
    for row in rows:
        trend = trend_of(row)
        features.append(
            feature(
                row["geojson"],
                {
                    "code": row["code"],
                    "popup": table(
                        [
                            ("网格", row["name"]),
                            ("编码", row["code"]),
                            ("趋势", trend),
                            ("统计", hotwords.trend_details(row)),
                        ]
                    ),
                    "tooltip": f"{esc(row['name'])}：{esc(trend)}",
                    "style": {
                        "fillColor": COLOURS[trend],
                        "fillOpacity": 0.1 if trend == hotwords.NONE else 0.75,
                    },
                },
            )
        )
    return geojson_layer(
        features, NAME, {"color": "#666", "weight": 0.5, "fillOpacity": 0.75}, show=show
    )


def legend(present: set[str], layer=None) -> Legend:
    """Only the words that occur, strongest first."""
    items = [(COLOURS[w], w) for w in hotwords.ORDER if w in COLOURS and w in present]
    return Legend(NAME, items, layer)
