"""Placing incidents: validate, convert, attribute, write — all or nothing.

The same function takes one pin from a grid member's phone and a ledger of a million rows. Every
row is checked first (gridmap.intake.rows: coordinates, kind, category, state, times, text);
one bad row refuses the whole load with the rows named, so nothing is half written and nothing
accepted is lost. Rows already stored (a retried client id, a re-imported ledger key) are
recognised and not stored again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg

from gridmap.core.clock import OFFSET
from gridmap.core.errors import Conflict
from gridmap.data import dberrors, tally_upkeep
from gridmap.data import incidents as data
from gridmap.geo.placement import SNAPSHOT, Placement
from gridmap.intake import fold as tally
from gridmap.intake.rows import OPTIONAL, REQUIRED, TIMES, _check, check_reporters, prepare

SOURCE_KEY_MAX = 100  # characters
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
    tallied: bool = True  # counted in incident_tally (see gridmap.intake.fold)
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
            tallied = tally_upkeep.fold(conn, street_code, batch)
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


__all__ = [
    "load",
    "check",
    "prepare",
    "check_reporters",
    "LoadResult",
    "OPTIONAL",
    "REQUIRED",
    "SNAPSHOT",
    "TIMES",
]
