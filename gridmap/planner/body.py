"""What a planner's page or file sends for one village, read against the draft it was based on.

Nothing of it is trusted: every grid and unit is typed field by field, names must be text
(no NUL, no lone surrogate), counts bounded, shapes GeoJSON polygons, and a unit cut in parts
must share out its households. A BadInput lists everything that is wrong at once; what is
right becomes the new Draft that gridmap.planner.plans checks and saves.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gridmap.core import params
from gridmap.core.errors import BadInput
from gridmap.data import plans as store
from gridmap.planner.plans import UNIT_COLUMNS, Draft

# A unit's households and people: the largest 社区 of the street has a few thousand households;
# a million is a typing error long before it overflows the database's integer.
MAX_COUNT = 1_000_000


def content(base: Draft, body: dict) -> Draft:
    """What a page or a file sends, read against the draft it was based on (a BadInput lists
    everything that is wrong)."""
    if not isinstance(body, dict):
        raise BadInput("提交的方案内容格式不对")
    errors: list[str] = []
    village = base.village["code"]
    grids = _grids(_listed(body, "grids", "网格", errors), village, errors)
    known = {u.code: u for u in base.units.itertuples(index=False)}
    rows, geoms, cut_from = [], [], []
    for n, item in enumerate(_listed(body, "units", "单元", errors), 1):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            errors.append(f"第 {n} 个单元缺少代码")
            continue
        code, old = item["code"], known.get(item["code"])
        parent = item.get("split_from") if old is None else None
        if old is None and parent not in known:
            errors.append(f"单元 {code} 不是本村（社区）的单元")
            continue
        like = old if old is not None else known[parent]
        geom = _geometry(item.get("geometry"), code, errors) if "geometry" in item else None
        rows.append(
            {
                "code": code,
                "name": _name(item.get("name") or like.name, f"单元 {code} 的名称", errors),
                "kind": like.kind,
                "households": _count(item, "households", like.households, code, errors),
                "population": _count(item, "population", like.population, code, errors),
                "grid_code": str(item.get("grid") or ""),
                # a part remembers the unit of the division in force it was first cut from
                "split_from": store.text_or_none(like.split_from) or parent
                if old is None
                else store.text_or_none(old.split_from),
            }
        )
        cut_from.append(parent)
        geoms.append(geom if geom is not None else like.geometry)
    codes = [r["code"] for r in rows]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        errors.append(f"单元 {code} 出现了不止一次")
    parents = set(filter(None, cut_from))
    for code in sorted(set(known) - set(codes) - parents):
        errors.append(f"缺少单元 {code}（{known[code].name}）：每个单元都须分到一个网格")
    errors += _split_sums(rows, cut_from, known)
    if errors:
        raise BadInput("方案内容有误，未保存：" + "；".join(errors[:20]), details=errors)
    frame = pd.DataFrame(rows, columns=UNIT_COLUMNS)
    frame["split_from"] = pd.Series(
        [store.text_or_none(v) for v in frame["split_from"]], index=frame.index, dtype=object
    )
    units = gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)
    return replace(base, grids=grids, units=units)


def _listed(body: dict, key: str, label: str, errors: list[str]) -> list:
    """A list the body must hold (absent is empty); anything else is named as wrong."""
    items = body.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        errors.append(f"{key}（{label}）应为列表")
        return []
    return items


def _grids(items, village: str, errors: list[str]) -> list[dict]:
    out, seen = [], set()
    for n, g in enumerate(items or [], 1):
        code = str(g.get("code", "")) if isinstance(g, dict) else ""
        if not re.fullmatch(r"[0-9]{15}", code) or not code.startswith(village):
            errors.append(f"第 {n} 个网格的代码 {code!r} 应为本村代码加 3 位序号")
            continue
        if code in seen:
            errors.append(f"网格 {code} 出现了不止一次")
            continue
        seen.add(code)
        members = g.get("members") or []
        if not isinstance(members, list) or not all(map(params.is_identifier, members)):
            errors.append(f"网格 {code} 的网格员须为人员编号的列表（1～{params.MAX_ID}）")
            members = []
        name = _name(g.get("name") or f"网格{code[-3:]}", f"网格 {code} 的名称", errors)
        out.append({"code": code, "name": name, "members": sorted(set(members))})
    if not out:
        errors.append("方案至少要有一个网格")
    return out


def _name(value: object, label: str, errors: list[str]) -> str:
    """A grid's or a unit's name, cut to 50 characters; one NUL or lone surrogate refuses it."""
    try:
        return params.parse_text(str(value), label, len(str(value)))[:50]
    except BadInput as refused:
        errors.append(refused.message.rstrip("。"))
        return ""


def _count(item: dict, key: str, default, code: str, errors: list[str]) -> int:
    value = item.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not 0 <= value <= MAX_COUNT
    ):
        label = "户数" if key == "households" else "人口"
        errors.append(f"单元 {code} 的{label}应为 0～{MAX_COUNT} 之间的整数")
        return 0
    return int(value)


def _geometry(value, code: str, errors: list[str]):
    """A unit's redrawn edge (GeoJSON). A ring must be closed as GeoJSON says; shapely would
    close it silently, and a planner would never learn that their drawing was cut short."""
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        errors.append(f"单元 {code} 的边界应为多边形")
        return None
    try:
        polygons = [value["coordinates"]] if value["type"] == "Polygon" else value["coordinates"]
        for polygon in polygons:
            for ring in polygon:
                if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
                    errors.append(f"单元 {code} 的边界没有闭合（首尾两点不同）")
                    return None
        geom = shapely.from_geojson(json.dumps(value))
    except (TypeError, ValueError, KeyError, shapely.errors.GEOSException):
        errors.append(f"单元 {code} 的边界无法识别")
        return None
    return geom


def _split_sums(rows: list[dict], cut_from: list, known: dict) -> list[str]:
    """A unit cut in two keeps its households and people: the parts must add up."""
    out = []
    children: dict[str, list[dict]] = {}
    for r, parent in zip(rows, cut_from, strict=True):
        if parent:
            children.setdefault(parent, []).append(r)
    for parent, parts in sorted(children.items()):
        whole = known[parent]
        for key, label in (("households", "户数"), ("population", "人口")):
            total = sum(p[key] for p in parts)
            if total != getattr(whole, key):
                out.append(
                    f"单元 {parent}（{whole.name}）分割后各部分{label}之和为 {total}，"
                    f"与原来的 {getattr(whole, key)} 不符"
                )
    return out
