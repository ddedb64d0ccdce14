"""Placing incidents: validate, convert, attribute, write — all or nothing.

The same function takes one pin from a grid member's phone and a ledger of a million rows. Every
row is checked first (coordinates, kind, category, state, times); one bad row refuses the whole
load with the rows named, so nothing is half written and nothing accepted is lost.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg

from gridmap import coords, params, tally, timewindow
from gridmap.clock import OFFSET
from gridmap.data import dberrors, lookups
from gridmap.data import incidents as data
from gridmap.data import tally as tally_data
from gridmap.errors import BadInput, Conflict
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
    "client_id": None,  # a phone's own id of a submission it may send again (a UUID)
    "source_key": None,  # the row's own key in its ledger: a re-import adds nothing twice
}
SOURCE_KEY_MAX = 100  # characters
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
    batch_id: int | None  # None when every row was already stored
    rows: int  # rows written
    order: np.ndarray  # input position of each row written, in the order written
    tallied: bool = True  # counted in incident_tally (see gridmap.tally)
    already: dict = field(default_factory=dict)  # input position → id of a row stored before


def load(
    conn: psycopg.Connection,
    placement: Placement,
    street_code: str,
    frame: pd.DataFrame,
    source: str,
    crs: str = "wgs84",
) -> LoadResult:
    """Validate, place and store incidents in one transaction; then, for a large batch, add
    it to the tally.

    Rows carrying a client id (a phone's retried submission) or a ledger key (``source_key``:
    the row's own key in the ledger named ``source``) that is already stored are not stored
    again; ``LoadResult.already`` names them. The database refuses whatever is untrue,
    whoever writes (migration 0009); the checks here say so first, in words, naming the rows.
    """
    frame, already = check(conn, placement, street_code, frame, source, crs)
    if frame.empty:
        return LoadResult(None, 0, np.empty(0, dtype=np.int64), True, already)
    # Written in time order: the time index then grows at its end instead of everywhere.
    frame = frame.sort_values("occurred_at", kind="stable")
    _start_steps(conn, street_code, frame)
    large = len(frame) >= tally.DEFER_FROM
    try:
        with dberrors.refusals(), conn.transaction():
            if large:
                data.lock_bulk_loads(conn)
            batch = data.new_batch(conn, street_code, source, len(frame), tallied=not large)
            frame["batch_id"] = batch
            rebuild = _rebuild_indexes(conn, len(frame))
            if rebuild:
                data.drop_secondary_indexes(conn)
            data.copy_in(conn, street_code, frame)
            if rebuild:
                data.create_indexes(conn)
            if len(frame) >= ANALYZE_FROM:
                data.analyze(conn)
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(
            "另一次提交或导入同时写入了相同编号的记录，本次未保存任何记录；请重试，"
            "已保存的记录会被识别并跳过。"
        ) from exc
    tallied = not large
    if large and tally.worth_keeping(frame):
        with conn.transaction():
            tallied = tally_data.fold(conn, street_code, batch)
    return LoadResult(batch, len(frame), frame.index.to_numpy(), tallied, already)


def check(
    conn: psycopg.Connection,
    placement: Placement,
    street_code: str,
    frame: pd.DataFrame,
    source: str,
    crs: str = "wgs84",
) -> tuple[pd.DataFrame, dict]:
    """Everything load() checks before it writes, for a dry run too: the rows still to store,
    placed (with their snapshot columns), and the rows stored before (position → id)."""
    frame = prepare(frame, data.reference(conn), crs)
    check_reporters(conn, street_code, frame)
    frame, already = _not_yet_stored(conn, street_code, frame, source)
    if frame.empty:
        return frame, already
    snapshot = placement.place(
        conn, street_code, frame["lon"].to_numpy(), frame["lat"].to_numpy(), frame["occurred_at"]
    )
    frame = pd.concat([frame.reset_index(drop=False), snapshot], axis=1).set_index("index")
    return frame, already


def _rebuild_indexes(conn: psycopg.Connection, rows: int) -> bool:
    """Whether a batch of ``rows`` is large enough to rebuild the indexes rather than feed them."""
    if rows < REBUILD_FROM:
        return False
    return data.stored_rows(conn, at_most=int(rows / REBUILD_SHARE) + 1) * REBUILD_SHARE <= rows


def _not_yet_stored(
    conn: psycopg.Connection, street_code: str, frame: pd.DataFrame, source: str
) -> tuple[pd.DataFrame, dict]:
    """The rows whose client id or ledger key is not stored yet, and, for the others, the id
    of the incident stored before. A key twice in one load is refused."""
    already: dict[int, int] = {}
    frame["client_id"] = _uuids(frame["client_id"])
    keys = frame["source_key"].astype("string").str.strip()
    _check(
        np.flatnonzero((keys.str.len() > SOURCE_KEY_MAX).fillna(False).to_numpy()),
        f"台账编号（source_key）超过 {SOURCE_KEY_MAX} 个字",
    )
    frame["source_key"] = keys.where(keys != "").astype(object).where(keys.notna(), None)
    frame["source"] = np.where(frame["source_key"].notna(), source, None)
    for col in ("client_id", "source_key"):
        keys = frame[col]
        present = keys.notna()
        if not present.any():
            continue
        twice = keys[present].duplicated(keep=False)
        label = "客户端编号（client_id）" if col == "client_id" else "台账编号（source_key）"
        _check(np.flatnonzero(present.to_numpy())[twice.to_numpy()], f"{label}在本次导入中重复")
        wanted = keys[present].tolist()
        if col == "client_id":
            stored = data.stored_client_ids(conn, street_code, wanted)
        else:
            stored = data.stored_source_keys(conn, street_code, source, wanted)
        for position, key in keys[present].items():
            if key in stored:
                already[int(position)] = stored[key]
    keep = ~frame.index.isin(list(already))
    return frame[keep], already


def _uuids(values: pd.Series) -> pd.Series:
    """Client ids as UUIDs; refuses the rows whose id is not one."""
    parsed, bad = [], []
    for position, value in enumerate(values):
        if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
            parsed.append(None)
            continue
        try:
            parsed.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip()))
        except ValueError:
            parsed.append(None)
            bad.append(position)
    _check(np.array(bad, dtype=np.int64), "客户端编号（client_id）应为 UUID，例如 3f2b8c1e-…")
    return pd.Series(parsed, index=values.index, dtype=object)


def _start_steps(conn: psycopg.Connection, street_code: str, frame: pd.DataFrame) -> None:
    """When each case entered its state, and the deadline of that step by the street's rules
    (gm_due, the one definition) unless the row brings its own. A closed case entered its
    final state when it closed; for an open one, its registration stands in."""
    frame["status_since"] = frame["closed_at"].fillna(frame["reported_at"])
    need = frame["due_at"].isna() & frame["closed_at"].isna()
    if not need.any():
        return
    day = (frame.loc[need, "status_since"].dt.tz_convert(None) + OFFSET).dt.normalize()
    steps = pd.DataFrame(
        {"kind": frame.loc[need, "kind"], "status": frame.loc[need, "status"], "day": day}
    ).drop_duplicates()
    due = {
        (r["kind"], r["status"], pd.Timestamp(r["day"])): r["due"]
        for r in data.deadlines(conn, street_code, steps)
    }
    frame.loc[need, "due_at"] = pd.to_datetime(
        [due[k] for k in zip(frame.loc[need, "kind"], frame.loc[need, "status"], day, strict=True)],
        utc=True,
    )


def incident_ids(conn: psycopg.Connection, street_code: str, result: LoadResult) -> np.ndarray:
    """Ids of a load's incidents, in the order of the rows it was given."""
    ids = np.empty(result.rows, dtype=np.int64)
    ids[result.order] = data.ids_of_batch(conn, street_code, result.batch_id)
    return ids


# What one incident may carry. Without limits a ledger could store a 50 MB description that
# every map view containing it then sends whole; the database's constraints hold the same
# limits, and these give the message naming the rows before anything is written.
TITLE_MAX = 200  # characters
DESCRIPTION_MAX = 5_000  # characters
DETAILS_MAX_BYTES = 8_192  # UTF-8 bytes of the details' JSON text
DETAILS_MAX_DEPTH = 5  # levels of nested objects and arrays: {"a": {"b": [1]}} is 3
# Moments that record what happened, which cannot lie in the future (gridmap.timewindow); a
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
    now = timewindow.now()
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


__all__ = ["load", "check", "prepare", "check_reporters", "LoadResult", "SNAPSHOT"]
