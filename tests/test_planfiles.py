"""Reading and writing a plan as files: round trips, and every kind of bad upload refused.

The test village is four square units of 0.01° near Wuhan (lon 114.0, lat 30.0), two grids: the
west column and the east column. Files are real ones, written by geopandas/pyogrio (or typed
as text where a writer would never produce the fault, such as an unclosed ring).
"""

from __future__ import annotations

import json
import sqlite3
import struct

import geopandas as gpd
import pyogrio
import pytest
import shapely
import shapely.affinity

from gridmap.core.errors import BadInput
from gridmap.planner.files import Imported, export_csv, export_geojson, export_gpkg, read_plan

VILLAGE = "420114004201"
SIZE = 0.01


def unit_code(village: str, place: str) -> str:
    return village + {"sw": "001", "nw": "002", "se": "003", "ne": "004"}[place]


def make_units(village: str = VILLAGE) -> gpd.GeoDataFrame:
    """Four units: south-west, north-west, south-east, north-east."""
    corners = {"sw": (0, 0), "nw": (0, 1), "se": (1, 0), "ne": (1, 1)}
    boxes = [
        shapely.box(
            114.0 + x * SIZE, 30.0 + y * SIZE, 114.0 + (x + 1) * SIZE, 30.0 + (y + 1) * SIZE
        )
        for x, y in corners.values()
    ]
    codes = [unit_code(village, place) for place in corners]
    return gpd.GeoDataFrame({"code": codes, "geometry": boxes}, crs=4326)


def make_plan(village: str = VILLAGE) -> dict[str, str]:
    west, east = village + "101", village + "102"
    return {
        unit_code(village, "sw"): west,
        unit_code(village, "nw"): west,
        unit_code(village, "se"): east,
        unit_code(village, "ne"): east,
    }


def make_grids(village: str = VILLAGE) -> gpd.GeoDataFrame:
    """The plan's grids as the app keeps them: each the union of its units."""
    units = make_units(village).assign(grid=lambda f: f["code"].map(make_plan(village)))
    grids = units.dissolve(by="grid", as_index=False)[["grid", "geometry"]]
    return gpd.GeoDataFrame(
        {
            "code": grids["grid"],
            "name": ["西片网格", "东片网格"],
            "village_code": village,
            "households": [320, 410],
            "population": [1024, 1311],
            "geometry": grids.geometry,
        },
        crs=4326,
    )


def written(tmp_path, frame: gpd.GeoDataFrame, filename: str) -> bytes:
    """The bytes of a real file written by pyogrio (GeoJSON or GeoPackage by extension)."""
    path = tmp_path / filename
    frame.to_file(path, engine="pyogrio")
    return path.read_bytes()


def polygons(*pairs, crs=4326) -> gpd.GeoDataFrame:
    """Grid polygons from (code, geometry) pairs."""
    codes, shapes = zip(*pairs, strict=True)
    return gpd.GeoDataFrame({"code": list(codes), "geometry": list(shapes)}, crs=crs)


def west() -> shapely.Polygon:
    return shapely.box(114.0, 30.0, 114.01, 30.02)


def east() -> shapely.Polygon:
    return shapely.box(114.01, 30.0, 114.02, 30.02)


def feature_collection(*features, crs: str | None = None) -> bytes:
    doc = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return json.dumps(doc).encode()


def polygon_feature(code: str, ring: list) -> dict:
    geometry = {"type": "Polygon", "coordinates": [ring]}
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def refused(data: bytes, filename: str, village: str = VILLAGE) -> tuple[str, list[str]]:
    with pytest.raises(BadInput) as caught:
        read_plan(data, filename, village, make_units(village))
    assert caught.value.status == 400
    assert caught.value.details, "every refusal lists its problems"
    return caught.value.message, caught.value.details


def read(data: bytes, filename: str, village: str = VILLAGE) -> Imported:
    return read_plan(data, filename, village, make_units(village))


# --- CSV ------------------------------------------------------------------------------------


def test_csv_export_is_sorted_with_a_bom_and_a_chinese_header():
    data = export_csv(dict(reversed(make_plan().items())))
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "单元代码,网格代码"
    assert lines[1:] == [f"{unit},{grid}" for unit, grid in sorted(make_plan().items())]


def test_csv_round_trip():
    imported = read(export_csv(make_plan()), "方案.csv")
    assert imported.assignment == make_plan()
    assert imported.names == {VILLAGE + "101": VILLAGE + "101", VILLAGE + "102": VILLAGE + "102"}


@pytest.mark.parametrize("header", ["", "unit_code,grid_code\n", "单元代码,网格代码\n"])
def test_csv_header_is_optional(header):
    body = "".join(f"{unit},{grid}\n" for unit, grid in make_plan().items())
    assert read((header + body).encode("utf-8"), "PLAN.CSV").assignment == make_plan()


def test_csv_saved_by_excel_in_gb18030():
    text = "单元代码,网格代码\r\n" + "".join(f"{u},{g}\r\n" for u, g in make_plan().items())
    data = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read(data, "plan.csv").assignment == make_plan()


def test_csv_keeps_leading_zeros():
    village = "012345678901"
    imported = read(export_csv(make_plan(village)), "plan.csv", village)
    assert imported.assignment == make_plan(village)
    assert all(code.startswith("0") for code in [*imported.assignment, *imported.names])


def test_csv_code_that_lost_its_leading_zero_is_refused():
    village = "012345678901"
    plan = make_plan(village)
    first = next(iter(plan))
    rows = [f"{unit.lstrip('0') if unit == first else unit},{grid}" for unit, grid in plan.items()]
    _, details = refused("\n".join(rows).encode(), "plan.csv", village)
    assert f"第 1 行：单元代码“{first[1:]}”不是 15 位数字" in details


def test_csv_lists_every_problem_with_its_row():
    sw, nw, se = (unit_code(VILLAGE, p) for p in ("sw", "nw", "se"))
    grid = VILLAGE + "101"
    rows = [
        "单元代码,网格代码",
        f"{sw},{grid}",
        f"{sw},{grid}",
        f"{VILLAGE}099,10",
        f"{nw},{grid},多余",
        f"{sw[:-4]},{grid}",
        f"{se},420114004202101",
    ]
    message, details = refused("\r\n".join(rows).encode("utf-8-sig"), "plan.csv")
    assert "处问题" in message
    expected = [
        f"第 3 行：单元 {sw} 重复（第 2 行已有）",
        f"第 4 行：单元 {VILLAGE}099 不是本村的单元",
        "第 4 行：网格代码“10”不是 15 位数字",
        "第 5 行：应有 2 列（单元代码,网格代码），实有 3 列",
        f"第 6 行：单元代码“{sw[:-4]}”不是 15 位数字",
        f"第 7 行：网格 420114004202101 不属于本村（网格代码应以 {VILLAGE} 开头）",
        f"文件中缺少本村的 2 个单元：{nw}、{unit_code(VILLAGE, 'ne')}",
    ]
    assert details == expected


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", "\ufeff单元代码,网格代码\r\n".encode()])
def test_csv_empty_is_refused(data):
    message, _ = refused(data, "plan.csv")
    assert "文件是空的" in message


# --- GeoJSON and GeoPackage ---------------------------------------------------------------


def test_geojson_export_keeps_codes_as_strings():
    doc = json.loads(export_geojson(make_grids("012345678901")))
    props = [feature["properties"] for feature in doc["features"]]
    assert [p["code"] for p in props] == ["012345678901101", "012345678901102"]
    assert {p["village_code"] for p in props} == {"012345678901"}
    assert [p["name"] for p in props] == ["西片网格", "东片网格"]
    assert [p["households"] for p in props] == [320, 410]
    assert [p["population"] for p in props] == [1024, 1311]


def test_gpkg_export_has_layer_grids_in_epsg_4326(tmp_path):
    path = tmp_path / "grids.gpkg"
    path.write_bytes(export_gpkg(make_grids()))
    assert [name for name, _ in pyogrio.list_layers(path)] == ["grids"]
    frame = gpd.read_file(path, layer="grids", engine="pyogrio")
    assert frame.crs.to_epsg() == 4326
    assert list(frame["code"]) == [VILLAGE + "101", VILLAGE + "102"]


@pytest.mark.parametrize("village", [VILLAGE, "012345678901"])
@pytest.mark.parametrize(
    ("export", "filename"),
    [(export_geojson, "plan.geojson"), (export_geojson, "PLAN.JSON"), (export_gpkg, "plan.GPKG")],
)
def test_geo_round_trip(export, filename, village):
    imported = read(export(make_grids(village)), filename, village)
    assert imported.assignment == make_plan(village)
    assert imported.names == {village + "101": "西片网格", village + "102": "东片网格"}


@pytest.mark.parametrize("filename", ["grids.geojson", "grids.gpkg"])
def test_files_written_by_gdal_in_cgcs2000_are_read(tmp_path, filename):
    frame = polygons((VILLAGE + "101", west()), (VILLAGE + "102", east()), crs=4490)
    imported = read(written(tmp_path, frame, filename), filename)
    assert imported.assignment == make_plan()
    assert imported.names[VILLAGE + "101"] == VILLAGE + "101", "no name: the code stands in"


@pytest.mark.parametrize(
    "crs", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4490"]
)
def test_geojson_legacy_crs_in_lonlat_is_accepted(crs):
    features = json.loads(export_geojson(make_grids()))["features"]
    assert read(feature_collection(*features, crs=crs), "plan.geojson").assignment == make_plan()


@pytest.mark.parametrize("filename", ["grids.geojson", "grids.gpkg"])
def test_web_mercator_is_refused(tmp_path, filename):
    frame = polygons((VILLAGE + "101", west()), (VILLAGE + "102", east())).to_crs(3857)
    message, _ = refused(written(tmp_path, frame, filename), filename)
    assert message == "坐标系必须是 WGS84/CGCS2000 经纬度（EPSG:4326）"


def test_gpkg_without_crs_is_refused(tmp_path):
    frame = polygons((VILLAGE + "101", west()), (VILLAGE + "102", east()), crs=None)
    with pytest.warns(UserWarning, match="crs"):
        data = written(tmp_path, frame, "grids.gpkg")
    assert "坐标系必须是" in refused(data, "grids.gpkg")[0]


def test_mercator_coordinates_without_crs_member_are_refused():
    frame = polygons((VILLAGE + "101", west()), (VILLAGE + "102", east())).to_crs(3857)
    doc = json.loads(frame.to_json())
    doc.pop("crs", None)  # as a tool that writes projected coordinates as if they were lon/lat
    message, _ = refused(json.dumps(doc).encode(), "plan.geojson")
    assert message == "看起来不是经纬度坐标，或不是本村的网格"


@pytest.mark.parametrize(
    "moved",
    [
        lambda geom: shapely.transform(geom, lambda xy: xy[:, ::-1]),  # latitude first
        lambda geom: shapely.affinity.translate(geom, xoff=-14.0, yoff=-10.0),  # elsewhere
    ],
)
def test_grids_not_over_the_village_are_refused(tmp_path, moved):
    frame = polygons((VILLAGE + "101", moved(west())), (VILLAGE + "102", moved(east())))
    message, _ = refused(written(tmp_path, frame, "grids.gpkg"), "grids.gpkg")
    assert "看起来不是经纬度坐标" in message


BOW_TIE = shapely.Polygon([(114.01, 30.0), (114.02, 30.02), (114.02, 30.0), (114.01, 30.02)])


@pytest.mark.parametrize("filename", ["grids.geojson", "grids.gpkg"])
def test_self_intersecting_grid_is_refused(tmp_path, filename):
    frame = polygons((VILLAGE + "101", west()), (VILLAGE + "102", BOW_TIE))
    message, details = refused(written(tmp_path, frame, filename), filename)
    assert message.startswith(f"网格 {VILLAGE}102 的边界自相交")
    assert details == [message]


def test_unclosed_ring_in_geojson_is_refused():
    closed = [[114.0, 30.0], [114.01, 30.0], [114.01, 30.02], [114.0, 30.02], [114.0, 30.0]]
    unclosed = [[114.01, 30.0], [114.02, 30.0], [114.02, 30.02], [114.01, 30.02]]
    data = feature_collection(
        polygon_feature(VILLAGE + "101", closed), polygon_feature(VILLAGE + "102", unclosed)
    )
    message, _ = refused(data, "plan.geojson")
    assert message == f"网格 {VILLAGE}102 的边界没有闭合（首尾坐标不同）"


def test_unclosed_ring_in_gpkg_is_refused(tmp_path):
    """No writer makes one: the last point of a stored polygon is moved in the SQLite file."""
    path = tmp_path / "grids.gpkg"
    polygons((VILLAGE + "101", west()), (VILLAGE + "102", east())).to_file(path, engine="pyogrio")
    with sqlite3.connect(path) as db:
        triggers = db.execute("select name from sqlite_master where type = 'trigger'").fetchall()
        for (name,) in triggers:  # the R-tree triggers call SpatiaLite functions
            db.execute(f'drop trigger "{name}"')
        fid, blob = db.execute("select fid, geom from grids where code like '%102'").fetchone()
        moved = blob[:-16] + struct.pack("<dd", 114.015, 30.0)  # last point, as little-endian x, y
        db.execute("update grids set geom = ? where fid = ?", (moved, fid))
    message, _ = refused(path.read_bytes(), "grids.gpkg")
    assert message == f"网格 {VILLAGE}102 的几何无法读取（可能是边界没有闭合）"


@pytest.mark.parametrize("filename", ["grids.geojson", "grids.gpkg"])
def test_points_and_lines_are_not_grids(tmp_path, filename):
    line = shapely.LineString([(114.01, 30.0), (114.02, 30.02)])
    frame = polygons((VILLAGE + "101", shapely.Point(114.005, 30.01)), (VILLAGE + "102", line))
    _, details = refused(written(tmp_path, frame, filename), filename)
    assert any(f"网格 {VILLAGE}101 的几何不是面" in d and "Point" in d for d in details)
    assert any(f"网格 {VILLAGE}102 的几何不是面" in d and "LineString" in d for d in details)


@pytest.mark.parametrize("filename", ["grids.geojson", "grids.gpkg"])
def test_unit_less_than_half_covered_is_refused(tmp_path, filename):
    short_east = shapely.box(114.01, 30.0, 114.02, 30.013)  # 30 % of the north-east unit
    frame = polygons((VILLAGE + "101", west()), (VILLAGE + "102", short_east))
    message, _ = refused(written(tmp_path, frame, filename), filename)
    assert message == f"单元 {unit_code(VILLAGE, 'ne')} 没有被任何网格覆盖过半（最多 30%）"


def test_unit_goes_to_the_grid_holding_most_of_it(tmp_path):
    west_wide = shapely.box(114.0, 30.0, 114.014, 30.02)  # also 40 % of the east units
    east_narrow = shapely.box(114.014, 30.0, 114.02, 30.02)
    frame = polygons((VILLAGE + "101", west_wide), (VILLAGE + "102", east_narrow))
    assert read(written(tmp_path, frame, "grids.gpkg"), "grids.gpkg").assignment == make_plan()


@pytest.mark.parametrize("filename", ["grids.geojson", "grids.gpkg"])
def test_grid_codes_are_checked(tmp_path, filename):
    frame = polygons(
        (VILLAGE + "101", west()),
        (VILLAGE + "101", east()),
        ("420114004202102", shapely.box(114.0, 30.0, 114.001, 30.001)),
        ("12", shapely.box(114.0, 30.0, 114.001, 30.001)),
        (None, shapely.box(114.0, 30.0, 114.001, 30.001)),
    )
    message, details = refused(written(tmp_path, frame, filename), filename)
    assert "处问题" in message
    assert f"网格代码 {VILLAGE}101 重复（出现 2 次）" in details
    assert f"第 3 个网格：网格 420114004202102 不属于本村（网格代码应以 {VILLAGE} 开头）" in details
    assert "第 4 个网格：网格代码“12”不是 15 位数字" in details
    assert "第 5 个网格缺少 code 属性（15 位网格代码）" in details
    assert "网格 420114004202102 没有分到任何单元" in details


def test_geojson_names_are_kept():
    whole = shapely.box(114.0, 30.0, 114.02, 30.02)
    feature = polygon_feature(VILLAGE + "101", [list(p) for p in whole.exterior.coords])
    feature["properties"]["name"] = "桥头网格"
    imported = read(feature_collection(feature), "plan.geojson")
    assert imported.names == {VILLAGE + "101": "桥头网格"}
    assert set(imported.assignment.values()) == {VILLAGE + "101"}


def test_empty_feature_collection_is_refused():
    assert refused(feature_collection(), "plan.geojson")[0] == "文件中没有任何网格"


# --- what is not a plan file ----------------------------------------------------------------


def plain_sqlite(tmp_path) -> bytes:
    path = tmp_path / "plain.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table plan (unit_code text, grid_code text)")
    return path.read_bytes()


WRONG_FORMATS = {
    "spreadsheet": (lambda tmp: export_csv(make_plan()), "plan.xlsx"),
    "no extension": (lambda tmp: export_csv(make_plan()), "plan"),
    "geojson not json": (lambda tmp: b"this is not json", "plan.geojson"),
    "json not geojson": (lambda tmp: b"[1, 2, 3]", "plan.json"),
    "gpkg that is a csv": (lambda tmp: export_csv(make_plan()), "plan.gpkg"),
    "gpkg that is plain sqlite": (plain_sqlite, "plan.gpkg"),
    "csv that is binary": (lambda tmp: export_gpkg(make_grids()), "plan.csv"),
    "csv that is an image": (lambda tmp: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "plan.csv"),
}


@pytest.mark.parametrize(("make", "filename"), WRONG_FORMATS.values(), ids=WRONG_FORMATS)
def test_wrong_format_is_refused(tmp_path, make, filename):
    message, details = refused(make(tmp_path), filename)
    assert message == "文件格式无法识别：请上传 CSV（单元代码,网格代码）、GeoJSON 或 GeoPackage"
    assert details == [message]
