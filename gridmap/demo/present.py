"""The demo lives in the present: what followed 2023, and the current year up to today.

2023 is the report's year, a snapshot taken at its end (gridmap.demo.build). Two more chapters
are written here, both as work through the workflow rather than as finished rows:

* **2024, the follow-up.** The cases still open at the end of 2023 (the most recent disputes
  and enforcement cases, and the petition backlog, 积案, that the 2024 plan promised to clear)
  are moved to their end in the first months of 2024, one transition at a time.
* **The twelve months up to today.** New cases are registered in their first state
  and moved on as the days pass: a dispute is found, taken up, resolved; a mediation case is
  accepted and mediated; a petition is registered, accepted, handled and, once the review
  window has passed, closed. Whatever would happen after today has not happened yet, so the
  year ends with a realistic mix of open cases: most on time, some near their deadline, a few
  overdue (cases stuck in a step), and one petition whose handling was extended once. The
  window is a whole year on any day (on 2 January too), and the cases near their deadline are
  placed by the street's own deadlines, holidays included. Some
  disputes are taken up as mediation cases, one failed mediation and a few land-acquisition
  disputes go on to petitions, and a few disputes are reported twice: links between them.

:func:`plan` is a pure function of the 2023 street, the open cases, today, a seed and the
street's deadlines (``due``); the loader (gridmap.demo.load) gives it the database's deadlines
and carries it out through the same calls a grid member's phone and the center use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import year_casework, year_disputes
from .incidents import COLUMNS, Scene
from .timeline import TZ
from .year import Deadline, Year

FOLLOW_UP_FROM = pd.Timestamp("2024-01-03 09:00", tz=TZ)


@dataclass
class Present:
    cases: pd.DataFrame  # the current year's cases, in their first state (loader columns)
    parties: pd.DataFrame  # case (row of cases), role, name, id_number, phone
    moves: pd.DataFrame  # case, to_status, at, reason: the current year's transitions
    follow_up: pd.DataFrame  # incident (stored id), to_status, at, reason: 2024's
    extensions: pd.DataFrame  # case, days, at, reason
    links: pd.DataFrame  # from_case, to_case, link, at, note


def plan(
    scene: Scene, open_cases: pd.DataFrame, today: pd.Timestamp, seed: int, due: Deadline
) -> Present:
    """What happened after 2023 up to ``today``. ``open_cases`` are the stored cases open at the
    end of 2023: id, kind, status, status_since. ``due`` gives a step's deadline by the
    street's rules and calendar (gm_due)."""
    rng = np.random.default_rng(seed)
    year = Year(scene, today.tz_convert(TZ), rng, due)
    disputes = year_disputes.disputes(year)
    year_disputes.mediations(year, disputes)
    year_casework.petitions(year, disputes)
    year_casework.enforcement(year)
    year_casework.services(year)
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
