"""Units (村民小组, 自然湾, 小区) outlined: a group leader's own area on the center's map.

A 小组长 answers for a unit, which is part of a grid; the grid's figures hold other units'
incidents, so the leader sees no grid, only the outline of their unit and its incidents.
"""

from __future__ import annotations

from layers.common import esc, feature, geojson_layer, table

NAME = "我的单元（村民小组）"


def build(rows: list[dict]) -> object:
    """``rows``: code, name, kind, households, grid_name, village_name, geojson."""
    features = [
        feature(
            row["geojson"],
            {
                "code": row["code"],
                "popup": table(
                    [
                        (row["kind"], row["name"]),
                        ("编码", row["code"]),
                        ("所在网格", row["grid_name"]),
                        ("村（社区）", row["village_name"]),
                        ("户数", row["households"]),
                    ]
                ),
                "tooltip": esc(row["name"]),
            },
        )
        for row in rows
    ]
    style = {"color": "#8b1a1a", "weight": 3, "fillColor": "#8b1a1a", "fillOpacity": 0.08}
    return geojson_layer(features, NAME, style)
