"""Package areas (片区) outlined and labelled with their 包片 leader.

A 包片党政领导 is the street leader who "packages" (包保) a set of villages and answers for every
conflict in them; the label puts that name on the map where the governance center looks.
"""

from __future__ import annotations

from layers.common import PALETTE, esc, feature, geojson_layer, table


def build(rows: list[dict], colours: dict[str, str]) -> object:
    features = []
    for row in rows:
        leader = row["leader"] or "（空缺）"
        label = f"<b>{esc(row['name'])}</b><br>包片领导：{esc(leader)}"
        features.append(
            feature(
                row["geojson"],
                {
                    "popup": table(
                        [
                            ("片区", row["name"]),
                            ("编码", row["code"]),
                            ("包片党政领导", row["leader_with_title"] or "（空缺）"),
                            ("村（社区）数", row["villages"]),
                        ]
                    ),
                    "tooltip": label,
                    "tooltip_options": {
                        "permanent": True,
                        "direction": "center",
                        "className": "gm-pa-label",
                    },
                    "style": {"color": colours.get(row["code"], PALETTE[0])},
                },
            )
        )
    return geojson_layer(
        features, "片区与包片领导", {"weight": 3, "fill": False, "dashArray": "6 4", "opacity": 0.9}
    )
