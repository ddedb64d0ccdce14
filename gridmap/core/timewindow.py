"""Times on the way in: how text is read as a moment, and which moments are plausible.

Ledgers, phones and query strings write times as text. One reading serves them all (the bulk
loader, the API's ``at``, the center's ``from`` and ``to``, the command line), so that a value
means the same wherever it is typed:

* ISO 8601 with ``T`` or a space, optional seconds and fraction, an optional zone (``Z``,
  ``+08:00``); also year-first ``2024/03/05 08:30`` and ``2024年3月5日 08:30``;
* a date without a time is 00:00, and a time without a zone is Beijing time, as the street
  writes them;
* day- or month-first dates (``01/06/2024``) are refused: the same text is 1 June in a Chinese
  ledger and 6 January in a spreadsheet set to American English, and nothing tells which.

And one window of plausible times. A recorded moment (when something happened, was reported,
was closed) lies between 2000-01-01 00:00 Beijing time, before any grid-governance ledger, and
now + 10 minutes: a grid member's phone whose clock runs a little fast must still be able to
report, but nothing can have happened tomorrow. A date in a query, or a deadline, may look
ahead by up to 366 days (a period that ends this year, a petition's extended term). Outside
these windows a value is a typing error, and would otherwise overflow the calendar arithmetic
downstream (``9999-12-31``) or become the default period of every page (a row dated 2100).

Before any window, a time read from text must lie in 2000-01-01 … 2100-12-31, Beijing time: the
years gridmap can mean at all. Nothing it records is older than 2000 (the database refuses it
too), the street's calendar of working days that deadlines count on covers 2000–2100, and over
those years Beijing time is UTC+8 without exception (China's last summer time ended in 1991;
before 1901 the zone is local mean time, +08:05:43). Outside them, ``0001-01-01`` becomes year 0
in UTC and ``1900-01-01`` not quite midnight: an error of ours, not a message for a person.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from gridmap.core import clock
from gridmap.core.clock import LOCAL
from gridmap.core.errors import BadInput

EARLIEST = datetime(2000, 1, 1, tzinfo=LOCAL)
# The first moment that is no longer readable: the last readable day is 2100-12-31.
READABLE_UNTIL = datetime(2101, 1, 1, tzinfo=LOCAL)
READABLE = "2000-01-01 至 2100-12-31"
CLOCK_SKEW = timedelta(minutes=10)
DAYS_AHEAD = 366
FORMATS = "2024-03-05、2024-03-05 08:30、2024/03/05 08:30 或 2024年3月5日"

# Day or month first: 01/06/2024, 1-6-24, 01.06.2024.
_AMBIGUOUS = r"^\s*[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2,4}(?:$|[^0-9])"
# Year first, after 年/月/日 and slashes are written as dashes; ASCII digits only.
_YEAR_FIRST = (
    r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?:[Tt]|\s+)(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})"
    r"(?::(?P<S>[0-9]{2})(?:[.,](?P<f>[0-9]{1,9}))?)?)?"
    r"\s*(?P<z>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)


def now() -> datetime:
    """The moment of the request or command (gridmap.core.clock)."""
    return clock.now()


def today(at: datetime | None = None) -> date:
    """The current day in Beijing."""
    return (at or now()).astimezone(LOCAL).date()


def latest_recorded(at: datetime | None = None) -> datetime:
    return (at or now()) + CLOCK_SKEW


def latest_day(at: datetime | None = None) -> date:
    return today(at) + timedelta(days=DAYS_AHEAD)


def not_after_today(day: date) -> date:
    """A default end of period: the newest incident's day, but never a day still to come."""
    return min(day, today())


# --- the window ------------------------------------------------------------------------------


def day_range(at: datetime | None = None) -> str:
    return f"{EARLIEST:%Y-%m-%d} 至 {latest_day(at):%Y-%m-%d}"


def recorded_range(at: datetime | None = None) -> str:
    latest = latest_recorded(at).astimezone(LOCAL)
    return f"{EARLIEST:%Y-%m-%d %H:%M} 至 {latest:%Y-%m-%d %H:%M}（北京时间，即现在再加 10 分钟）"


def check_day(value: date, label: str) -> date:
    """A query date (``from``, ``to``): refused outside 2000-01-01 … today + 366 days."""
    if not EARLIEST.date() <= value <= latest_day():
        raise BadInput(
            f"{spaced(label)}超出可接受的范围：应在 {day_range()} 之间（收到 {value}）。"
        )
    return value


def check_query_moment(value: datetime, label: str) -> datetime:
    """A moment asked about (``at``): its Beijing day must be a plausible query date."""
    check_day(value.astimezone(LOCAL).date(), label)
    return value


def recorded_outside(moments: pd.Series, at: datetime) -> np.ndarray:
    """Positions of recorded moments before 2000 or after now + 10 minutes."""
    bad = moments.notna() & ((moments < EARLIEST) | (moments > latest_recorded(at)))
    return np.flatnonzero(bad.to_numpy())


def planned_outside(moments: pd.Series, at: datetime) -> np.ndarray:
    """Positions of planned moments (deadlines) before 2000 or after today + 366 days."""
    end = datetime.combine(latest_day(at) + timedelta(days=1), time(), LOCAL)
    bad = moments.notna() & ((moments < EARLIEST) | (moments >= end))
    return np.flatnonzero(bad.to_numpy())


# --- reading text ----------------------------------------------------------------------------


def parse_moments(values: pd.Series) -> pd.Series:
    """Moments (UTC, microseconds) read from text; NaT where a value is not a time we read.

    The common case, ISO 8601 text without a zone, is read for all rows in one vectorised
    pass (with "+08:00" appended: Beijing time); the rest, such as dates alone, zoned times
    and the year-first Chinese forms, is rewritten as ISO text by one vectorised regular
    expression and read in a second pass.
    """
    text = _as_text(values)
    parsed = pd.to_datetime(text + "+08:00", errors="coerce", utc=True, format="ISO8601")
    parsed = parsed.dt.as_unit("us")
    redo = (parsed.isna() & text.notna()).to_numpy()
    if redo.any():
        parsed[redo] = _parse_other_forms(text[redo])
    return parsed


def ambiguous(values: pd.Series) -> np.ndarray:
    """Whether each value is written day- or month-first (which we refuse to guess)."""
    return _as_text(values).str.contains(_AMBIGUOUS, regex=True).fillna(False).to_numpy(bool)


def parse_moment(text: str, label: str, within: str = READABLE) -> datetime:
    """One moment from text (see :func:`parse_moments`), or BadInput saying how to write it.

    A moment outside the readable years is refused naming ``within``: the readable years, or
    the narrower window the caller checks next (a query date's), so that one field never
    names two ranges."""
    parsed = parse_moments(pd.Series([text], dtype=object)).iloc[0]
    if pd.isna(parsed):
        raise BadInput(unreadable(label, text))
    if not pd.Timestamp(EARLIEST) <= parsed < pd.Timestamp(READABLE_UNTIL):
        raise BadInput(
            f"{spaced(label)}超出可接受的范围：应在 {within} 之间"
            f"（北京时间；收到 {quoted(text)}）。"
        )
    return parsed.to_pydatetime()


def parse_day(text: str, label: str, within: str = READABLE) -> date:
    """A date (its Beijing day), written in any of the forms a moment may take."""
    value = parse_moment(text, label, within).astimezone(LOCAL)
    if value.time() != time():
        raise BadInput(f"{spaced(label)}只写日期即可，例如 2024-03-05（收到 {quoted(text)}）。")
    return value.date()


def unreadable(label: str, text: object | None = None) -> str:
    """The message for a time that cannot be read: ambiguous, or simply not a time."""
    if text is not None and ambiguous(pd.Series([text], dtype=object))[0]:
        return ambiguous_message(label, text)
    return (
        f"{spaced(label)}格式无法识别{_received(text)}。"
        f"请用 {FORMATS} 的写法（不写时区即北京时间）。"
    )


def ambiguous_message(label: str, text: object | None = None) -> str:
    return (
        f"{spaced(label)}的写法有歧义{_received(text)}：日、月在前，可读作不同的日期。"
        "请把年写在前面，例如 2024-06-01 或 2024-06-01 08:30。"
    )


def _received(text: object | None) -> str:
    return "" if text is None else f"：{quoted(text)}"


def _as_text(values: pd.Series) -> pd.Series:
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.map(lambda v: v if pd.isna(v) else str(v))
    return values.astype("string")


def _parse_other_forms(text: pd.Series) -> pd.Series:
    text = text.str.strip()
    for written, iso in (("年", "-"), ("月", "-"), ("日", " "), ("/", "-")):
        text = text.str.replace(written, iso, regex=False)
    p = text.str.strip().str.extract(_YEAR_FIRST)
    zone = p["z"].fillna("+08:00").str.replace(r"^[Zz]$", "+00:00", regex=True)
    zone = zone.str.replace(r"^([+-][0-9]{2})$", r"\1:00", regex=True)
    zone = zone.str.replace(r"^([+-][0-9]{2})([0-9]{2})$", r"\1:\2", regex=True)
    iso = (
        p["y"]
        + "-"
        + p["m"].str.zfill(2)
        + "-"
        + p["d"].str.zfill(2)
        + "T"
        + p["H"].fillna("0").str.zfill(2)
        + ":"
        + p["M"].fillna("00")
        + ":"
        + p["S"].fillna("00")
        + "."
        + p["f"].fillna("").str.ljust(6, "0").str[:6]
        + zone
    )
    return pd.to_datetime(iso, errors="coerce", utc=True, format="ISO8601").dt.as_unit("us")


def spaced(label: str) -> str:
    """A label as the subject of a message: "经度必须是…", but "图层 layer 只能是…"."""
    return f"{label} " if label[-1:].isascii() and label[-1:].isalnum() else label


def quoted(text: object) -> str:
    """A value as a message quotes it: shortened, so the message stays readable."""
    s = str(text)
    return repr(s if len(s) <= 40 else s[:40] + "…")
