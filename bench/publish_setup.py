"""The street-wide plan and the million incidents that bench/planner_publish.py publishes over.

The plan changes every village of the demo street: one boundary unit moves to a neighbouring
grid of its village (its grid stays whole and non-empty), or, where none can, a grid is
renamed. The incidents are bench/attribution.py's rows, with a share left open so that the
handover has cases to move.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridmap.accounts.policy import Actor  # noqa: E402
from gridmap.accounts.scope import Scope  # noqa: E402
from gridmap.planner.rebalance import neighbours  # noqa: E402

STREET = "420114004"  # the demo street
SCOPE = Scope.street(STREET)  # the bench is trusted with the whole street


def whole(units: set[int], adjacent: list[set[int]]) -> bool:
    """Whether these units hold together (edge neighbours, as gridmap.planner.check counts)."""
    start = next(iter(units))
    seen, todo = {start}, [start]
    while todo:
        for v in adjacent[todo.pop()]:
            if v in units and v not in seen:
                seen.add(v)
                todo.append(v)
    return len(seen) == len(units)


def movable(units) -> tuple[int, str] | None:
    """A unit (row position) that can move to a neighbouring grid of its village, its own grid
    keeping at least one unit and staying in one piece (the grid it joins stays whole: the unit
    touches it along an edge), with that grid; None when no unit can."""
    adjacent = neighbours(units.geometry.values)
    grid_of = units["grid_code"].tolist()
    members: dict[str, set[int]] = {}
    for i, g in enumerate(grid_of):
        members.setdefault(g, set()).add(i)
    for u, g in enumerate(grid_of):
        targets = sorted({grid_of[v] for v in adjacent[u]} - {g})
        if targets and len(members[g]) > 1 and whole(members[g] - {u}, adjacent):
            return u, targets[0]
    return None


def street_plan(conn, account: dict, rules) -> dict:
    """A plan changing every village of the street (see the module's docstring), saved and
    committed; its id and what it changes."""

    from gridmap.data import areas
    from gridmap.data import plans as plan_store
    from gridmap.planner import plans

    plan_id = plans.create(conn, Actor.of(account, SCOPE), "基准：全街道网格调整")
    division = areas.in_force(conn, STREET, datetime.now(UTC))
    out = {"plan_id": plan_id, "villages": 0, "moved": 0, "renamed": 0, "fixed": []}
    for village in plan_store.villages_in_force(conn, division["id"]):
        base = plans.draft(conn, SCOPE, plan_id, village["code"])
        grid_of = dict(zip(base.units["code"], base.units["grid_code"], strict=True))
        grids = [dict(g) for g in base.grids]
        move = movable(base.units)
        if move is not None:
            grid_of[base.units["code"].iloc[move[0]]] = move[1]
        else:
            grids[0]["name"] = f"{grids[0]['name']}（调整）"[:50]
        body = {"grids": grids, "units": [{"code": c, "grid": g} for c, g in grid_of.items()]}
        _revision, check = plans.save(
            conn, Actor.of(account, SCOPE), base, plans.content(base, body), rules
        )
        blocking = [p for p in check.problems if p.kind in plans.BLOCKING]
        if blocking:  # a problem of the demo's, not of the bench: say so, then mend the plan
            out["fixed"] += [f"{village['name']}: {p.message}" for p in blocking]
            again = plans.draft(conn, SCOPE, plan_id, village["code"])
            grids = [dict(g) for g in base.grids]  # the village's own units, a grid renamed
            for g in grids:
                g["members"] = g["members"] or [account["person_id"]]
            grids[0]["name"] = f"{grids[0]['name']}（调整）"[:50]
            body = {
                "grids": grids,
                "units": [
                    {"code": c, "grid": g}
                    for c, g in zip(base.units["code"], base.units["grid_code"], strict=True)
                ],
            }
            plans.save(conn, Actor.of(account, SCOPE), again, plans.content(again, body), rules)
            move = None
        out["villages"] += 1
        out["moved" if move is not None else "renamed"] += 1
    conn.commit()
    return out


def with_open_share(rows: pd.DataFrame, ref: dict, share: float, seed: int) -> pd.DataFrame:
    """The rows with all but ``share`` of them closed: open rows beyond that get a final state
    of their kind and a closing time a few hours to two days after they happened."""
    rng = np.random.default_rng(seed)
    finals: dict[str, list[str]] = {}
    for (kind, code), status in ref["statuses"].items():
        if status["is_final"]:
            finals.setdefault(kind, []).append(code)
    still_open = np.flatnonzero(rows["closed_at"].isna().to_numpy())
    keep = int(round(share * len(rows)))
    if keep >= still_open.size:
        return rows
    close = rng.choice(still_open, still_open.size - keep, replace=False)
    kinds = rows["kind"].to_numpy()[close]
    status = rows["status"].to_numpy().copy()
    for kind, codes in finals.items():
        chosen = close[kinds == kind]
        status[chosen] = np.array(codes, dtype=object)[rng.integers(0, len(codes), chosen.size)]
    closed = rows["closed_at"].to_numpy().copy()
    occurred = rows["occurred_at"].to_numpy()
    closed[close] = occurred[close] + rng.integers(3_600, 2 * 86_400, close.size).astype(
        "timedelta64[s]"
    )
    return rows.assign(status=status, closed_at=closed)


def add_incidents(conn, n: int, open_share: float, seed: int = 10) -> float:
    """n incidents as bench/attribution.py makes them (uniform over the street and the
    division's validity), ``open_share`` of them open, through the bulk loader; seconds."""
    from bench import attribution
    from gridmap.data import incidents as incident_data
    from gridmap.geo.placement import Placement
    from gridmap.intake import load as incidents

    division = attribution.division_of(conn, "demo street", STREET)
    ref = incident_data.reference(conn)
    rows = with_open_share(attribution.random_rows(division, ref, n, seed), ref, open_share, seed)
    text = attribution.as_text(rows)
    started = time.perf_counter()
    incidents.load(conn, Placement(), STREET, text, source="bench")
    return time.perf_counter() - started
