"""Base tiles from settings: none, Tianditu with a key, or an XYZ template."""

from __future__ import annotations

import folium
import pytest

from gridmap.core.errors import ConfigError
from gridmap.web import basemap


def tiles(setting: str, key: str = "") -> list[str]:
    m = folium.Map(tiles=None)
    basemap.add_tiles(m, {"TILES": setting, "TIANDITU_KEY": key, "TILES_ATTRIBUTION": ""})
    return [c.tiles for c in m._children.values() if isinstance(c, folium.TileLayer)]


def test_no_tiles_by_default():
    assert tiles("none") == []


def test_an_xyz_template_is_used_as_given():
    assert tiles("http://tiles.intranet/{z}/{x}/{y}.png") == [
        "http://tiles.intranet/{z}/{x}/{y}.png"
    ]


def test_tianditu_needs_a_key_and_uses_it():
    with pytest.raises(ConfigError, match="天地图密钥"):
        tiles("tianditu")
    urls = tiles("tianditu", key="abc123")
    assert len(urls) == 2 and all("tk=abc123" in u and "{z}" in u for u in urls)


def test_a_template_without_placeholders_is_refused():
    with pytest.raises(ConfigError, match="底图设置无法识别"):
        tiles("http://tiles.intranet/")
