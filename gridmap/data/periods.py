"""How a period is read from a monthly tally: whole months from the tally, the rest counted.

The tallies (incident_tally, incident_bins) count by calendar month, Beijing time. A period
rarely starts and ends on a month's edge, so each month it touches is read one of three ways:

* a whole month: from the tally;
* a part month shorter than half the month: its incidents counted one by one;
* a part month longer than half: the whole month from the tally, minus the incidents of the
  days left out, counted one by one (5 March – 31 March is March less 1–4 March).

So no more than half a month is ever counted directly at either end (a period from 5 March is
4 days counted, not 27). The counted pieces carry a sign for the caller to apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from gridmap.core.clock import LOCAL


@dataclass(frozen=True)
class Piece:
    """Incidents of [start, end), counted one by one with ``sign``, all within ``month``."""

    start: datetime
    end: datetime
    sign: int
    month: date  # its first day


@dataclass(frozen=True)
class Plan:
    first: date | None  # the months read from the tally, first days, both included
    last: date | None
    pieces: tuple[Piece, ...]

    @property
    def tallied(self) -> bool:
        return self.first is not None

    @property
    def tally_start(self) -> datetime:
        """Where the months read from the tally begin (only when ``tallied``)."""
        assert self.first is not None
        return month_start(self.first)

    @property
    def tally_end(self) -> datetime:
        assert self.last is not None
        return month_start(next_month(self.last))


def month_start(month: date) -> datetime:
    return datetime.combine(month.replace(day=1), time(), LOCAL)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def split(start: datetime, end: datetime) -> Plan:
    """The plan for reading [start, end) (aware datetimes)."""
    start, end = start.astimezone(LOCAL), end.astimezone(LOCAL)
    whole: list[date] = []
    pieces: list[Piece] = []
    month = start.date().replace(day=1)
    while month_start(month) < end:
        ms, me = month_start(month), month_start(next_month(month))
        lo, hi = max(start, ms), min(end, me)
        if (lo, hi) == (ms, me):
            whole.append(month)
        elif 2 * (hi - lo) > me - ms:
            whole.append(month)
            if ms < lo:
                pieces.append(Piece(ms, lo, -1, month))
            if hi < me:
                pieces.append(Piece(hi, me, -1, month))
        elif lo < hi:
            pieces.append(Piece(lo, hi, 1, month))
        month = next_month(month)
    if not whole:
        return Plan(None, None, tuple(pieces))
    return Plan(whole[0], whole[-1], tuple(pieces))
