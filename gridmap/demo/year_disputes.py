"""This year's disputes and the mediation cases taken up from them (gridmap.demo.present).

A dispute is found, mostly taken up within days and resolved within weeks, sometimes resolved on
the spot or referred; a few are reported twice, two are stuck where they were found (overdue)
and two have nearly used their month of mediation (yellow, by the street's calendar).
Mediation cases are taken up from disputes being mediated; one fails, and its dispute is
referred.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import texts
from .year import YEAR_SHARE, Year, draw

DISPUTES, MEDIATIONS = 660, 38
STUCK_DISPUTES = 2  # found and never taken up: overdue
NEAR_DEADLINE = 2  # cases with most of their step's time gone: yellow
DUPLICATES = 5
PERSISTENT_SHARE = 0.06  # disputes in the persistent acquisition hotspot: it comes back


def disputes(year: Year) -> list[int]:
    """Disputes: found, mostly taken up within days and resolved within weeks; a few resolved
    on the spot, a few referred; a few reported twice; two stuck where they were found."""
    from .disputes import SHARE

    rng, scene = year.rng, year.scene
    n = int(DISPUTES * YEAR_SHARE)
    categories = rng.choice(list(SHARE), size=n, p=np.array(list(SHARE.values())))
    units = draw(year, n)
    hotspot = np.isin(scene.grid_of, scene.clusters[0].grid_codes)
    persistent = rng.random(n) < PERSISTENT_SHARE
    units[persistent] = draw(year, int(persistent.sum()), within=hotspot)
    categories[persistent] = scene.clusters[0].plant.category
    made = []
    for category, unit in zip(categories, units, strict=True):
        at = year.moment(year.start, year.today)
        title, text, source = texts.dispute_text(category, scene.place(unit), rng)
        case = year.case(
            "dispute",
            category,
            unit,
            at,
            "found",
            title,
            text,
            scene.parties.dispute(category),
            {"source": source},
        )
        made.append(case)
        _settle_dispute(year, case, category)
    stuck = rng.choice(np.arange(len(made) // 2, len(made)), size=STUCK_DISPUTES, replace=False)
    for case in stuck:  # found weeks ago and never taken up
        year.restart(case, year.today - year.days(18, 30) + pd.Timedelta(hours=2), 2)
    _duplicates(year, made)
    _near_deadline(year, made[: len(made) // 2])
    return made


def _near_deadline(year: Year, disputes: list[int]) -> None:
    """Two disputes taken up about four weeks ago and still being mediated: 85–95 % of their
    step's time has gone (yellow), by the deadline the street's calendar gives them. Neither
    was reported twice, and neither is taken up as a mediation case (which would resolve it).
    When a long holiday has moved every month's deadline past it, none is: petitions near the
    end of their 60 days stand in (gridmap.demo.year_casework)."""
    copied = {link["to_case"] for link in year.links if link["link"] == "duplicate"}
    candidates = [d for d in disputes if d not in copied]
    for case in year.rng.choice(candidates, size=NEAR_DEADLINE, replace=False):
        since = year.since_for("dispute", "mediating", float(year.rng.uniform(0.85, 0.95)))
        if since is None:
            continue
        year.restart(case, since - year.days(0.5, 2), 2)
        year.move(int(case), "mediating", since)
        year.planted.add(int(case))
        year.near_deadline.append(int(case))


def _settle_dispute(year: Year, case: int, category: str) -> None:
    rng, start = year.rng, year.reported(case)
    roll = rng.random()
    if roll < 0.33:  # settled on the spot by the grid member
        year.move(case, "resolved", start + pd.Timedelta(hours=float(rng.uniform(1, 30))))
    elif roll < 0.37 or (category == "acquisition" and roll < 0.5):
        year.move(case, "referred", start + year.days(1, 4), "移交街道综治中心、司法所处理")
    else:
        taken = start + year.days(0.2, 2.5)
        if year.move(case, "mediating", taken):
            year.move(case, "resolved", taken + year.days(2, 24))


def _duplicates(year: Year, disputes: list[int]) -> None:
    """The same quarrel reported again by another neighbour a day or two later."""
    rng, scene = year.rng, year.scene
    for original in rng.choice(disputes[: len(disputes) * 3 // 4], size=DUPLICATES, replace=False):
        row = year.rows[original]
        at = row["reported_at"] + year.days(0.5, 2)
        if at >= year.today:
            continue
        unit = int(scene.draw_units(1, within=np.isin(scene.grid_of, [grid_of(year, row)]))[0])
        copy = year.case(
            "dispute",
            row["category"],
            unit,
            at,
            "found",
            row["title"],
            row["description"] + "（群众再次反映）",
            [],
            {"source": "群众再次反映"},
        )
        year.links.append(
            {
                "from_case": copy,
                "to_case": int(original),
                "link": "duplicate",
                "at": at + pd.Timedelta(hours=3),
                "note": "同一纠纷再次上报",
            }
        )
        year.move(copy, "resolved", at + pd.Timedelta(hours=4), "重复上报，并入原事件处理")


def grid_of(year: Year, row: dict) -> str:
    import shapely

    point = shapely.Point(row["lon"], row["lat"])
    inside = shapely.contains(year.scene.polygons, point)
    return str(year.scene.grid_of[int(np.flatnonzero(inside)[0])])


def mediations(year: Year, disputes: list[int]) -> None:
    """People's mediation cases taken up from disputes being mediated: accepted, mediated, most
    ending in an agreement; the dispute is resolved with the agreement, or referred when the
    mediation fails."""
    rng, scene = year.rng, year.scene
    being_mediated = [
        m["case"]
        for m in year.moves
        if m["to_status"] == "mediating" and m["case"] in disputes and m["case"] not in year.planted
    ]
    chosen = rng.choice(being_mediated, size=min(MEDIATIONS, len(being_mediated)), replace=False)
    failed = chosen[int(rng.integers(len(chosen)))]
    for dispute in chosen:
        row = year.rows[dispute]
        taken = next(
            m["at"] for m in year.moves if m["case"] == dispute and m["to_status"] == "mediating"
        )
        at = taken + year.days(0.5, 3)
        if at >= year.today:
            continue
        unit = int(scene.draw_units(1, within=np.isin(scene.grid_of, [grid_of(year, row)]))[0])
        village = scene.village_name[scene.village_of[unit]]
        agreed = dispute != failed
        title, text = texts.mediation_text(row["category"], village, agreed, rng)
        case = year.case(
            "mediation",
            row["category"],
            unit,
            at,
            "accepted",
            title,
            text,
            scene.parties.mediation(),
            {},
        )
        year.links.append(
            {
                "from_case": int(dispute),
                "to_case": case,
                "link": "mediation",
                "at": at + pd.Timedelta(hours=1),
                "note": "申请人民调解",
            }
        )
        # The dispute now ends with the mediation.
        year.moves = [
            m for m in year.moves if not (m["case"] == dispute and m["to_status"] != "mediating")
        ]
        started = year.reported(case) + year.days(0.2, 3)
        if not year.move(case, "mediating", started):
            continue
        ended = started + year.days(4, 22)
        if agreed:
            if year.move(case, "agreement", ended):
                year.move(int(dispute), "resolved", ended + pd.Timedelta(hours=2), "达成调解协议")
        elif year.move(case, "no_agreement", ended, "双方分歧较大，调解不成，告知可诉讼"):
            year.move(int(dispute), "referred", ended + pd.Timedelta(hours=2), "调解不成，引导诉讼")
            year.failed_mediation = case
