"""Beijing time: how the street reads and writes every date.

The database stores instants (timestamptz). People read them, and ledgers write them, in
China Standard Time; a time written without a zone means Beijing time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
OFFSET = timedelta(hours=8)  # UTC+8 all year: China keeps no summer time


def local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL) if value is not None else None


def iso_local(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL).isoformat() if value is not None else None
