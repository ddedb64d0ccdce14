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


def deadline_words(due: datetime | None) -> str:
    """A deadline as every page, popup and phone writes it: 2026-11-16 24:00 前.

    A period's last day ends at 24:00 (民法典第二百零三条), and a step's deadline is stored as
    that moment, the next day's 00:00 (gm_deadline). Written as stored ("2026-11-17 00:00") it
    reads a day late; written as a day alone ("2026-11-16") a street officer cannot tell
    whether that day still counts. So the last day is named with its 24:00. A deadline at
    another moment (a ledger's own) keeps its minute: 2026-11-16 15:30 前. The phone's scripts
    write it the same way (static/field-core.js, ``F.dueDay``).
    """
    if due is None:
        return ""
    at = due.astimezone(LOCAL)
    if (at.hour, at.minute, at.second, at.microsecond) == (0, 0, 0, 0):
        return f"{at - timedelta(days=1):%Y-%m-%d} 24:00 前"
    return f"{at:%Y-%m-%d %H:%M} 前"


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
