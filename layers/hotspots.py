"""Statistical hot and cold spots (Getis-Ord Gi*) coloured as ArcGIS colours them.

Classes follow ArcGIS's Gi_Bin: ±3, ±2, ±1 are hot (+) or cold (−) spots at 99, 95 and 90 %
confidence after false-discovery-rate correction; 0 is not significant.
"""

from __future__ import annotations

from layers.common import esc, feature, geojson_layer, table
from layers.legend import Legend

CLASSES = {
    3: ("#d62f27", "热点（99% 置信）"),
    2: ("#ed7551", "热点（95% 置信）"),
    1: ("#fab984", "热点（90% 置信）"),
    0: ("#ffffbf", "不显著"),
    -1: ("#c0ccbe", "冷点（90% 置信）"),
    -2: ("#849eba", "冷点（95% 置信）"),
    -3: ("#4575b5", "冷点（99% 置信）"),
}


def build(rows: list[dict], name: str = "热点分析（Gi*，网格）", show: bool = True):
    """``rows``: geojson, code, name, count, z, p, gi_bin (and optionally village_name)."""
    features = []
    for row in rows:
        colour, label = CLASSES[int(row["gi_bin"])]
        features.append(
            feature(
                row["geojson"],
                {
                    "code": row["code"],
                    "popup": table(
                        [
                            ("位置", row["name"]),
                            ("编码", row["code"]),
                            ("事件数", row["count"]),
                            ("Gi* z 值", f"{row['z']:.2f}"),
                            ("p 值", f"{row['p']:.4f}"),
                            ("分类", label),
                        ]
                    ),
                    "tooltip": f"{esc(row['name'])}：{esc(label)}",
                    "style": {"fillColor": colour},
                },
            )
        )
    layer = geojson_layer(
        features, name, {"color": "#666", "weight": 0.5, "fillOpacity": 0.75}, show=show
    )
    return layer


def legend(layer=None) -> Legend:
    items = [CLASSES[k] for k in sorted(CLASSES, reverse=True)]
    return Legend("热点分析 Gi*（FDR 校正）", items, layer)
