"""How a period is read from a monthly tally: whole months, short parts counted, long parts
taken from the tally less the days left out."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gridmap.core.clock import LOCAL
from gridmap.data.periods import Piece, split


def at(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=LOCAL)


def covered(plan, start: datetime, end: datetime) -> bool:
    """Hour by hour, each hour of [start, end) counted once and no other hour at all."""
    lo = min(start, plan.tally_start if plan.tallied else start) - timedelta(days=40)
    hi = max(end, plan.tally_end if plan.tallied else end) + timedelta(days=40)
    t = lo
    while t < hi:
        n = (1 if plan.tallied and plan.tally_start <= t < plan.tally_end else 0) + sum(
            p.sign for p in plan.pieces if p.start <= t < p.end
        )
        if n != (1 if start <= t < end else 0):
            return False
        t += timedelta(hours=1)
    return True


def test_whole_months_need_no_counting():
    plan = split(at(2026, 3, 1), at(2026, 6, 1))
    assert (plan.first, plan.last, plan.pieces) == (date(2026, 3, 1), date(2026, 5, 1), ())


def test_a_long_part_month_is_the_month_less_the_days_left_out():
    plan = split(at(2026, 3, 5), at(2026, 11, 21))
    assert (plan.first, plan.last) == (date(2026, 3, 1), date(2026, 11, 1))
    assert plan.pieces == (
        Piece(at(2026, 3, 1), at(2026, 3, 5), -1, date(2026, 3, 1)),
        Piece(at(2026, 11, 21), at(2026, 12, 1), -1, date(2026, 11, 1)),
    )
    assert covered(plan, at(2026, 3, 5), at(2026, 11, 21))


def test_a_short_part_month_is_counted():
    plan = split(at(2025, 12, 25), at(2026, 2, 3))
    assert (plan.first, plan.last) == (date(2026, 1, 1), date(2026, 1, 1))
    assert [p.sign for p in plan.pieces] == [1, 1]
    assert covered(plan, at(2025, 12, 25), at(2026, 2, 3))


def test_inside_one_month():
    short = split(at(2026, 2, 10), at(2026, 2, 12))
    assert not short.tallied and len(short.pieces) == 1
    long = split(at(2026, 2, 2), at(2026, 2, 27))
    assert long.first == long.last == date(2026, 2, 1) and [p.sign for p in long.pieces] == [-1, -1]
    assert covered(short, at(2026, 2, 10), at(2026, 2, 12))
    assert covered(long, at(2026, 2, 2), at(2026, 2, 27))


def test_times_that_are_not_midnight_and_other_time_zones():
    start = datetime.fromisoformat("2026-04-30T17:30:00+00:00")  # 1 May 01:30 in Beijing
    end = at(2026, 7, 14, 15)
    plan = split(start, end)
    assert plan.first == date(2026, 5, 1) and covered(plan, start.astimezone(LOCAL), end)
