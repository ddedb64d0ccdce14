"""The street's own base map from a file: small MBTiles and PMTiles files made here, each tile a
PNG of its own colour over the demo street, served by gridmap at /tiles/ and drawn by the map."""

from __future__ import annotations

import io
import math
import sqlite3
from pathlib import Path

import folium
import pytest
from flask import request
from PIL import Image
from pmtiles import tile as pmtile
from pmtiles import writer as pmwriter

from gridmap import create_app
from gridmap.core.errors import ConfigError
from gridmap.geo import tilefiles
from gridmap.store import db
from gridmap.web import basemap
from tests.conftest import Served, sign_in, sign_in_browser, wait_until
from tests.test_overview_page import off_machine, watch_requests

ZOOMS = (11, 12)
ATTRIBUTION = '<a href="https://example.org/">蔡甸区测绘院</a> &amp; 示意底图'


# ----------------------------------------------------------------- the files, made here


def colour(z: int, x: int, y: int) -> tuple[int, int, int]:
    """A colour of its own for every tile of the files (so a tile served for the wrong z/x/y,
    or with y unflipped, shows the wrong colour)."""
    return (40 + 60 * (z - ZOOMS[0]), (x * 47) % 256, (y * 83) % 256)


def png(z: int, x: int, y: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), colour(z, x, y)).save(out, format="PNG")
    return out.getvalue()


def tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    rad = math.radians(lat)
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(rad)) / math.pi) / 2 * n)


def tiles_over(bounds) -> dict[tuple[int, int, int], bytes]:
    """Every tile over ``bounds`` (west, south, east, north) at the two zoom levels."""
    west, south, east, north = bounds
    out = {}
    for z in ZOOMS:
        (x0, y0), (x1, y1) = tile_xy(west, north, z), tile_xy(east, south, z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                out[(z, x, y)] = png(z, x, y)
    return out


def write_mbtiles(path: Path, tiles: dict, bounds, metadata: dict | None = None) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE metadata (name text, value text)")
    conn.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer,"
        " tile_data blob)"
    )
    conn.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
    values = {
        "name": "侏儒山街道示意底图",
        "format": "png",
        "bounds": ",".join(str(v) for v in bounds),
        "minzoom": str(min(ZOOMS)),
        "maxzoom": str(max(ZOOMS)),
        "attribution": ATTRIBUTION,
        **(metadata or {}),
    }
    conn.executemany("INSERT INTO metadata VALUES (?, ?)", list(values.items()))
    conn.executemany(  # rows counted from the south (TMS), as the MBTiles spec has them
        "INSERT INTO tiles VALUES (?, ?, ?, ?)",
        [(z, x, (1 << z) - 1 - y, data) for (z, x, y), data in tiles.items()],
    )
    conn.commit()
    conn.close()
    return path


def write_pmtiles(path: Path, tiles: dict, bounds, tile_type=pmtile.TileType.PNG) -> Path:
    west, south, east, north = bounds
    with pmwriter.write(str(path)) as w:
        for (z, x, y), data in sorted(tiles.items(), key=lambda t: pmtile.zxy_to_tileid(*t[0])):
            w.write_tile(pmtile.zxy_to_tileid(z, x, y), data)
        w.finalize(
            {
                "tile_type": tile_type,
                "tile_compression": pmtile.Compression.NONE,
                "min_lon_e7": int(west * 1e7),
                "min_lat_e7": int(south * 1e7),
                "max_lon_e7": int(east * 1e7),
                "max_lat_e7": int(north * 1e7),
                "center_zoom": ZOOMS[0],
                "center_lon_e7": int((west + east) / 2 * 1e7),
                "center_lat_e7": int((south + north) / 2 * 1e7),
            },
            {"name": "侏儒山街道示意底图", "attribution": ATTRIBUTION},
        )
    return path


@pytest.fixture(scope="module")
def street_bounds(settings, demo_loaded):
    """The demo street's extent, as its map pages fit it."""
    with db.connect(settings) as conn:
        row = conn.execute(
            "SELECT ST_XMin(e) AS w, ST_YMin(e) AS s, ST_XMax(e) AS e, ST_YMax(e) AS n"
            " FROM (SELECT ST_Extent(geom) AS e FROM village WHERE street_code = %s) x",
            (settings["STREET_CODE"],),
        ).fetchone()
    return (row["w"], row["s"], row["e"], row["n"])


@pytest.fixture(scope="module")
def made(tmp_path_factory, street_bounds):
    """One tile set, written as an MBTiles and as a PMTiles file."""
    folder = tmp_path_factory.mktemp("tiles")
    tiles = tiles_over(street_bounds)
    return {
        "tiles": tiles,
        "bounds": street_bounds,
        "mbtiles": write_mbtiles(folder / "街道底图.mbtiles", tiles, street_bounds),
        "pmtiles": write_pmtiles(folder / "street.pmtiles", tiles, street_bounds),
    }


@pytest.fixture(scope="module", params=["mbtiles", "pmtiles"])
def tiled_app(request, settings, made):
    app = create_app({**settings, "TESTING": True, "TILES": str(made[request.param])})
    yield app
    db.close(app)


# ----------------------------------------------------------------- reading the files


def test_the_setting_names_a_file_by_its_ending_and_a_server_by_its_address():
    assert tilefiles.names_file("zhurushan.mbtiles") and tilefiles.names_file(" /srv/底图.PMTiles")
    for server in ("tianditu", "http://tiles.intranet/{z}/{x}/{y}.png", "http://h/a.pmtiles"):
        assert not tilefiles.names_file(server), server
    assert tilefiles.path_of("a.mbtiles", "/srv/inst") == Path("/srv/inst/a.mbtiles")
    assert tilefiles.path_of("/data/a.mbtiles", "/srv/inst") == Path("/data/a.mbtiles")


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_the_file_s_own_metadata_gives_the_map_its_bounds_and_zooms(made, kind):
    meta = tilefiles.open_file(made[kind]).meta
    assert (meta.kind, meta.format) == ({"mbtiles": "MBTiles", "pmtiles": "PMTiles"}[kind], "png")
    assert (meta.min_zoom, meta.max_zoom) == ZOOMS
    assert meta.bounds == pytest.approx(made["bounds"], abs=1e-6)
    assert meta.attribution == "蔡甸区测绘院 & 示意底图"  # the file's HTML, as text


def test_an_mbtiles_file_without_bounds_or_zooms_is_measured_from_its_tiles(tmp_path, made):
    tiles = {k: v for k, v in made["tiles"].items()}
    path = write_mbtiles(tmp_path / "bare.mbtiles", tiles, made["bounds"])
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM metadata WHERE name IN ('bounds', 'minzoom', 'maxzoom')")
    conn.close()
    meta = tilefiles.open_file(path).meta
    assert (meta.min_zoom, meta.max_zoom) == ZOOMS
    west, south, east, north = meta.bounds  # the deepest tiles' extent holds the street's
    w, s, e, n = made["bounds"]
    assert west <= w < east and south <= s < north and west < e <= east and south < n <= north


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_each_tile_is_read_by_its_map_address_and_a_missing_one_is_none(made, kind):
    opened = tilefiles.open_file(made[kind])
    for (z, x, y), data in made["tiles"].items():
        assert opened.tile(z, x, y) == data, (z, x, y)
    (z, x, y) = max(made["tiles"])
    assert opened.tile(z, x + 1, y) is None  # beside the street: not in the file
    assert opened.tile(z + 1, x * 2, y * 2) is None  # deeper than the file
    assert opened.tile(3, 99, 0) is None  # no such tile at all


def test_a_map_page_s_layer_uses_gridmap_s_address_and_the_file_s_metadata(tiled_app, made):
    with tiled_app.test_request_context("/"):
        m = folium.Map(tiles=None)
        basemap.add_tiles(m, tiled_app.config)
        (layer,) = [c for c in m._children.values() if isinstance(c, folium.TileLayer)]
        version = basemap.source().current().meta.version
    assert layer.tiles == f"/tiles/{{z}}/{{x}}/{{y}}?v={version}"
    assert layer.options["max_native_zoom"] == max(ZOOMS)
    assert layer.options["min_native_zoom"] == min(ZOOMS)
    (south, west), (north, east) = layer.options["bounds"]
    assert (west, south, east, north) == pytest.approx(made["bounds"], abs=1e-6)
    # Leaflet sets attribution as HTML: the file's words arrive escaped.
    assert layer.options["attribution"] == "蔡甸区测绘院 &amp; 示意底图"


MAP_PAGES = {  # every map page, as the account that works with it
    "center": ("/", "/center/"),
    "gridmember": ("/field/",),
    "planner": ("/planner/divisions",),
}


@pytest.mark.parametrize("who", list(MAP_PAGES))
def test_every_map_page_draws_the_file_from_gridmap(tiled_app, who):
    client = sign_in(tiled_app.test_client(), who)
    version = tiled_app.extensions[basemap.EXTENSION].current().meta.version
    for path in MAP_PAGES[who]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert f'"/tiles/{{z}}/{{x}}/{{y}}?v={version}"' in r.get_data(as_text=True), path


# ----------------------------------------------------------------- the route


def test_the_route_answers_each_tile_with_its_bytes_and_caching(tiled_app, made):
    client = sign_in(tiled_app.test_client(), "center")
    version = tiled_app.extensions[basemap.EXTENSION].current().meta.version
    for (z, x, y), data in list(made["tiles"].items())[::5]:
        r = client.get(f"/tiles/{z}/{x}/{y}?v={version}")
        assert r.status_code == 200 and r.mimetype == "image/png", (z, x, y)
        assert r.data == data, (z, x, y)  # y counted from the north: MBTiles' rows flipped
        assert r.headers["Cache-Control"] == "private, max-age=31536000, immutable"
        assert "Cookie" not in r.headers.get("Vary", "")  # the same tile whoever signed in
        again = client.get(
            f"/tiles/{z}/{x}/{y}?v={version}", headers={"If-None-Match": r.headers["ETag"]}
        )
        assert again.status_code == 304 and again.data == b""
    old = client.get(f"/tiles/{z}/{x}/{y}?v=old")  # a page from before the file changed
    assert old.status_code == 200 and old.headers["Cache-Control"] == "private, no-cache"


def test_a_tile_the_file_lacks_is_an_empty_answer(tiled_app, made):
    client = sign_in(tiled_app.test_client(), "center")
    (z, x, y) = max(made["tiles"])
    for path in (f"/tiles/{z}/{x + 1}/{y}", f"/tiles/{z + 3}/0/0", "/tiles/2/9/9"):
        r = client.get(path)
        assert r.status_code == 204 and r.data == b"", path
        assert "Content-Type" not in r.headers and r.headers["ETag"]


def test_tiles_are_for_accounts_that_see_a_map(tiled_app, made):
    (z, x, y) = min(made["tiles"])
    assert tiled_app.test_client().get(f"/tiles/{z}/{x}/{y}").status_code == 302  # sign in
    assert sign_in(tiled_app.test_client(), "auditor").get(f"/tiles/{z}/{x}/{y}").status_code == 403
    for who in ("gridmember", "planner", "admin"):
        r = sign_in(tiled_app.test_client(), who).get(f"/tiles/{z}/{x}/{y}")
        assert r.status_code == 200 and r.data == made["tiles"][(z, x, y)], who


def test_without_a_file_the_route_says_there_is_none(client):
    r = client.get("/tiles/12/3370/1700")
    assert r.status_code == 404 and "没有设置底图文件" in r.get_data(as_text=True)


def test_a_jpeg_tile_among_png_ones_is_sent_as_jpeg(tmp_path, settings, made):
    (z, x, y) = min(made["tiles"])
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 30, 30)).save(out, format="JPEG")
    tiles = {**made["tiles"], (z, x, y): out.getvalue()}
    path = write_mbtiles(tmp_path / "mixed.mbtiles", tiles, made["bounds"])
    app = create_app({**settings, "TESTING": True, "TILES": str(path)})
    try:
        r = sign_in(app.test_client(), "center").get(f"/tiles/{z}/{x}/{y}")
        assert r.mimetype == "image/jpeg" and r.data == out.getvalue()
    finally:
        db.close(app)


def test_a_relative_path_is_taken_in_the_instance_folder(tmp_path, settings, made):
    (tmp_path / "底图.pmtiles").write_bytes(made["pmtiles"].read_bytes())
    app = create_app(
        {**settings, "TESTING": True, "INSTANCE_DIR": str(tmp_path), "TILES": "底图.pmtiles"}
    )
    try:
        assert app.extensions[basemap.EXTENSION].path == tmp_path / "底图.pmtiles"
    finally:
        db.close(app)


def test_a_replaced_file_is_served_anew_under_a_new_version(tmp_path, settings, made):
    path = tmp_path / "street.mbtiles"
    path.write_bytes(made["mbtiles"].read_bytes())
    app = create_app({**settings, "TESTING": True, "TILES": str(path)})
    try:
        held = app.extensions[basemap.EXTENSION]
        before = held.current().meta.version
        (z, x, y) = min(made["tiles"])
        replaced = {(z, x, y): png(z, x + 1, y)}
        write_mbtiles(tmp_path / "new.mbtiles", replaced, made["bounds"])
        (tmp_path / "new.mbtiles").replace(path)
        assert held.current().meta.version != before
        assert held.current().tile(z, x, y) == replaced[(z, x, y)]
    finally:
        db.close(app)


# ----------------------------------------------------------------- refused in words


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        tilefiles.open_file(path)
    return caught.value.message


def test_a_missing_file_stops_gridmap_from_starting_in_words(tmp_path, settings):
    with pytest.raises(ConfigError, match="找不到底图文件：.*nowhere.mbtiles"):
        create_app({**settings, "TESTING": True, "TILES": str(tmp_path / "nowhere.mbtiles")})
    assert "指向的不是文件" in refusal(tmp_path)


def test_a_file_of_something_else_is_refused_in_words(tmp_path):
    (tmp_path / "a.mbtiles").write_bytes(b"<html>not tiles</html>")
    assert "既不是 MBTiles 也不是 PMTiles 文件" in refusal(tmp_path / "a.mbtiles")
    sqlite3.connect(tmp_path / "b.mbtiles").execute("CREATE TABLE x (a)").connection.close()
    assert "其中没有 tiles 表" in refusal(tmp_path / "b.mbtiles")


def test_a_file_without_tiles_is_refused_in_words(tmp_path, made):
    assert "没有任何瓦片" in refusal(write_mbtiles(tmp_path / "e.mbtiles", {}, made["bounds"]))
    assert "没有任何瓦片" in refusal(write_pmtiles_empty(tmp_path / "e.pmtiles"))


def write_pmtiles_empty(path: Path) -> Path:
    """A PMTiles header and an empty directory (pmtiles' writer needs one tile at least)."""
    root = pmtile.serialize_directory([])
    header = {
        "root_offset": 127,
        "root_length": len(root),
        "metadata_offset": 127 + len(root),
        "metadata_length": 0,
        "tile_data_offset": 127 + len(root),
        "tile_data_length": 0,
        "addressed_tiles_count": 0,
        "tile_entries_count": 0,
        "tile_contents_count": 0,
        "clustered": True,
        "internal_compression": pmtile.Compression.GZIP,
        "tile_compression": pmtile.Compression.NONE,
        "tile_type": pmtile.TileType.PNG,
        "min_zoom": 0,
        "max_zoom": 0,
        "min_lon_e7": -1800000000,
        "min_lat_e7": -850000000,
        "max_lon_e7": 1800000000,
        "max_lat_e7": 850000000,
        "center_zoom": 0,
        "center_lon_e7": 0,
        "center_lat_e7": 0,
    }
    path.write_bytes(pmtile.serialize_header(header) + root)
    return path


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_a_damaged_file_is_refused_in_words(tmp_path, made, kind):
    whole = made[kind].read_bytes()
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(whole[: len(whole) // 3] if kind == "mbtiles" else whole[:200])
    assert "无法" in refusal(cut) and "损坏或不完整" in refusal(cut)
    scrambled = tmp_path / f"scrambled.{kind}"
    scrambled.write_bytes(whole[:100] + bytes(len(whole) - 100))
    assert "损坏或不完整" in refusal(scrambled)


def test_vector_tiles_are_refused_in_words(tmp_path, made):
    path = write_mbtiles(tmp_path / "v.mbtiles", made["tiles"], made["bounds"], {"format": "pbf"})
    assert "是矢量瓦片" in refusal(path) and "栅格" in refusal(path)
    path = write_pmtiles(tmp_path / "v.pmtiles", made["tiles"], made["bounds"], pmtile.TileType.MVT)
    assert "是矢量瓦片" in refusal(path)


def test_bad_metadata_is_refused_in_words(tmp_path, made):
    path = write_mbtiles(
        tmp_path / "m.mbtiles", made["tiles"], made["bounds"], {"bounds": "113.7,30.3"}
    )
    assert "范围（bounds）无效" in refusal(path)
    path = write_mbtiles(tmp_path / "z.mbtiles", made["tiles"], made["bounds"], {"minzoom": "x"})
    assert "元数据无效" in refusal(path)


def test_a_file_removed_while_running_is_said_on_the_page(tmp_path, settings, made):
    path = tmp_path / "gone.mbtiles"
    path.write_bytes(made["mbtiles"].read_bytes())
    app = create_app({**settings, "TESTING": True, "TILES": str(path)})
    try:
        client = sign_in(app.test_client(), "center")
        path.unlink()
        r = client.get("/center/")
        text = r.get_data(as_text=True)
        assert r.status_code == 500 and "找不到底图文件" in text and "Traceback" not in text
    finally:
        db.close(app)


# ----------------------------------------------------------------- in the browser


@pytest.mark.browser
@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_the_center_map_draws_the_street_s_tiles_from_gridmap_itself(
    page, serve, settings, made, kind, artifacts
):
    base = serve({**settings, "TILES": str(made[kind])})
    requests = watch_requests(page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, base, "center")
    page.goto(base + "/center/")
    page.wait_for_selector(".leaflet-interactive")
    loaded = (
        "Array.from(document.querySelectorAll('img.leaflet-tile-loaded'))"
        ".filter(i => i.naturalWidth === 256 && new URL(i.src).pathname.startsWith('/tiles/'))"
    )
    wait_until(page, f"{loaded}.length > 0")
    drawn = page.evaluate(
        f"""{loaded}.map(i => {{
            const c = document.createElement('canvas'); c.width = c.height = 1;
            c.getContext('2d').drawImage(i, 128, 128, 1, 1, 0, 0, 1, 1);
            const rgb = c.getContext('2d').getImageData(0, 0, 1, 1).data.slice(0, 3);
            return [new URL(i.src).pathname, Array.from(rgb)];
        }})"""
    )
    for path, rgb in drawn:  # each image is the tile of its own address, as the file holds it
        z, x, y = (int(v) for v in path.split("/")[2:5])
        assert tuple(rgb) == colour(z, x, y), path
    page.screenshot(path=str(artifacts / f"center-basemap-{kind}.png"))
    assert any("/tiles/" in u for u in requests)
    assert off_machine(requests) == [] and errors == []


@pytest.mark.browser
def test_a_second_visit_asks_gridmap_for_no_tile_again(page, settings, made):
    served = Served({**settings, "TILES": str(made["mbtiles"])})
    asked: list[str] = []
    served.app.before_request(
        lambda: asked.append(request.path) if request.path.startswith("/tiles/") else None
    )
    try:
        sign_in_browser(page, served.url, "center")
        loaded = "document.querySelectorAll('img.leaflet-tile-loaded').length"
        page.goto(served.url + "/center/")
        wait_until(page, f"{loaded} > 0")
        page.wait_for_load_state("networkidle")
        shown, first = page.evaluate(loaded), len(asked)
        page.wait_for_timeout(1500)  # a session cookie of another second (it is signed anew)
        page.goto(served.url + "/center/")
        wait_until(page, f"{loaded} >= {shown}")
        assert first > 0 and asked[first:] == []
    finally:
        served.close()
