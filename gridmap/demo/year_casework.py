"""This year's petitions, enforcement cases and legal services (gridmap.demo.present).

Petitions are registered, accepted within days, handled within weeks and closed once the 30
days for a review have passed; a few come from disputes and a failed mediation, one is extended
once, one waits too long to be accepted. Enforcement cases are opened, investigated, decided
within their 90 days and closed; one's investigation has run past them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import texts
from .year import YEAR_SHARE, Year, draw
from .year_disputes import grid_of

PETITIONS, ENFORCEMENT = 70, 140
ESCALATED = 4  # land-acquisition disputes that went on to petitions


def petitions(year: Year, disputes: list[int]) -> None:
    """Petitions: registered, accepted within days, handled within weeks, closed once the 30
    days for a review have passed. Some come from disputes not solved where they started; one
    from the failed mediation; one is extended once; one waits too long to be accepted."""
    from .casework import CHANNELS, PETITION_SHARE

    rng, scene = year.rng, year.scene
    sources: list[tuple[int | None, str]] = []
    acquisitions = [d for d in disputes if year.rows[d]["category"] == "acquisition"]
    for dispute in rng.choice(acquisitions, size=min(ESCALATED, len(acquisitions)), replace=False):
        sources.append((int(dispute), "acquisition"))
    failed = getattr(year, "failed_mediation", None)
    if failed is not None:
        sources.append((failed, year.rows[failed]["category"]))
    n = int(PETITIONS * YEAR_SHARE)
    categories = rng.choice(
        list(PETITION_SHARE), size=n - len(sources), p=np.array(list(PETITION_SHARE.values()))
    )
    sources += [(None, c) for c in categories]
    made = []
    for origin, category in sources:
        if origin is None:
            unit = int(draw(year, 1, town_factor=0.8)[0])
            at = year.moment(year.start, year.today)
        else:
            row = year.rows[origin]
            unit = int(scene.draw_units(1, within=np.isin(scene.grid_of, [grid_of(year, row)]))[0])
            at = row["reported_at"] + year.days(10, 40)
            if at >= year.today:
                continue
        kind_category = category if category in PETITION_SHARE else "rural_affairs"
        title, text = texts.petition_text(
            kind_category, scene.village_name[scene.village_of[unit]], False, rng
        )
        channel = str(rng.choice(list(CHANNELS), p=list(CHANNELS.values())))
        case = year.case(
            "petition",
            kind_category,
            unit,
            at,
            "registered",
            title,
            text,
            scene.parties.petition(),
            {"channel": channel, "repeat": False},
        )
        made.append(case)
        if origin is not None:
            year.links.append(
                {
                    "from_case": origin,
                    "to_case": case,
                    "link": "petition",
                    "at": at + pd.Timedelta(hours=2),
                    "note": "矛盾上交为信访",
                }
            )
        _settle_petition(year, case)
    _extend_one(year, made)
    late = made[int(rng.integers(len(made) // 2, len(made)))]  # waits too long to be accepted
    year.restart(late, year.today - year.days(20, 26) + pd.Timedelta(hours=1), 1)
    year.planted.add(late)
    _near_deadline(year, made)


def _settle_petition(year: Year, case: int) -> None:
    rng, start = year.rng, year.reported(case)
    if rng.random() < 0.05:
        year.move(
            case,
            "not_accepted",
            start + year.days(2, 10),
            "不属于本机关职权范围，已告知向有权机关提出",
        )
        return
    accepted = start + year.days(1, 10)
    if not year.move(case, "accepted", accepted):
        return
    handled = accepted + year.days(12, 50)
    if year.move(case, "handled", handled):
        # Closed when the 30 days for a review have passed, on the last of them.
        year.move(
            case,
            "closed",
            handled + pd.Timedelta(days=30, hours=2),
            "复查申请期满，信访人未申请复查",
        )


def _extend_one(year: Year, petitions: list[int]) -> None:
    """One complicated petition, accepted 70–80 days ago, was extended once by 30 days at the
    end of its 60 and is still being handled."""
    case = petitions[int(year.rng.integers(len(petitions)))]
    registered = year.today - year.days(78, 88)
    year.restart(case, registered, 1)
    year.planted.add(int(case))
    accepted = registered + year.days(4, 8)
    year.move(case, "accepted", accepted)
    year.extensions.append(
        {
            "case": case,
            "days": 30,
            "at": accepted + pd.Timedelta(days=55),
            "reason": "涉及多个部门，情况复杂，经街道负责人批准延期 30 日，已告知信访人",
        }
    )


def _near_deadline(year: Year, petitions: list[int]) -> None:
    """Petitions accepted some 50 days ago and still being handled (yellow), as many as the
    disputes near their deadline fell short of the demo's NEAR_DEADLINE (a long holiday)."""
    from .year_disputes import NEAR_DEADLINE

    short = NEAR_DEADLINE - len(year.near_deadline)
    free = [p for p in petitions if p not in year.planted and not _linked(year, p)]
    for case in year.rng.choice(free, size=max(short, 0), replace=False):
        since = year.since_for("petition", "accepted", float(year.rng.uniform(0.85, 0.95)))
        if since is None:
            continue
        year.restart(case, since - year.days(1, 5), 1)
        year.move(int(case), "accepted", since)
        year.planted.add(int(case))
        year.near_deadline.append(int(case))


def _linked(year: Year, case: int) -> bool:
    return any(case in (link["from_case"], link["to_case"]) for link in year.links)


def enforcement(year: Year) -> None:
    """Enforcement cases: opened, investigated, decided within the 90 days, closed; one whose
    investigation has run past the 90 days."""
    from .casework import ACTIONS, ENFORCEMENT_COUNTS, ENFORCEMENT_TOWN_FACTOR

    rng, scene = year.rng, year.scene
    total = sum(ENFORCEMENT_COUNTS.values())
    n = int(ENFORCEMENT * YEAR_SHARE)
    made = []
    for category, count in ENFORCEMENT_COUNTS.items():
        for _ in range(round(n * count / total)):
            unit = int(draw(year, 1, ENFORCEMENT_TOWN_FACTOR[category])[0])
            action = str(rng.choice(list(ACTIONS), p=[p for p, _ in ACTIONS.values()]))
            at = year.moment(year.start, year.today)
            title, text, basis = texts.enforcement_text(category, scene.place(unit), action, rng)
            case = year.case(
                "enforcement",
                category,
                unit,
                at,
                "opened",
                title,
                text,
                [],
                {"action": action, "legal_basis": basis},
            )
            made.append(case)
            start = year.reported(case)
            investigated = start + year.days(2, 12)
            decided = investigated + year.days(10, 60)
            if year.move(case, "investigated", investigated) and year.move(
                case, "decided", decided
            ):
                year.move(case, "closed", decided + year.days(5, 25))
    slow = made[int(rng.integers(len(made)))]
    opened = year.today - year.days(100, 115)
    year.restart(slow, opened, 3)
    year.move(slow, "investigated", opened + year.days(5, 10))


def services(year: Year) -> None:
    """Legal consultations and publicity events: done when they are recorded."""
    rng, scene = year.rng, year.scene
    villages = list(scene.offices)
    for _ in range(22):
        village = villages[int(rng.integers(len(villages)))]
        unit = int(np.flatnonzero(scene.village_of == village)[0])
        category = str(rng.choice(["family", "land", "labour", "contract", "neighbour"]))
        at = year.moment(year.start, year.today)
        topic = texts.pick(texts.DISPUTE_TOPICS[category], rng)
        year.case(
            "legal_consultation",
            category,
            unit,
            at,
            "done",
            f"{scene.village_name[village]}{topic}法律咨询",
            f"村法律顾问驻村坐班，解答群众{topic}问题。",
            [],
            {"channel": "驻村坐班"},
            closed=at + pd.Timedelta(hours=1),
        )
    for topic_key in ("civil_code", "anti_fraud", "constitution"):
        village = villages[int(rng.integers(len(villages)))]
        unit = int(np.flatnonzero(scene.village_of == village)[0])
        at = year.moment(year.start, year.today)
        topic = texts.pick(texts.PUBLICITY_TOPICS[topic_key], rng)
        year.case(
            "legal_publicity",
            topic_key,
            unit,
            at,
            "done",
            f"{scene.village_name[village]}{topic}",
            f"在{scene.village_name[village]}开展{topic}。",
            [],
            {"audience": int(rng.integers(40, 200))},
            closed=at + pd.Timedelta(hours=2),
        )
