"""Emerging hot spots: each grid's space-time pattern over monthly bins (Esri's categories).

This is the layer 源头治理 needs: it separates places where conflicts keep coming back
(persistent, intensifying) or are starting (new, consecutive) from those that are fading.
"""

from __future__ import annotations

from layers.common import esc, feature, geojson_layer, table
from layers.legend import Legend


def build(rows: list[dict], colours: dict[str, str], show: bool = False):
    """``rows``: geojson, code, name, category, category_name, trend_z, trend_p."""
    features = []
    for row in rows:
        features.append(
            feature(
                row["geojson"],
                {
                    "code": row["code"],
                    "popup": table(
                        [
                            ("网格", row["name"]),
                            ("编码", row["code"]),
                            ("时空模式", row["category_name"]),
                            ("趋势 z（Mann-Kendall）", f"{row['trend_z']:.2f}"),
                            ("趋势 p", f"{row['trend_p']:.3f}"),
                        ]
                    ),
                    "tooltip": f"{esc(row['name'])}：{esc(row['category_name'])}",
                    "style": {
                        "fillColor": colours.get(row["category"], "#dddddd"),
                        "fillOpacity": 0.1 if row["category"] == "no_pattern" else 0.75,
                    },
                },
            )
        )
    return geojson_layer(
        features,
        "新兴热点（时空模式）",
        {"color": "#666", "weight": 0.5, "fillOpacity": 0.75},
        show=show,
    )


def legend(categories: list[tuple[str, str, str]], present: set[str], layer=None) -> Legend:
    """Only the categories that occur, in Esri's order."""
    items = [(colour, name) for code, name, colour in categories if code in present]
    return Legend("新兴热点（按月）", items, layer)
