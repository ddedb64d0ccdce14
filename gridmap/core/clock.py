"""Beijing time: how the street reads and writes every date, and the one "now".

The database stores instants (timestamptz). People read them, and ledgers write them, in
China Standard Time; a time written without a zone means Beijing time.

"Now" is taken once per request or command: :func:`moment` fixes it for what runs inside (the
web app does it for each request, the command line for each command), and :func:`now` reads
it, so that every part of one answer agrees on the time, and a test can pin it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
OFFSET = timedelta(hours=8)  # UTC+8 all year: China keeps no summer time


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL) if value is not None else None


def day_words(value: datetime | None) -> str:
    """The Beijing day of an instant as people write it: 2027年1月1日."""
    if value is None:
        return ""
    day = value.astimezone(LOCAL)
    return f"{day.year}年{day.month}月{day.day}日"


def deadline_text(value: datetime | None) -> str:
    """A deadline as a street officer reads it. Periods end at 24:00 of their last day (民法典
    第二百零三条), stored as 00:00 of the next day: shown as the last day, "2026-11-16 24:00";
    any other moment to the minute."""
    if value is None:
        return ""
    at = local(value)
    if (at.hour, at.minute, at.second) == (0, 0, 0):
        return f"{at - timedelta(days=1):%Y-%m-%d} 24:00"
    return f"{at:%Y-%m-%d %H:%M}"


def iso_local(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL).isoformat() if value is not None else None


_NOW: ContextVar[datetime | None] = ContextVar("gridmap_now", default=None)


def now() -> datetime:
    """The moment of the request or command being served (the real time outside of one)."""
    fixed = _NOW.get()
    return fixed if fixed is not None else datetime.now(UTC)


@contextlib.contextmanager
def moment(at: datetime | None = None) -> Iterator[datetime]:
    """Fix "now" for what runs inside: ``at`` if given; else the moment already fixed around
    this one (a test's pin), or the real time."""
    fixed = at or now()
    token = _NOW.set(fixed)
    try:
        yield fixed
    finally:
        _NOW.reset(token)


def begin() -> object:
    """Fix "now" for a request (kept until :func:`end`): the time already pinned, or the real
    time."""
    return _NOW.set(now())


def end(token: object) -> None:
    _NOW.reset(token)
