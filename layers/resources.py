"""The street's legal resources to set against the hotspots: 法律明白人 (legal-savvy villagers),
人民调解员 (mediators) and 法律顾问 (legal advisers)."""

from __future__ import annotations

import folium

from layers.common import geojson, point, table

ICONS = {
    "legal_savvy": ("user", "green"),
    "mediator": ("handshake", "blue"),
    "legal_adviser": ("scale-balanced", "purple"),
}
OTHER = ("user", "gray")


def build(rows: list[dict], show: bool = False) -> folium.FeatureGroup:
    """``rows``: lat, lon, name, role, role_name, village_name (and phone, for the center).
    One GeoJSON layer per icon,
    the people as point features whose popups are bound from their properties."""
    name = "法治资源（法律明白人、调解员、法律顾问）"
    group = folium.FeatureGroup(name=name, show=show)
    by_icon: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        by_icon.setdefault(ICONS.get(row["role"], OTHER), []).append(_point(row))
    for (icon, colour), features in by_icon.items():
        marker = folium.Marker(icon=folium.Icon(icon=icon, prefix="fa", color=colour))
        geojson(features, name, marker=marker).add_to(group)
    return group


def _point(row: dict) -> dict:
    """Shown at the village they serve (never at home); a phone only when the row has one,
    which the data layer gives to the center alone (it dispatches them)."""
    rows = [("姓名", row["name"]), ("身份", row["role_name"]), ("村（社区）", row["village_name"])]
    if row.get("phone"):
        rows.append(("联系电话", row["phone"]))
    popup = table(rows)
    return point(row["lat"], row["lon"], {"popup": popup, "popup_options": {"maxWidth": 300}})
