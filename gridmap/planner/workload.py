"""A year of incidents per unit: what a grid's workload index counts (gridmap.planner.check).

Incidents name their unit by code in their snapshot, and unit codes are stable across
divisions, so a unit's count follows it into another grid. A unit cut by a plan has a code no
incident names yet: its parts count the incidents that lie inside them (a spatial count, made
only for such parts).
"""

from __future__ import annotations

from datetime import timedelta

from gridmap.accounts.scope import Scope
from gridmap.core import clock
from gridmap.data import plans as store

YEAR = timedelta(days=365)


def of_villages(conn, scope: Scope, villages: list[str], at=None) -> dict[str, dict]:
    """Village code → unit code → kind → incidents of the twelve months before ``at`` (one
    reading of the period for all the villages)."""
    since = (at or clock.now()) - YEAR
    out: dict[str, dict] = {}
    for r in store.incidents_by_unit(conn, scope, villages, since):
        out.setdefault(r["village_code"], {}).setdefault(r["unit_code"], {})[r["kind"]] = r["n"]
    return out


def of_village(conn, scope: Scope, village: str, at=None) -> dict[str, dict]:
    """Unit code → kind → incidents, for one village."""
    return of_villages(conn, scope, [village], at).get(village, {})


def of_draft(conn, scope: Scope, draft, by_code: dict[str, dict], at=None) -> dict[str, dict]:
    """Unit code → kind → incidents for every unit of a plan's draft: ``by_code`` (of_village),
    and for the parts of a cut unit what lies inside each."""
    out = {c: dict(k) for c, k in by_code.items()}
    cut = [
        (u.code, u.geometry)
        for u in draft.units.itertuples(index=False)
        if u.code not in by_code and store.text_or_none(u.split_from) is not None
    ]
    if cut:
        since = (at or clock.now()) - YEAR
        for r in store.incidents_within(conn, scope, since, [g.wkb for _, g in cut]):
            kinds = out.setdefault(cut[r["i"]][0], {})
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + r["n"]
    return out
