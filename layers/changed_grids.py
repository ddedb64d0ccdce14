"""Grids that differ between two divisions (区划对照): outlined in red over the grids layer.

A grid "differs" when it exists in one division only, or its shape is not the same in both;
the page that compares two divisions names which (gridmap.web.planner).
"""

from __future__ import annotations

from layers.common import esc, feature, geojson_layer


def build(rows: list[dict], changed: dict[str, str]) -> object:
    """``rows``: one division's grids (code, name, geojson); ``changed``: code → what changed
    (新建 / 撤销 / 边界调整), for the grids of this division that differ."""
    features = [
        feature(
            row["geojson"],
            {"popup": "", "tooltip": esc(f"{row['name']}：{changed[row['code']]}")},
        )
        for row in rows
        if row["code"] in changed
    ]
    return geojson_layer(
        features,
        "调整过的网格",
        {"color": "#d00000", "weight": 3, "dashArray": "6 3", "fill": False},
    )
