"""The street's legal resources to set against the hotspots: 法律明白人 (legal-savvy villagers),
人民调解员 (mediators) and 法律顾问 (legal advisers)."""

from __future__ import annotations

import folium

from layers.common import table

ICONS = {
    "legal_savvy": ("user", "green"),
    "mediator": ("handshake", "blue"),
    "legal_adviser": ("scale-balanced", "purple"),
}


def build(rows: list[dict], show: bool = False) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name="法治资源（法律明白人、调解员、法律顾问）", show=show)
    for row in rows:
        icon, colour = ICONS.get(row["role"], ("user", "gray"))
        folium.Marker(
            [row["lat"], row["lon"]],
            icon=folium.Icon(icon=icon, prefix="fa", color=colour),
            popup=folium.Popup(
                table(
                    [
                        ("姓名", row["name"]),
                        ("身份", row["role_name"]),
                        ("村（社区）", row["village_name"]),
                    ]
                ),
                max_width=300,
            ),
        ).add_to(group)
    return group
