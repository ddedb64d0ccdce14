"""The case page (/cases/ID) and what it shares with the phone and the map: a deadline is
written one way everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

from gridmap.core import clock


def test_the_deadline_is_written_one_way():
    beijing = clock.LOCAL
    assert clock.deadline_words(datetime(2026, 11, 17, tzinfo=beijing)) == "2026-11-16 24:00 前"
    # The same instant in UTC is the same deadline.
    assert clock.deadline_words(datetime(2026, 11, 16, 16, tzinfo=UTC)) == "2026-11-16 24:00 前"
    # A deadline a ledger gave at another moment keeps its minute.
    assert clock.deadline_words(datetime(2026, 11, 16, 15, 30, tzinfo=beijing)) == (
        "2026-11-16 15:30 前"
    )
    assert clock.deadline_words(None) == ""
