"""The demo lives in the present: what followed 2023, and the current year up to today.

2023 is the report's year, a snapshot taken at its end (gridmap.demo.build). Two more chapters
are written here, both as work through the workflow rather than as finished rows:

* **2024, the follow-up.** The cases still open at the end of 2023 (the most recent disputes
  and enforcement cases, and the petition backlog, 积案, that the 2024 plan promised to clear)
  are moved to their end in the first months of 2024, one transition at a time.
* **The current year, from 1 January to today.** New cases are registered in their first state
  and moved on as the days pass: a dispute is found, taken up, resolved; a mediation case is
  accepted and mediated; a petition is registered, accepted, handled and, once the review
  window has passed, closed. Whatever would happen after today has not happened yet, so the
  year ends with a realistic mix of open cases: most on time, some near their deadline, a few
  overdue (cases stuck in a step), and one petition whose handling was extended once. Some
  disputes are taken up as mediation cases, one failed mediation and a few land-acquisition
  disputes go on to petitions, and a few disputes are reported twice: links between them.

:func:`plan` is a pure function of the 2023 street, the open cases, today and a seed; the
loader (gridmap.demo.load) carries it out through the same calls a grid member's phone and the
center use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import texts
from .incidents import COLUMNS, Scene
from .timeline import TZ

FOLLOW_UP_FROM = pd.Timestamp("2024-01-03 09:00", tz=TZ)
YEAR_SHARE = 0.92  # the current year's volume against 2023's, for the days it has had
DISPUTES, MEDIATIONS, PETITIONS, ENFORCEMENT = 660, 38, 70, 140
STUCK_DISPUTES = 2  # found and never taken up: overdue
DUPLICATES = 5
ESCALATED = 4  # land-acquisition disputes that went on to petitions
PERSISTENT_SHARE = 0.06  # disputes in the persistent acquisition hotspot: it comes back


@dataclass
class Present:
    cases: pd.DataFrame  # the current year's cases, in their first state (loader columns)
    parties: pd.DataFrame  # case (row of cases), role, name, id_number, phone
    moves: pd.DataFrame  # case, to_status, at, reason: the current year's transitions
    follow_up: pd.DataFrame  # incident (stored id), to_status, at, reason: 2024's
    extensions: pd.DataFrame  # case, days, at, reason
    links: pd.DataFrame  # from_case, to_case, link, at, note


class _Year:
    """Collects the cases of the year and what happens to them."""

    def __init__(self, scene: Scene, today: pd.Timestamp, rng: np.random.Generator) -> None:
        self.scene, self.today, self.rng = scene, today, rng
        self.start = pd.Timestamp(f"{today.year}-01-01", tz=TZ)
        self.rows: list[dict] = []
        self.parties: list[dict] = []
        self.moves: list[dict] = []
        self.extensions: list[dict] = []
        self.links: list[dict] = []

    def moment(self, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.Timestamp:
        """A daytime moment between lo and hi (hi not after now)."""
        hi = min(hi, self.today - pd.Timedelta(hours=2))
        span = max((hi - lo).total_seconds(), 3600.0)
        t = lo + pd.Timedelta(seconds=float(self.rng.uniform(0, span)))
        hour = int(self.rng.integers(8, 19))
        return min(t.normalize() + pd.Timedelta(hours=hour, minutes=int(self.rng.integers(60))), hi)

    def case(
        self,
        kind: str,
        category: str,
        unit: int,
        at: pd.Timestamp,
        status: str,
        title: str,
        description: str,
        parties: list[dict],
        details: dict,
        closed: pd.Timestamp | None = None,
    ) -> int:
        lon, lat = self.scene.locate(np.array([unit]))
        index = len(self.rows)
        self.rows.append(
            {
                "kind": kind,
                "category": category,
                "status": status,
                "title": title,
                "description": description,
                "lon": float(lon[0]),
                "lat": float(lat[0]),
                "occurred_at": at,
                "reported_at": at + pd.Timedelta(minutes=int(self.rng.integers(10, 240))),
                "closed_at": closed,
                "details": details,
            }
        )
        self.parties += [{"case": index, **p} for p in parties]
        return index

    def move(self, case: int, to: str, at: pd.Timestamp, reason: str = "") -> bool:
        """Plan a transition; False (and nothing planned) when it would happen after today."""
        if at >= self.today - pd.Timedelta(minutes=30):
            return False
        self.moves.append({"case": case, "to_status": to, "at": at, "reason": reason})
        return True

    def reported(self, case: int) -> pd.Timestamp:
        return self.rows[case]["reported_at"]

    def days(self, lo: float, hi: float) -> pd.Timedelta:
        return pd.Timedelta(days=float(self.rng.uniform(lo, hi)))


def plan(scene: Scene, open_cases: pd.DataFrame, today: pd.Timestamp, seed: int) -> Present:
    """What happened after 2023 up to ``today``. ``open_cases`` are the stored cases open at the
    end of 2023: id, kind, status, status_since."""
    rng = np.random.default_rng(seed)
    year = _Year(scene, today.tz_convert(TZ), rng)
    disputes = _disputes(year)
    _mediations(year, disputes)
    _petitions(year, disputes)
    _enforcement(year)
    _services(year)
    cases = pd.DataFrame(year.rows)
    for col in ("occurred_at", "reported_at", "closed_at"):
        cases[col] = pd.to_datetime(cases[col], utc=True).dt.tz_convert(TZ)
    moves = pd.DataFrame(year.moves, columns=["case", "to_status", "at", "reason"])
    return Present(
        cases=frame_like(cases),
        parties=pd.DataFrame(year.parties, columns=["case", "role", "name", "id_number", "phone"]),
        moves=moves.sort_values(["at", "case"], kind="stable", ignore_index=True),
        follow_up=follow_up(open_cases, rng),
        extensions=pd.DataFrame(year.extensions, columns=["case", "days", "at", "reason"]),
        links=pd.DataFrame(year.links, columns=["from_case", "to_case", "link", "at", "note"]),
    )


def frame_like(cases: pd.DataFrame) -> pd.DataFrame:
    """The columns of 2023's incidents, but for the deadline, which each step gets from the
    street's rules as it is entered."""
    return cases[[c for c in COLUMNS if c != "due_at"]]


def _draw(year: _Year, n: int, town_factor: float = 1.0, within=None) -> np.ndarray:
    return year.scene.draw_units(n, town_factor, within=within)


def _disputes(year: _Year) -> list[int]:
    """Disputes: found, mostly taken up within days and resolved within weeks; a few resolved
    on the spot, a few referred; a few reported twice; two stuck where they were found."""
    from .disputes import SHARE

    rng, scene = year.rng, year.scene
    n = int(DISPUTES * YEAR_SHARE * (year.today - year.start).days / 335)
    categories = rng.choice(list(SHARE), size=n, p=np.array(list(SHARE.values())))
    units = _draw(year, n)
    hotspot = np.isin(scene.grid_of, scene.clusters[0].grid_codes)
    persistent = rng.random(n) < PERSISTENT_SHARE
    units[persistent] = _draw(year, int(persistent.sum()), within=hotspot)
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
        year.moves = [m for m in year.moves if m["case"] != case]
        shifted = year.today - year.days(18, 30)
        year.rows[case]["occurred_at"] = shifted
        year.rows[case]["reported_at"] = shifted + pd.Timedelta(hours=2)
    _duplicates(year, made)
    _near_deadline(year, made[: len(made) // 2])
    return made


def _near_deadline(year: _Year, disputes: list[int]) -> None:
    """Two disputes taken up 25–27 days ago and still being mediated: their 30 days are nearly
    gone (yellow)."""
    for case in year.rng.choice(disputes, size=2, replace=False):
        year.moves = [m for m in year.moves if m["case"] != case]
        found = year.today - year.days(27.5, 29)
        year.rows[case]["occurred_at"] = found - pd.Timedelta(hours=2)
        year.rows[case]["reported_at"] = found
        year.move(int(case), "mediating", year.today - year.days(25, 27))


def _settle_dispute(year: _Year, case: int, category: str) -> None:
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


def _duplicates(year: _Year, disputes: list[int]) -> None:
    """The same quarrel reported again by another neighbour a day or two later."""
    rng, scene = year.rng, year.scene
    for original in rng.choice(disputes[: len(disputes) * 3 // 4], size=DUPLICATES, replace=False):
        row = year.rows[original]
        at = row["reported_at"] + year.days(0.5, 2)
        if at >= year.today:
            continue
        unit = int(scene.draw_units(1, within=np.isin(scene.grid_of, [_grid_of(year, row)]))[0])
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


def _grid_of(year: _Year, row: dict) -> str:
    import shapely

    point = shapely.Point(row["lon"], row["lat"])
    inside = shapely.contains(year.scene.polygons, point)
    return str(year.scene.grid_of[int(np.flatnonzero(inside)[0])])


def _mediations(year: _Year, disputes: list[int]) -> None:
    """People's mediation cases taken up from disputes being mediated: accepted, mediated, most
    ending in an agreement; the dispute is resolved with the agreement, or referred when the
    mediation fails."""
    rng, scene = year.rng, year.scene
    being_mediated = [
        m["case"] for m in year.moves if m["to_status"] == "mediating" and m["case"] in disputes
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
        unit = int(scene.draw_units(1, within=np.isin(scene.grid_of, [_grid_of(year, row)]))[0])
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


def _petitions(year: _Year, disputes: list[int]) -> None:
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
    n = int(PETITIONS * YEAR_SHARE * (year.today - year.start).days / 335)
    categories = rng.choice(
        list(PETITION_SHARE), size=n - len(sources), p=np.array(list(PETITION_SHARE.values()))
    )
    sources += [(None, c) for c in categories]
    made = []
    for origin, category in sources:
        if origin is None:
            unit = int(_draw(year, 1, town_factor=0.8)[0])
            at = year.moment(year.start, year.today)
        else:
            row = year.rows[origin]
            unit = int(scene.draw_units(1, within=np.isin(scene.grid_of, [_grid_of(year, row)]))[0])
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
    year.moves = [m for m in year.moves if m["case"] != late]
    year.rows[late]["occurred_at"] = year.today - year.days(20, 26)
    year.rows[late]["reported_at"] = year.rows[late]["occurred_at"] + pd.Timedelta(hours=1)


def _settle_petition(year: _Year, case: int) -> None:
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


def _extend_one(year: _Year, petitions: list[int]) -> None:
    """One complicated petition, accepted 70–80 days ago, was extended once by 30 days at the
    end of its 60 and is still being handled."""
    case = petitions[int(year.rng.integers(len(petitions)))]
    year.moves = [m for m in year.moves if m["case"] != case]
    registered = year.today - year.days(78, 88)
    year.rows[case]["occurred_at"] = registered - pd.Timedelta(hours=1)
    year.rows[case]["reported_at"] = registered
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


def _enforcement(year: _Year) -> None:
    """Enforcement cases: opened, investigated, decided within the 90 days, closed; one whose
    investigation has run past the 90 days."""
    from .casework import ACTIONS, ENFORCEMENT_COUNTS, ENFORCEMENT_TOWN_FACTOR

    rng, scene = year.rng, year.scene
    total = sum(ENFORCEMENT_COUNTS.values())
    n = int(ENFORCEMENT * YEAR_SHARE * (year.today - year.start).days / 335)
    made = []
    for category, count in ENFORCEMENT_COUNTS.items():
        for _ in range(round(n * count / total)):
            unit = int(_draw(year, 1, ENFORCEMENT_TOWN_FACTOR[category])[0])
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
    year.moves = [m for m in year.moves if m["case"] != slow]
    opened = year.today - year.days(100, 115)
    year.rows[slow]["occurred_at"] = opened - pd.Timedelta(hours=3)
    year.rows[slow]["reported_at"] = opened
    year.move(slow, "investigated", opened + year.days(5, 10))


def _services(year: _Year) -> None:
    """Legal consultations and publicity events: done when they are recorded."""
    rng, scene = year.rng, year.scene
    villages = list(scene.offices)
    for _ in range(int(22 * (year.today - year.start).days / 335)):
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


def follow_up(open_cases: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """2024: each case open at the end of 2023 moved to its end, step by step."""
    paths = {
        ("dispute", "found"): ["mediating", "resolved"],
        ("dispute", "mediating"): ["resolved"],
        ("petition", "registered"): ["accepted", "handled", "closed"],
        ("petition", "accepted"): ["handled", "closed"],
        ("petition", "handled"): ["closed"],
        ("enforcement", "opened"): ["investigated", "decided", "closed"],
        ("enforcement", "investigated"): ["decided", "closed"],
        ("enforcement", "decided"): ["closed"],
    }
    reasons = {("petition", "handled"): "积案化解：街道领导包案，出具处理意见"}
    moves = []
    for case in open_cases.itertuples(index=False):
        at = max(FOLLOW_UP_FROM, pd.Timestamp(case.status_since).tz_convert(TZ))
        at += pd.Timedelta(days=float(rng.uniform(0, 20)))
        for to in paths.get((case.kind, case.status), []):
            at += pd.Timedelta(days=float(rng.uniform(3, 20)))
            moves.append(
                {
                    "incident": case.id,
                    "to_status": to,
                    "at": at,
                    "reason": reasons.get((case.kind, to), ""),
                }
            )
    return pd.DataFrame(moves, columns=["incident", "to_status", "at", "reason"])
