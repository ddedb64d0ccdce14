"""Villages and communities (村/社区): thin outlines named on hover."""

from __future__ import annotations

from layers.common import esc, feature, geojson_layer, table


def build(rows: list[dict]) -> object:
    features = [
        feature(
            row["geojson"],
            {
                "popup": table(
                    [
                        ("村（社区）", row["name"]),
                        ("编码", row["code"]),
                        ("类型", row["kind"]),
                        ("所属片区", row["package_area_name"]),
                        ("网格数", row["grids"]),
                        ("户数", row["households"]),
                    ]
                ),
                "tooltip": esc(row["name"]),
            },
        )
        for row in rows
    ]
    return geojson_layer(features, "村（社区）", {"color": "#444", "weight": 1.5, "fill": False})
