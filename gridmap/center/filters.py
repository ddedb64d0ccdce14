"""The governance center's filters: period, kinds, categories, place, state, overdue.

Parsed from a query string with messages a person understands, and shared by the page, its data
requests and ``/api/hotspots``, so that every view of one filter set shows the same incidents.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from gridmap.core import params
from gridmap.core.clock import LOCAL
from gridmap.core.errors import BadInput
from gridmap.data import tally

# Conflicts the center follows by default; legal services and publicity are shown on request.
DEFAULT_KINDS = ("dispute", "mediation", "petition", "enforcement")
STATES = {"all": "全部", "open": "办理中", "closed": "已办结"}


@dataclass(frozen=True)
class Filters:
    date_from: date  # first day, inclusive (Beijing time)
    date_to: date  # last day, inclusive
    kinds: tuple[str, ...] = DEFAULT_KINDS
    categories: tuple[str, ...] = ()  # empty: every category
    package_area: str = ""
    village: str = ""
    state: str = "all"
    overdue: bool = False

    @property
    def start(self) -> datetime:
        return datetime.combine(self.date_from, time(), LOCAL)

    @property
    def end(self) -> datetime:
        """Exclusive end: midnight after the last day."""
        return datetime.combine(self.date_to + timedelta(days=1), time(), LOCAL)

    @property
    def period(self) -> tally.Period:
        """The period as the tally's reader takes it."""
        return tally.Period(self.start, self.end)

    def months(self) -> list[date]:
        """First days of the months the period touches (the bins of trend analyses)."""
        out, m = [], self.date_from.replace(day=1)
        while m <= self.date_to:
            out.append(m)
            m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
        return out

    def query(self, **changes) -> dict:
        """The query-string form of these filters (for links and forms)."""
        f = replace(self, **changes)
        args = {
            "from": f.date_from.isoformat(),
            "to": f.date_to.isoformat(),
            "kind": list(f.kinds),
            "category": list(f.categories),
            "state": f.state,
        }
        if f.package_area:
            args["package_area"] = f.package_area
        if f.village:
            args["village"] = f.village
        if f.overdue:
            args["overdue"] = "1"
        return args


def parse(args, ref: dict, default_end: date, places: dict) -> Filters:
    """Filters from request args (a MultiDict), each value read by its parser in
    gridmap.core.params.

    ``ref`` holds the kinds and categories, ``places`` the codes of the street's package areas
    and villages (gridmap.data.lookups.area_codes): an unknown code is a mistake to point out,
    not a filter that matches nothing. The default period is the twelve calendar months ending
    with the month of ``default_end`` (the newest incident), so monthly trends always have
    whole months.
    """
    date_to = params.day(args, "to", "结束日期") or _month_end(default_end)
    date_from = params.day(args, "from", "开始日期") or _twelve_months_before(date_to)
    if date_from > date_to:
        raise BadInput("开始日期晚于结束日期。")
    if (date_to - date_from).days > 366 * 5:
        raise BadInput("时间范围最长为五年。")
    kinds = params.codes(args, "kind", "事件类型", ref["kinds"]) or DEFAULT_KINDS
    known = {c for (_, c) in ref["categories"]}
    return Filters(
        date_from,
        date_to,
        kinds,
        params.codes(args, "category", "事件分类", known),
        params.code(args, "package_area", "片区", places["package_areas"]),
        params.code(args, "village", "村（社区）", places["villages"]),
        params.choice(args, "state", "办理状态", STATES, "all"),
        params.boolean(args, "overdue", "只看超期 overdue"),
    )


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _twelve_months_before(end: date) -> date:
    year, month = (end.year, end.month - 11) if end.month == 12 else (end.year - 1, end.month + 1)
    return date(year, month, 1)
