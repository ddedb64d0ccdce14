"""A planner's plan as files: reading an uploaded plan, writing one to download.

Planners draft grids outside the app too: a spreadsheet that gives each unit (自然湾 / 小区)
its grid, or grid polygons drawn in a desktop GIS. An upload is read into one assignment of
every unit of the village to a grid, or refused as a whole with every problem listed in words a
planner understands (a row number, a unit or a grid code); nothing is half imported. Codes are
always text: a village code may start with 0, and a spreadsheet that turns codes into numbers
loses it. Exports are the same formats, so that a downloaded plan can be edited and uploaded.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePath

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyogrio.raw import read as read_raw
from shapely.errors import GEOSException

from gridmap.core.errors import BadInput

UNRECOGNISED = "文件格式无法识别：请上传 CSV（单元代码,网格代码）、GeoJSON 或 GeoPackage"
WRONG_CRS = "坐标系必须是 WGS84/CGCS2000 经纬度（EPSG:4326）"
NOT_LONLAT = "看起来不是经纬度坐标，或不是本村的网格"
UNREADABLE = "的几何无法读取（可能是边界没有闭合）"
CSV_HEADERS = (("unit_code", "grid_code"), ("单元代码", "网格代码"))
EXPORT_COLUMNS = ["code", "name", "village_code", "households", "population", "geometry"]
LONLAT_EPSG = (4326, 4490)  # WGS84 and CGCS2000 differ by centimetres: the same here
LONLAT_NAMES = ("CRS84", "EPSG:4326", "EPSG:4490")
MIN_SHARE = 0.5  # a unit belongs to a grid only if the grid holds most of it
GPKG_IDS = (b"GPKG", b"GP10", b"GP11")  # the SQLite application_id of each GeoPackage version
CODE = re.compile(r"[0-9]{15}")


@dataclass(frozen=True)
class Imported:
    """A plan read from a file: the whole village assigned, and the grids' names."""

    assignment: dict[str, str]  # unit code -> grid code, for every unit of the village
    names: dict[str, str]  # grid code -> grid name (from the file, or the code when absent)


@dataclass(frozen=True)
class _Grid:
    """One grid polygon as the file gives it, before any check."""

    label: str  # how a planner finds it: its code, or its place in the file
    code: str
    name: str
    geometry: shapely.Geometry | None
    problem: str | None = None  # found in the raw file, before building the geometry


def read_plan(data: bytes, filename: str, village_code: str, units: gpd.GeoDataFrame) -> Imported:
    """The plan in an uploaded file, each unit of the village given a grid, or BadInput."""
    kind = PurePath(filename).suffix.lower()
    if kind == ".csv":
        return _from_rows(_csv_rows(data), village_code, units)
    if kind in (".geojson", ".json"):
        return _from_grids(_geojson_grids(data), village_code, units)
    if kind == ".gpkg":
        return _from_grids(_gpkg_grids(data), village_code, units)
    raise _refuse([UNRECOGNISED])


def export_geojson(grids: gpd.GeoDataFrame) -> bytes:
    """The grids as GeoJSON (RFC 7946: WGS84 longitude/latitude, codes as strings)."""
    return _lonlat(grids).to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


def export_gpkg(grids: gpd.GeoDataFrame) -> bytes:
    """The grids as a GeoPackage with one layer "grids" in EPSG:4326, for desktop GIS."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "grids.gpkg"
        _lonlat(grids).to_file(path, driver="GPKG", layer="grids", engine="pyogrio")
        return path.read_bytes()


def export_csv(assignment: dict[str, str]) -> bytes:
    """Unit code, grid code per row, sorted; with a BOM so that Excel shows the header."""
    rows = [CSV_HEADERS[1], *sorted(assignment.items())]  # codes are digits: nothing to quote
    return "".join(f"{unit},{grid}\r\n" for unit, grid in rows).encode("utf-8-sig")


def _lonlat(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The published columns only, in WGS84 longitude/latitude."""
    frame = grids[EXPORT_COLUMNS]
    return frame.set_crs(4326) if frame.crs is None else frame.to_crs(4326)


def _refuse(problems: list[str]):
    """One error for the whole file: one problem is the message, several are summed up."""
    message = problems[0] if len(problems) == 1 else f"方案文件有 {len(problems)} 处问题，未导入"
    return BadInput(message, details=problems)


def _csv_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or, as Excel in China saves it, GB18030; never binary."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text):
            break
        return text
    raise _refuse([UNRECOGNISED])


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The non-blank rows with their row numbers as the spreadsheet shows them, header off."""
    rows = [
        (line, [cell.strip() for cell in row])
        for line, row in enumerate(csv.reader(io.StringIO(_csv_text(data))), start=1)
        if any(cell.strip() for cell in row)
    ]
    if rows and tuple(cell.lower() for cell in rows[0][1]) in CSV_HEADERS:
        rows = rows[1:]
    if not rows:
        raise _refuse(["文件是空的：没有任何“单元代码,网格代码”行"])
    return rows


def _grid_code_problem(code: str, village_code: str) -> str | None:
    """A grid code is the village code and a 3-digit serial: 15 digits, kept as text."""
    if not CODE.fullmatch(code):
        return f"网格代码“{code}”不是 15 位数字"
    if not code.startswith(village_code):
        return f"网格 {code} 不属于本村（网格代码应以 {village_code} 开头）"
    return None


def _from_rows(rows: list[tuple[int, list[str]]], village_code: str, units) -> Imported:
    """A spreadsheet's assignment, every row checked, and every unit of the village in it."""
    known = set(units["code"])
    seen: dict[str, int] = {}
    problems = []
    for line, cells in rows:
        if len(cells) != 2:
            problems.append(f"第 {line} 行：应有 2 列（单元代码,网格代码），实有 {len(cells)} 列")
            continue
        unit, grid = cells
        if not CODE.fullmatch(unit):
            problems.append(f"第 {line} 行：单元代码“{unit}”不是 15 位数字")
        elif unit not in known:
            problems.append(f"第 {line} 行：单元 {unit} 不是本村的单元")
        elif unit in seen:
            problems.append(f"第 {line} 行：单元 {unit} 重复（第 {seen[unit]} 行已有）")
        if grid_problem := _grid_code_problem(grid, village_code):
            problems.append(f"第 {line} 行：{grid_problem}")
        seen.setdefault(unit, line)
    if missing := sorted(known - set(seen)):
        problems.append(f"文件中缺少本村的 {len(missing)} 个单元：{'、'.join(missing)}")
    if problems:
        raise _refuse(problems)
    assignment = {cells[0]: cells[1] for _, cells in rows}
    return Imported(assignment, {grid: grid for grid in assignment.values()})


def _grid(n: int, code, name, geometry, problem: str | None = None) -> _Grid:
    """Codes and names as text; a grid without a code is found by its place in the file."""
    code, name = ("" if value is None else str(value).strip() for value in (code, name))
    label = f"网格 {code} " if code else f"第 {n} 个网格"  # so that "…的边界" reads well
    return _Grid(label, code, name or code, geometry, problem)


def _geojson_grids(data: bytes) -> list[_Grid]:
    """The grid features of a GeoJSON FeatureCollection, rings checked in the raw text."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise _refuse([UNRECOGNISED]) from None
    collection = isinstance(doc, dict) and doc.get("type") == "FeatureCollection"
    if not isinstance(features := doc.get("features") if collection else None, list):
        raise _refuse([UNRECOGNISED])
    if (crs := doc.get("crs")) is not None:
        props = crs.get("properties") if isinstance(crs, dict) else None
        name = str(props.get("name")) if isinstance(props, dict) else ""
        if not name.upper().replace("::", ":").endswith(LONLAT_NAMES):
            raise _refuse([WRONG_CRS])
    grids = []
    for n, feature in enumerate(features, start=1):
        feature = feature if isinstance(feature, dict) else {}
        props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        geometry, problem = None, _raw_problem(raw := feature.get("geometry"))
        if problem is None:
            try:
                geometry = shapely.geometry.shape(raw)
            except (GEOSException, ValueError, TypeError, IndexError):
                problem = "的坐标格式有误"
        grids.append(_grid(n, props.get("code"), props.get("name"), geometry, problem))
    return grids


def _raw_problem(geometry) -> str | None:
    """An unclosed ring is caught here: parsers would close it silently or fail obscurely."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        return f"的几何不是面（Polygon/MultiPolygon），而是 {kind or '空'}"
    try:
        coordinates = geometry["coordinates"]
        polygons = [coordinates] if kind == "Polygon" else coordinates
        if any(ring[0] != ring[-1] for polygon in polygons for ring in polygon):
            return "的边界没有闭合（首尾坐标不同）"
    except (KeyError, TypeError, IndexError):
        return "的坐标格式有误"
    return None


def _gpkg_grids(data: bytes) -> list[_Grid]:
    """The grids of a GeoPackage's first layer, which must be in longitude/latitude.

    Read raw (WKB) so that one unreadable polygon, such as an unclosed ring, names its grid.
    """
    if not data.startswith(b"SQLite format 3\x00") or data[68:72] not in GPKG_IDS:
        raise _refuse([UNRECOGNISED])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.gpkg"
        path.write_bytes(data)
        try:
            meta, _, wkbs, values = read_raw(path, layer=pyogrio.list_layers(path)[0][0])
        except (IndexError, DataSourceError, DataLayerError):
            raise _refuse([UNRECOGNISED]) from None
    if meta["crs"] is None or pyproj.CRS(meta["crs"]).to_epsg() not in LONLAT_EPSG:
        raise _refuse([WRONG_CRS])  # also a layer without geometry: it has no CRS
    fields, blank = dict(zip(meta["fields"], values, strict=True)), [None] * len(wkbs)
    shapes = shapely.from_wkb(wkbs, on_invalid="ignore")
    rows = zip(fields.get("code", blank), fields.get("name", blank), wkbs, shapes, strict=True)
    return [
        _grid(n, code, name, shape, UNREADABLE if wkb is not None and shape is None else None)
        for n, (code, name, wkb, shape) in enumerate(rows, start=1)
    ]


def _shape_problem(grid: _Grid) -> str | None:
    """A grid must be one valid area: a bow-tie has no inside to put a unit in."""
    if grid.problem:
        return grid.problem
    if grid.geometry is None or grid.geometry.is_empty:
        return "的几何为空"
    if grid.geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return f"的几何不是面（Polygon/MultiPolygon），而是 {grid.geometry.geom_type}"
    if not shapely.is_valid(grid.geometry):
        return f"的边界自相交或无效（{shapely.is_valid_reason(grid.geometry)}）"
    return None


def _code_problems(grids: list[_Grid], village_code: str) -> list[str]:
    """A grid's code is how the plan names it: present, of this village, and used once."""
    problems = []
    for n, grid in enumerate(grids, start=1):
        if not grid.code:
            problems.append(f"第 {n} 个网格缺少 code 属性（15 位网格代码）")
        elif problem := _grid_code_problem(grid.code, village_code):
            problems.append(f"第 {n} 个网格：{problem}")
    counts = Counter(grid.code for grid in grids if grid.code)
    problems += [f"网格代码 {code} 重复（出现 {k} 次）" for code, k in counts.items() if k > 1]
    return problems


def _from_grids(grids: list[_Grid], village_code: str, units) -> Imported:
    """Grid polygons turned into an assignment, once every polygon is a sound grid."""
    if not grids:
        raise _refuse(["文件中没有任何网格"])
    problems = [f"{grid.label}{p}" for grid in grids if (p := _shape_problem(grid))]
    assignment: dict[str, str] = {}
    if not problems:
        shapes = np.array([grid.geometry for grid in grids], dtype=object)
        minx, miny, maxx, maxy = gpd.GeoSeries(shapes).total_bounds
        if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
            problems.append(NOT_LONLAT)
        else:
            assignment, cover = _assign(shapes, grids, units)
            problems += cover
    problems += _code_problems(grids, village_code)
    if problems:
        raise _refuse(problems)
    return Imported(assignment, {grid.code: grid.name for grid in grids})


def _assign(shapes: np.ndarray, grids: list[_Grid], units) -> tuple[dict[str, str], list[str]]:
    """Each unit goes to the grid that holds the largest share of it (at least half).

    A village has tens of units and grids: every pair is intersected, no index needed. Shares
    of areas in degrees are true shares at this scale.
    """
    unit_shapes = np.asarray(units.geometry, dtype=object)
    overlap = shapely.area(shapely.intersection(unit_shapes[:, None], shapes[None, :]))
    if not (overlap > 0).any():
        return {}, [NOT_LONLAT]
    area = shapely.area(unit_shapes)[:, None]
    shares = np.divide(overlap, area, out=np.zeros_like(overlap), where=area > 0)
    assignment, problems = {}, []
    for code, row in zip(units["code"], shares, strict=True):
        if row.max() < MIN_SHARE:
            problems.append(f"单元 {code} 没有被任何网格覆盖过半（最多 {row.max():.0%}）")
        else:
            assignment[code] = grids[row.argmax()].code
    used = set(assignment.values())
    problems += [f"{grid.label}没有分到任何单元" for grid in grids if grid.code not in used]
    return assignment, problems
