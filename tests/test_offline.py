"""A Folium page rendered by gridmap loads nothing from the internet (gridmap.web.offline)."""

import re
from pathlib import Path

import branca.colormap
import folium
import pytest
from folium.plugins import Draw, Fullscreen, HeatMap, LocateControl, MarkerCluster

from gridmap.web.offline import ASSETS, localize, vendor_files

STATIC = Path(__file__).resolve().parents[1] / "static"
PREFIX = "/static/"
# XML/SVG namespace identifiers are names, never fetched.
NAMESPACES = ("http://www.w3.org/",)
URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""", re.IGNORECASE)


def static_url(path: str) -> str:
    return PREFIX + path


def build_map() -> folium.Map:
    # with tiles=None folium drops max_zoom; MarkerCluster needs the map's own maxZoom
    m = folium.Map(location=[30.5, 114.0], zoom_start=14, tiles=None, max_zoom=18, maxZoom=18)
    cluster = MarkerCluster(name="事件").add_to(m)
    folium.Marker([30.5, 114.0], icon=folium.Icon(prefix="fa", icon="flag", angle=45)).add_to(
        cluster
    )
    folium.Marker([30.51, 114.01]).add_to(cluster)
    HeatMap([[30.5, 114.0, 1.0], [30.52, 114.02, 0.5]], name="热力").add_to(m)
    Draw(export=False).add_to(m)
    Fullscreen().add_to(m)
    LocateControl().add_to(m)
    grid = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "网格一"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[114.0, 30.5], [114.01, 30.5], [114.01, 30.51], [114.0, 30.5]]
                    ],
                },
            }
        ],
    }
    folium.GeoJson(grid, name="网格", tooltip=folium.GeoJsonTooltip(["name"])).add_to(m)
    branca.colormap.LinearColormap(["green", "yellow", "red"], vmin=0, vmax=10).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def external_urls(html: str) -> list[str]:
    return sorted({u for u in URL.findall(html) if not u.lower().startswith(NAMESPACES)})


def test_vendor_assets_present():
    missing = [p for p in vendor_files() if not (STATIC / p).is_file()]
    assert not missing, (
        f"{len(missing)} vendored asset(s) missing under {STATIC}: {missing}; "
        "run `bash scripts/vendor-assets.sh` (needs npm)"
    )


def test_css_references_exist():
    """Fonts and images referenced by the vendored CSS are local and present."""
    problems = []
    for path in vendor_files():
        css = STATIC / path
        if css.suffix != ".css" or not css.is_file():
            continue
        for ref in re.findall(r"""url\(\s*['"]?([^'")]+)""", css.read_text(encoding="utf-8")):
            if ref.startswith(("data:", "#")):  # inline data, IE behaviors (#default#VML)
                continue
            target = ref.split("?")[0].split("#")[0]
            if URL.match(ref) or not (css.parent / target).is_file():
                problems.append(f"{path}: {ref}")
    assert not problems, f"{problems}; run `bash scripts/vendor-assets.sh`"


def test_rendered_page_is_offline():
    m = build_map()
    localize(m, static_url)
    html = m.get_root().render()

    remaining = external_urls(html)
    assert not remaining, f"external URLs left in the page: {remaining}"

    local = sorted(set(re.findall(r'(?:src|href)="' + PREFIX + r'([^"]+)"', html)))
    assert local, "no local asset links in the page"
    assert set(local) <= set(vendor_files())
    missing = [p for p in local if not (STATIC / p).is_file()]
    assert not missing, f"missing under {STATIC}: {missing}; run `bash scripts/vendor-assets.sh`"
    # every plugin of the page, branca's d3 included, is loaded locally
    for name in ("leaflet", "markerclusterjs", "leaflet-heat.js", "leaflet_draw_js", "d3"):
        assert f'src="{PREFIX}{ASSETS[name]}"' in html, name
    assert "glyphicons" not in html


def test_class_level_lists_untouched():
    before = [list(folium.Map.default_js), list(MarkerCluster.default_css)]
    m = build_map()
    localize(m, static_url)
    localize(m, static_url)  # idempotent
    m.get_root().render()
    assert [folium.Map.default_js, MarkerCluster.default_css] == before
    assert all(url.startswith("https://") for _, url in folium.Map.default_js)
    assert all(url.startswith(PREFIX) for _, url in m.default_js)


def test_unknown_external_asset_raises():
    m = folium.Map(tiles=None)
    marker = folium.Marker([0, 0]).add_to(m)
    marker.default_js = [("leaflet.unknown", "https://cdn.example.com/unknown.js")]
    with pytest.raises(ValueError, match=r"Marker.*leaflet\.unknown.*https://cdn\.example\.com"):
        localize(m, static_url)


def test_unknown_link_added_while_rendering_raises():
    m = folium.Map(tiles=None)
    localize(m, static_url)
    m.get_root().header.add_child(
        folium.JavascriptLink("https://cdn.example.com/late.js"), name="late"
    )
    with pytest.raises(ValueError, match=r"late.*https://cdn\.example\.com/late\.js"):
        m.get_root().render()
