"""Base-map tiles from settings: none, Tianditu (with a key) or any XYZ template.

On a government intranet there is often no tile server at all; the map then shows the
boundaries on a plain background and works just the same.
"""

from __future__ import annotations

import folium

from gridmap.core.errors import ConfigError

TIANDITU = (
    "http://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
    "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


def add_tiles(m: folium.Map, config: dict) -> None:
    source = (config["TILES"] or "none").strip()
    if source == "none":
        return
    if source == "tianditu":
        key = config["TIANDITU_KEY"]
        if not key:
            raise ConfigError("底图设为天地图，但没有设置天地图密钥 GRIDMAP_TIANDITU_KEY。")
        for layer, name in (("vec", "天地图矢量"), ("cva", "天地图注记")):
            folium.TileLayer(
                tiles=TIANDITU.format(s="{s}", layer=layer, key=key),
                attr="天地图",
                name=name,
                subdomains="01234567",
                max_zoom=18,
                overlay=(layer == "cva"),
            ).add_to(m)
        return
    if "{z}" not in source or "{x}" not in source or "{y}" not in source:
        raise ConfigError(
            f"底图设置无法识别：{source!r}（可为 none、tianditu 或含 {{z}}/{{x}}/{{y}} 的地址）"
        )
    folium.TileLayer(
        tiles=source, attr=config["TILES_ATTRIBUTION"] or "底图", name="底图", max_zoom=18
    ).add_to(m)
