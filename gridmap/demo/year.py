"""A year of cases in the making (gridmap.demo.present): the cases registered so far, and the
transitions, extensions and links planned for them, day by day up to today."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .incidents import Scene
from .timeline import TZ

YEAR_SHARE = 0.92  # the current year's volume against 2023's, for the days it has had


class Year:
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

    def restart(self, case: int, reported: pd.Timestamp, hours_before: float) -> None:
        """Move a case back in time, to be reported at ``reported`` (having happened
        ``hours_before`` earlier), forgetting its planned transitions: the planted cases, stuck
        in a step or near its deadline, start this way."""
        self.moves = [m for m in self.moves if m["case"] != case]
        self.rows[case]["reported_at"] = reported
        self.rows[case]["occurred_at"] = reported - pd.Timedelta(hours=hours_before)

    def reported(self, case: int) -> pd.Timestamp:
        return self.rows[case]["reported_at"]

    def days(self, lo: float, hi: float) -> pd.Timedelta:
        return pd.Timedelta(days=float(self.rng.uniform(lo, hi)))


def draw(year: Year, n: int, town_factor: float = 1.0, within=None) -> np.ndarray:
    return year.scene.draw_units(n, town_factor, within=within)
