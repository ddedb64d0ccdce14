"""Placing incidents: validate, convert, attribute, write — all or nothing.

The same function takes one pin from a grid member's phone and a ledger of a million rows. Every
row is checked first (coordinates, kind, category, state, times); one bad row refuses the whole
load with the rows named, so nothing is half written and nothing accepted is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from gridmap import coords, tally
from gridmap.clock import OFFSET
from gridmap.data import incidents as data
from gridmap.data import tally as tally_data
from gridmap.errors import BadInput
from gridmap.placement import SNAPSHOT, Placement

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
}
TIMES = ["occurred_at", "reported_at", "due_at", "closed_at"]
# After a load this large the planner's statistics are stale: measured at 100k new rows, the
# zoomed-in marker query took 371 ms on a backward time-index scan instead of 5 ms on the
# spatial index. ANALYZE samples a fixed number of rows, so it costs a fraction of a second.
ANALYZE_FROM = 10_000
# A large batch is written with the incident table's secondary indexes (time, and GiST on the
# point) dropped and rebuilt after the COPY, as PostgreSQL's manual advises for bulk loads.
# Measured on a million points: inserting them into the GiST cost 4.6 s, rebuilding it over
# the whole table 1.3 s. A rebuild reads every stored row, so it pays only while the batch is
# at least half as large as what is already stored; and it keeps readers off the table until
# the load commits, so pins and everyday ledgers never take that path.
REBUILD_FROM = 100_000
REBUILD_SHARE = 0.5


@dataclass(frozen=True)
class LoadResult:
    batch_id: int
    rows: int
    order: np.ndarray  # input position of each row, in the order the rows were written
    tallied: bool = True  # counted in incident_tally (see gridmap.tally)


def load(
    conn: psycopg.Connection,
    placement: Placement,
    street_code: str,
    frame: pd.DataFrame,
    source: str,
    crs: str = "wgs84",
) -> LoadResult:
    """Validate, place and store incidents in one transaction."""
    ref = data.reference(conn)
    frame = prepare(frame, ref, crs)
    snapshot = placement.place(
        conn, street_code, frame["lon"].to_numpy(), frame["lat"].to_numpy(), frame["occurred_at"]
    )
    frame = pd.concat([frame.reset_index(drop=True), snapshot], axis=1)
    # Written in time order: the time index then grows at its end instead of everywhere.
    frame = frame.sort_values("occurred_at", kind="stable")
    counts = tally.count(frame, ref)
    tallied = tally.worth_keeping(counts, len(frame))
    with conn.transaction():
        batch = data.new_batch(conn, street_code, source, len(frame), tallied)
        frame["batch_id"] = batch
        rebuild = _rebuild_indexes(conn, len(frame))
        dropped = data.drop_secondary_indexes(conn) if rebuild else []
        data.copy_in(conn, street_code, frame)
        data.create_indexes(conn, dropped)
        if tallied:
            tally_data.add(conn, street_code, counts)
        if len(frame) >= ANALYZE_FROM:
            data.analyze(conn)
    return LoadResult(batch, len(frame), frame.index.to_numpy(), tallied)


def _rebuild_indexes(conn: psycopg.Connection, rows: int) -> bool:
    """Whether a batch of ``rows`` is large enough to rebuild the indexes rather than feed them."""
    if rows < REBUILD_FROM:
        return False
    return data.stored_rows(conn, at_most=int(rows / REBUILD_SHARE) + 1) * REBUILD_SHARE <= rows


def incident_ids(conn: psycopg.Connection, street_code: str, result: LoadResult) -> np.ndarray:
    """Ids of a load's incidents, in the order of the rows it was given."""
    ids = np.empty(result.rows, dtype=np.int64)
    ids[result.order] = data.ids_of_batch(conn, street_code, result.batch_id)
    return ids


def prepare(frame: pd.DataFrame, ref: dict, crs: str) -> pd.DataFrame:
    """Check every row and normalise types; raise BadInput naming the rows at fault."""
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise BadInput(f"缺少必填字段：{'、'.join(missing)}")
    if frame.empty:
        raise BadInput("没有任何记录。")
    frame = frame.reset_index(drop=True).copy()
    for col, default in OPTIONAL.items():
        if col not in frame.columns:
            frame[col] = default
    frame["lon"] = pd.to_numeric(frame["lon"], errors="coerce")
    frame["lat"] = pd.to_numeric(frame["lat"], errors="coerce")
    _check(
        coords.check_range(frame["lon"].to_numpy(), frame["lat"].to_numpy()),
        "经纬度缺失、不是数字或超出范围（经度 -180～180，纬度 -90～90）",
    )
    if crs == "gcj02":
        frame["lon"], frame["lat"] = coords.gcj02_to_wgs84(frame["lon"], frame["lat"])
    elif crs != "wgs84":
        raise BadInput(f"未知的坐标系：{crs}（可选 wgs84 或 gcj02）")
    _check_codes(frame, ref)
    for col in TIMES:
        frame[col] = _times(frame[col], col, required=(col == "occurred_at"))
    frame["reported_at"] = frame["reported_at"].fillna(pd.Timestamp.now(tz="UTC"))
    late = frame["reported_at"] < frame["occurred_at"]
    _check(np.flatnonzero(late.to_numpy()), "上报时间早于发生时间")
    if frame["details"].notna().any():
        details = [_json(d) for d in frame["details"]]
        _check(np.flatnonzero([d is None for d in details]), "详情（details）不是有效的 JSON 对象")
        frame["details"] = details
    else:
        frame["details"] = "{}"
    for col in ("category", "title", "description"):
        frame[col] = frame[col].fillna("").astype(str)
    reporter = pd.to_numeric(frame["reported_by"], errors="coerce")
    bad = frame["reported_by"].notna() & ~(
        (reporter % 1 == 0) & (reporter >= 1) & (reporter < 2**31)
    )
    _check(np.flatnonzero(bad.to_numpy()), "上报人编号（reported_by）应为人员编号（正整数）")
    frame["reported_by"] = reporter.astype("Int64")
    return frame


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
        parsed = _parse_times(values)
    bad = parsed.isna() if required else parsed.isna() & values.notna()
    message = f"时间无法识别（字段 {col}），请用 2023-05-01 08:30 的格式"
    _check(np.flatnonzero(bad.to_numpy()), message)
    return parsed.dt.as_unit("us")


def _parse_times(values: pd.Series) -> pd.Series:
    """Times written as text; those without a zone are Beijing time.

    The common case, ISO 8601 text without a zone, is parsed for all rows in one vectorised
    pass (with "+08:00" appended, exactly as the general parser would see it); the rows that
    pass cannot read go through the general parser, value by value.
    """
    if pd.api.types.infer_dtype(values, skipna=True) != "string":
        return _parse_times_slowly(values)
    text = values.astype("string")
    parsed = pd.to_datetime(text + "+08:00", errors="coerce", utc=True, format="ISO8601")
    redo = (parsed.isna() & text.notna()).to_numpy()
    if redo.any():
        slow = _parse_times_slowly(values[redo])
        parsed = parsed.astype(slow.dtype)
        parsed[redo] = slow
    return parsed


def _parse_times_slowly(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    zoned = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", na=False)
    text = text.where(zoned | text.isna(), text + "+08:00")
    return pd.to_datetime(text, errors="coerce", utc=True, format="mixed")


def _json(value) -> str | None:
    """A row's details as JSON object text; None when they are not a JSON object."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "{}"
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return None
        return value if isinstance(parsed, dict) else None
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else None


def _check(rows: np.ndarray, message: str) -> None:
    if len(rows):
        shown = "、".join(str(int(r) + 1) for r in rows[:10])
        more = f" 等 {len(rows)} 条" if len(rows) > 10 else ""
        raise BadInput(
            f"第 {shown} 条{more}：{message}；未保存任何记录。",
            details={"rows": [int(r) + 1 for r in rows[:100]]},
        )


__all__ = ["load", "prepare", "LoadResult", "SNAPSHOT"]
