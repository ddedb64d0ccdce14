"""A year of cases in the making (gridmap.demo.present): the cases registered in the twelve
months up to today, and the transitions, extensions and links planned for them, day by day.

The window is always a whole year, whatever the day: on 2 January a "current year" would hold a
day of cases, and no case could have used most of a month-long step. The cases planted at a
given point of their step's time (near their deadline, or past it) are placed by the street's
own deadlines (``due``, the database's gm_due with its calendar), so that a holiday or a weekend
that moves a deadline does not move them out of the light they promise."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .incidents import Scene
from .timeline import TZ

YEAR_SHARE = 0.92  # the last twelve months' volume against 2023's
# The deadline of a step: (kind, state, since, registered) → its end, by the street's rules.
Deadline = Callable[[str, str, pd.Timestamp, pd.Timestamp], pd.Timestamp]


class Year:
    """Collects the cases of the year and what happens to them."""

    def __init__(
        self, scene: Scene, today: pd.Timestamp, rng: np.random.Generator, due: Deadline
    ) -> None:
        self.scene, self.today, self.rng, self.due = scene, today.tz_convert(TZ), rng, due
        self.start = (self.today - pd.DateOffset(years=1)).normalize()
        self.planted: set[int] = set()  # cases placed at a point of their step's time
        self.near_deadline: list[int] = []  # of which those near their deadline (yellow)
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

    def restart(self, case: int, reported: pd.Timestamp, hours_before: float) -> None:
        """Move a case back in time, to be reported at ``reported`` (having happened
        ``hours_before`` earlier), forgetting its planned transitions: the planted cases, stuck
        in a step or near its deadline, start this way."""
        self.moves = [m for m in self.moves if m["case"] != case]
        self.rows[case]["reported_at"] = reported
        self.rows[case]["occurred_at"] = reported - pd.Timedelta(hours=hours_before)

    def since_for(self, kind: str, status: str, share: float) -> pd.Timestamp | None:
        """When a step (counted from its own start) must have begun for ``share`` of its time
        to have passed by today, by the street's deadlines: 0.9 is near the deadline (yellow),
        above 1 past it (red). A holiday or a weekend lengthens a step, so the start is found by
        rounds of since = today − share × (the step's length from that start); where a holiday
        makes that jump to and fro, the start nearest ``share`` every three hours around it.
        None when no start comes within 0.05 of ``share``: on the first days of the Spring
        Festival every month-long step ends after the holiday, and none is near its end."""

        def length(since: pd.Timestamp) -> pd.Timedelta:
            return self.due(kind, status, since, since) - since

        def off(since: pd.Timestamp) -> float:
            return abs((self.today - since) / length(since) - share)

        since = self.today - pd.Timedelta(days=30 * share)
        for _ in range(6):
            again = self.today - share * length(since)
            if again == since:
                break
            since = again
        if off(since) > 0.02:
            around = [since + pd.Timedelta(hours=h) for h in range(-24 * 15, 24 * 15, 3)]
            since = min(around, key=off)
        return since if off(since) <= 0.05 else None

    def reported(self, case: int) -> pd.Timestamp:
        return self.rows[case]["reported_at"]

    def days(self, lo: float, hi: float) -> pd.Timedelta:
        return pd.Timedelta(days=float(self.rng.uniform(lo, hi)))


def draw(year: Year, n: int, town_factor: float = 1.0, within=None) -> np.ndarray:
    return year.scene.draw_units(n, town_factor, within=within)
