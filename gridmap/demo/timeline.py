"""Time in the demo: the report year 2023, in Beijing time.

The demo is a snapshot taken at the end of 2023 (the year the street's report covers): nothing
occurs, is reported or is closed after 2024-01-01 00:00 (Asia/Shanghai), whatever today's date
is. Deadlines (due_at) may fall in 2024.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TZ = "Asia/Shanghai"
YEAR = 2023
DIVISION_START = pd.Timestamp("2021-01-01", tz=TZ)  # the grid division and first appointments
TURNOVER = pd.Timestamp("2023-07-01", tz=TZ)  # mid-year staff changes
YEAR_START = pd.Timestamp(f"{YEAR}-01-01", tz=TZ)
SNAPSHOT = pd.Timestamp(f"{YEAR + 1}-01-01", tz=TZ)  # exclusive end of everything recorded
# People report and work in the daytime: relative weights of the hours 0..23.
_NIGHT = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5]  # 0–6 h
_DAY = [1.2, 2.5, 3.2, 3.2, 2.6, 1.6, 2.0, 2.8, 3.0, 2.8, 2.2, 1.6, 1.4, 1.2]  # 7–20 h
_EVENING = [0.8, 0.5, 0.3]  # 21–23 h
HOUR_WEIGHTS = np.array(_NIGHT + _DAY + _EVENING)


def month_starts() -> pd.DatetimeIndex:
    return pd.date_range(YEAR_START, periods=13, freq="MS")


def moments(months: np.ndarray, rng: np.random.Generator) -> pd.DatetimeIndex:
    """A random daytime moment in each given month (1..12) of the report year."""
    months = np.asarray(months, dtype=int)
    starts = month_starts()
    days = (starts[1:] - starts[:-1]).days.to_numpy()
    day = np.floor(rng.random(len(months)) * days[months - 1]).astype(int)
    hour = rng.choice(24, size=len(months), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    second = rng.integers(0, 3600, size=len(months))
    offset = pd.to_timedelta(day * 86400 + hour * 3600 + second, unit="s")
    return pd.DatetimeIndex(starts[months - 1] + offset)


def months_from_profile(profile: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n months drawn from relative monthly weights (from January; up to 12 numbers)."""
    weights = np.asarray(profile, dtype=float)
    return rng.choice(np.arange(1, len(weights) + 1), size=n, p=weights / weights.sum())


def months_exact(counts: list[int]) -> np.ndarray:
    """The month of each of sum(counts) events, ``counts[m-1]`` of them in month m."""
    return np.repeat(np.arange(1, 13), counts)


def hours(values) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype=float), unit="h")


def days(values) -> pd.TimedeltaIndex:
    return pd.to_timedelta(np.asarray(values, dtype=float), unit="D")


def before_snapshot(
    start: pd.DatetimeIndex, wanted: pd.TimedeltaIndex, rng: np.random.Generator
) -> pd.DatetimeIndex:
    """start + wanted, squeezed into what is left of the year when it would fall after it."""
    end = pd.Series(start + wanted)
    late = (end >= SNAPSHOT).to_numpy()
    squeeze = rng.uniform(0.2, 0.9, size=int(late.sum()))
    end[late] = start[late] + (SNAPSHOT - start[late]) * squeeze
    return pd.DatetimeIndex(end).floor("s")
