"""Checking incident rows before they are placed: columns, kinds and states, coordinates,
times, text, details and reporters, each refusal naming the rows at fault.

gridmap.intake.load.load and the dry run of ``gridmap load-incidents`` run the same checks (through
gridmap.intake.load.check); the database refuses the same untrue rows on its own (migration
0009), and these say so first, in words, before anything is written.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import psycopg

from gridmap.core import clock, coords, params, timewindow
from gridmap.core.clock import OFFSET
from gridmap.core.errors import BadInput
from gridmap.data import lookups
from gridmap.geo.placement import SNAPSHOT

REQUIRED = ["kind", "status", "lon", "lat", "occurred_at"]
OPTIONAL = {
    "category": "",
    "title": "",
    "description": "",
    "details": None,
    "reported_at": None,
    "reported_by": None,
    "due_at": None,
    "closed_at": None,
    "client_id": None,  # a phone's own id of a submission it may send again (a UUID)
    "source_key": None,  # the row's own key in its ledger: a re-import adds nothing twice
}
TIMES = ["occurred_at", "reported_at", "due_at", "closed_at"]


# What one incident may carry. Without limits a ledger could store a 50 MB description that
# every map view containing it then sends whole; the database's constraints hold the same
# limits, and these give the message naming the rows before anything is written.
TITLE_MAX = 200  # characters
DESCRIPTION_MAX = 5_000  # characters
DETAILS_MAX_BYTES = 8_192  # UTF-8 bytes of the details' JSON text
DETAILS_MAX_DEPTH = 5  # levels of nested objects and arrays: {"a": {"b": [1]}} is 3
# Moments that record what happened, which cannot lie in the future (gridmap.core.timewindow); a
# deadline (due_at) may lie ahead.
RECORDED = ["occurred_at", "reported_at", "closed_at"]
# NUL cannot be stored in PostgreSQL text, nor half of a UTF-16 surrogate pair in UTF-8. The
# free text is searched for them; numbers, times and codes have checks of their own, which
# refuse such characters too.
_UNSTORABLE = "[\x00\ud800-\udfff]"
_CHECKED_ELSEWHERE = ["lon", "lat", "reported_by", *TIMES, "kind", "status", "category"]


def prepare(frame: pd.DataFrame, ref: dict, crs: str) -> pd.DataFrame:
    """Check every row and normalise types; raise BadInput naming the rows at fault.

    The checks that need the database's people are in :func:`check_reporters`.
    """
    _check_columns(frame)
    if frame.empty:
        raise BadInput("没有任何记录。")
    frame = frame.reset_index(drop=True).copy()
    for col, default in OPTIONAL.items():
        if col not in frame.columns:
            frame[col] = default
    for col in frame.columns.difference(_CHECKED_ELSEWHERE):
        _check(_unstorable(frame[col]), f"字段 {col} 含有无法保存的字符（空字符 NUL 等）")
    frame["lon"] = params.parse_numbers(frame["lon"])
    frame["lat"] = params.parse_numbers(frame["lat"])
    _check(
        coords.check_range(frame["lon"].to_numpy(), frame["lat"].to_numpy()),
        "经纬度缺失、不是数字或超出范围（经度 -180～180，纬度 -90～90）",
    )
    if crs == "gcj02":
        frame["lon"], frame["lat"] = coords.gcj02_to_wgs84(frame["lon"], frame["lat"])
    elif crs != "wgs84":
        raise BadInput(f"未知的坐标系：{crs}（可选 wgs84 或 gcj02）")
    _check_codes(frame, ref)
    _check_times(frame)
    if frame["details"].notna().any():
        frame["details"] = _details(frame["details"])
    else:
        frame["details"] = "{}"
    for col in ("category", "title", "description"):
        frame[col] = frame[col].fillna("").astype(str)
    for col, name, limit in (
        ("title", "标题", TITLE_MAX),
        ("description", "描述", DESCRIPTION_MAX),
    ):
        long = (frame[col].str.len() > limit).to_numpy()
        _check(np.flatnonzero(long), f"{name}（{col}）超过 {limit} 个字")
    reporter = pd.to_numeric(frame["reported_by"], errors="coerce")
    bad = frame["reported_by"].notna() & ~(
        (reporter % 1 == 0) & (reporter >= 1) & (reporter < 2**31)
    )
    _check(np.flatnonzero(bad.to_numpy()), "上报人编号（reported_by）应为人员编号（正整数）")
    frame["reported_by"] = reporter.astype("Int64")
    return frame


def check_reporters(conn: psycopg.Connection, street_code: str, frame: pd.DataFrame) -> None:
    """Refuse rows whose reporter (reported_by) is not a person of the street.

    For a frame :func:`prepare` has checked; every load and its dry run call both.
    """
    ids = frame["reported_by"]
    given = ids.notna().to_numpy()
    if not given.any():
        return
    known = lookups.people_ids(conn, street_code, [int(i) for i in pd.unique(ids[given])])
    unknown = given & ~ids.isin(sorted(known)).fillna(False).to_numpy(dtype=bool)
    _check(np.flatnonzero(unknown), "上报人编号（reported_by）不是本街道登记的人员")


def _check_columns(frame: pd.DataFrame) -> None:
    allowed = [*REQUIRED, *OPTIONAL]
    names = [str(c) for c in frame.columns]
    if twice := sorted({c for c in names if names.count(c) > 1}):
        raise BadInput(f"字段重复：{'、'.join(twice)}")
    if computed := [c for c in names if c in SNAPSHOT]:
        raise BadInput(
            f"字段 {'、'.join(computed)} 不能导入：所在的划分、单元、网格、村（社区）和片区由 "
            "gridmap 根据位置和发生时间计算。请删除这些列。"
        )
    if unknown := [c for c in names if c not in allowed]:
        shown = "、".join(timewindow.quoted(c) for c in unknown[:10])
        raise BadInput(f"未知的字段：{shown}。可用的字段：{'、'.join(allowed)}。")
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise BadInput(f"缺少必填字段：{'、'.join(missing)}")


def _unstorable(values: pd.Series) -> np.ndarray:
    """Positions of text values holding a character PostgreSQL cannot store.

    Tested on all the column's text at once (a million rows in milliseconds); only a column
    that holds one is searched row by row.
    """
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind not in ("string", "mixed"):
        return np.empty(0, dtype=int)
    text = (
        values.dropna()
        if kind == "string"
        else values[values.map(lambda v: isinstance(v, str)).astype(bool)]
    )
    if _encodes("".join(text.to_numpy(dtype=object))):
        return np.empty(0, dtype=int)
    found = text.str.contains(_UNSTORABLE, regex=True)
    return np.sort(found.index[found.to_numpy(dtype=bool)].to_numpy())


def _encodes(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_codes(frame: pd.DataFrame, ref: dict) -> None:
    kinds = frame["kind"].astype(str)
    unknown = ~kinds.isin(list(ref["kinds"]))
    if unknown.any():
        known = "、".join(f"{k}（{v}）" for k, v in ref["kinds"].items())
        _check(np.flatnonzero(unknown), f"未知的事件类型 {kinds[unknown].iloc[0]!r}，可选：{known}")
    statuses = frame["status"].astype(str)
    bad = np.flatnonzero(~_pairs_in(kinds, statuses, ref["statuses"]))
    first = (kinds.iloc[bad[0]], statuses.iloc[bad[0]]) if bad.size else ""
    _check(bad, f"事件状态与类型不符（例如 {first}）")
    cats = frame["category"].fillna("").astype(str)
    bad = np.flatnonzero((cats != "").to_numpy() & ~_pairs_in(kinds, cats, ref["categories"]))
    _check(bad, "事件分类与类型不符")


def _pairs_in(left: pd.Series, right: pd.Series, allowed) -> np.ndarray:
    """Whether each (left, right) pair is in ``allowed``, testing each distinct pair once."""
    lcodes, lvalues = pd.factorize(left)
    rcodes, rvalues = pd.factorize(right)
    pair = lcodes.astype(np.int64) * max(len(rvalues), 1) + rcodes
    pcodes, pvalues = pd.factorize(pair)
    ok = np.array(
        [
            (lvalues[p // max(len(rvalues), 1)], rvalues[p % max(len(rvalues), 1)]) in allowed
            for p in pvalues
        ],
        dtype=bool,
    )
    return ok[pcodes]


def _times(values: pd.Series, col: str, required: bool) -> pd.Series:
    """Parse times; a time written without a zone is Beijing time, as the ledgers write it."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        parsed = values.dt.tz_convert("UTC")
    elif pd.api.types.is_datetime64_dtype(values.dtype):
        parsed = (values - OFFSET).dt.tz_localize("UTC")  # wall time in Beijing, no zone
    elif values.isna().all():
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us, UTC]")
    else:
        parsed = timewindow.parse_moments(values)
    bad = (parsed.isna() if required else parsed.isna() & values.notna()).to_numpy()
    if bad.any():
        label = f"时间（字段 {col}）"
        unclear = bad & timewindow.ambiguous(values)
        _check(np.flatnonzero(unclear), timewindow.ambiguous_message(label))
        _check(np.flatnonzero(bad), timewindow.unreadable(label))
    return parsed.dt.as_unit("us")


def _check_times(frame: pd.DataFrame) -> None:
    """Read the four times, each in the window of its kind, and in the order things happen."""
    now = clock.now()
    for col in TIMES:
        frame[col] = _times(frame[col], col, required=(col == "occurred_at"))
    for col in RECORDED:
        _check(
            timewindow.recorded_outside(frame[col], now),
            f"时间（字段 {col}）超出可接受的范围：应在 {timewindow.recorded_range(now)} 之间",
        )
    _check(
        timewindow.planned_outside(frame["due_at"], now),
        f"办理期限（字段 due_at）超出可接受的范围：应在 {timewindow.day_range(now)} 之间",
    )
    frame["reported_at"] = frame["reported_at"].fillna(pd.Timestamp(now))
    occurred = frame["occurred_at"]
    for late, message in (
        (frame["reported_at"] < occurred, "上报时间早于发生时间"),
        (frame["closed_at"] < occurred, "结案时间（closed_at）早于发生时间"),
        (frame["due_at"] <= occurred, "办理期限（due_at）不晚于发生时间"),
    ):
        _check(np.flatnonzero(late.to_numpy(dtype=bool)), message)


_DETAILS_PROBLEMS = {
    "invalid": "详情（details）不是有效的 JSON 对象",
    "large": f"详情（details）超过 {DETAILS_MAX_BYTES} 字节",
    "deep": f"详情（details）嵌套超过 {DETAILS_MAX_DEPTH} 层",
    "unstorable": "详情（details）含有无法保存的字符（如 \\u0000）",
}


def _details(values: pd.Series) -> list[str]:
    """Each row's details as JSON object text, or BadInput naming the rows that are not."""
    checked = [_json(v) for v in values]
    for problem, message in _DETAILS_PROBLEMS.items():
        _check(np.flatnonzero([p == problem for _, p in checked]), message)
    return [text for text, _ in checked]


def _json(value) -> tuple[str, str | None]:
    """A row's details as JSON object text, and what is wrong with them (None: nothing)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "{}", None
    if isinstance(value, dict):
        try:
            value = json.dumps(value, ensure_ascii=False, allow_nan=False)
        except RecursionError:
            return "", "deep"
        except (ValueError, TypeError):
            return "", "invalid"
    if not isinstance(value, str):
        return "", "invalid"
    if len(value) > DETAILS_MAX_BYTES or len(value.encode("utf-8", "replace")) > DETAILS_MAX_BYTES:
        return "", "large"
    try:
        parsed = json.loads(value, parse_constant=_refuse_constant)
    except RecursionError:
        return "", "deep"
    except ValueError:
        return "", "invalid"
    if not isinstance(parsed, dict):
        return "", "invalid"
    return value, _problem_inside(parsed)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity: Python reads them, jsonb does not


def _problem_inside(parsed: dict) -> str | None:
    """Too deep, or a string jsonb cannot store; walked without recursion."""
    stack = [(parsed, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > DETAILS_MAX_DEPTH:
            return "deep"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and not _encodes(key):
                return "unstorable"
            if isinstance(item, dict | list):
                stack.append((item, depth + 1))
            elif isinstance(item, str) and not _encodes(item):
                return "unstorable"
    return None


def _check(rows: np.ndarray, message: str) -> None:
    if len(rows):
        shown = "、".join(str(int(r) + 1) for r in rows[:10])
        more = f" 等 {len(rows)} 条" if len(rows) > 10 else ""
        raise BadInput(
            f"第 {shown} 条{more}：{message}；未保存任何记录。",
            details={"rows": [int(r) + 1 for r in rows[:100]]},
        )
