"""Grids (网格) filled by package area; a click names everyone answering for the grid.

The popup walks the six-level chain (六级网格架构) from the 包片 leader down to the grid member,
then the households (农户) at its foot.
"""

from __future__ import annotations

from layers.common import PALETTE, esc, feature, geojson_layer, table

CHAIN = [
    ("package_leader", "包片党政领导"),
    ("village_secretary", "村书记"),
    ("village_cadre", "村干部"),
    ("group_leader", "小组长"),
    ("grid_member", "网格员"),
]


def build(rows: list[dict], colours: dict[str, str], popups: bool = True) -> object:
    """The grids layer; without ``popups`` (a page where a tap drops a pin: Leaflet stops a
    click that opens a popup) each grid keeps only its name as a tooltip."""
    features = []
    for row in rows:
        people = row["people"] or []
        chain = [
            (label, "、".join(p["name"] for p in people if p["role"] == role) or "（空缺）")
            for role, label in CHAIN
        ]
        popup = popups and table(
            [
                ("网格", row["name"]),
                ("网格编码", row["code"]),
                ("村（社区）", row["village_name"]),
                ("片区", row["package_area_name"]),
                *chain,
                ("农户（户数）", row["households"]),
                ("人口", row["population"]),
                ("单元数", row["units"]),
            ]
        )
        colour = colours.get(row["package_area_code"], PALETTE[0])
        features.append(
            feature(
                row["geojson"],
                {
                    "code": row["code"],
                    "popup": popup or "",
                    "tooltip": esc(row["name"]),
                    "style": {"fillColor": colour},
                },
            )
        )
    return geojson_layer(
        features,
        "网格",
        {"color": "#666", "weight": 0.8, "fillOpacity": 0.25, "opacity": 0.8},
        highlight={"weight": 3, "color": "#000", "fillOpacity": 0.45},
    )
