"""The command screen (指挥大屏): the figures a duty officer reads at 8 am and a wall screen
shows all day — today's and this month's headline figures, the monthly trend with 同比 and
环比, counts by package area and village, and the overdue board (督办台) with one click to
督办. Every rate is shown with its numerator and denominator; one whose denominator is 0 is
无数据, never 0 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.core import clock
from gridmap.core.clock import LOCAL
from gridmap.data import areas, board, cases, incidents, periods, tally

MONTHS = 12


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def text(self) -> str:
        if not self.denominator:
            return "无数据"
        return f"{100 * self.numerator / self.denominator:.1f}%"

    @property
    def detail(self) -> str:
        return f"{self.numerator}/{self.denominator}" if self.denominator else "尚无可计算的案件"


def screen(conn: psycopg.Connection, actor: Actor) -> dict:
    policy.require(actor, "see_incidents")
    now, scope = clock.now(), actor.scope
    today = now.astimezone(LOCAL).date()
    month = periods.month_start(today)
    r = board.rates(conn, scope, month, now)
    open_now = cases.summary(conn, scope, now)
    headline = [
        ("今日新增", str(r["today"]), "今日上报"),
        ("在办", str(open_now["open"]), "尚未办结"),
        ("超期", str(open_now["overdue"]), "在办且已过期限"),
        ("本月办结", str(r["closed"]), f"{today:%Y年%m月}1日起"),
    ]
    for label, rate, what in (
        ("按期办结率", Rate(r["on_time"], r["closed"]), "本月办结中在期限内办结的"),
        ("化解率", Rate(r["resolved"], r["disputes"]), "本月发生的矛盾纠纷中已化解的"),
        ("满意率", Rate(r["satisfied"], r["callbacks"]), "本月回访中满意、基本满意的"),
    ):
        headline.append((label, rate.text, f"{what}（{rate.detail}）"))
    which = tally.Kinds(kinds=tuple(incidents.reference(conn)["kinds"]))
    return {
        "headline": headline,
        "trend": _trend(conn, scope, which, today),
        "areas": _by_area(conn, actor, which, now),
        "overdue": board.overdue(conn, scope, now),
        "now": now,
        "answer_by": today + timedelta(days=2),
        "scope_label": scope.label or "全街道",
        "may_supervise": policy.allows(actor.role.code, "supervise_case")
        and policy.may_supervise(actor),
    }


def _trend(conn, scope, which, today) -> dict:
    """Incidents by month of occurrence, the last 12 months (this one so far), and the last
    whole month against the one before (环比) and the same month a year earlier (同比)."""
    first = periods.month_start(_months_back(today.replace(day=1), MONTHS + 11))
    end = periods.month_start(periods.next_month(today))
    rows = tally.read(conn, "occurred", tally.Period(first, end), which, scope, by="grid_month")
    by_month: dict = {}
    for row in rows:
        by_month[row["month"]] = by_month.get(row["month"], 0) + row["n"]
    months = [_months_back(today.replace(day=1), k) for k in range(MONTHS - 1, -1, -1)]
    series = [{"month": m, "n": _count(by_month, m)} for m in months]
    last = _months_back(today.replace(day=1), 1)
    n, before, year_ago = (
        _count(by_month, last),
        _count(by_month, _months_back(last, 1)),
        _count(by_month, _months_back(last, 12)),
    )
    top = max([s["n"] for s in series] + [1])
    return {
        "series": [{**s, "share": s["n"] / top} for s in series],
        "last": last,
        "last_n": n,
        "mom": _change(n, before),
        "yoy": _change(n, year_ago),
    }


def _months_back(first_of_month, k: int):
    y, m = divmod(first_of_month.year * 12 + first_of_month.month - 1 - k, 12)
    return first_of_month.replace(year=y, month=m + 1, day=1)


def _count(by_month: dict, month) -> int:
    return sum(n for key, n in by_month.items() if _same_month(key, month))


def _same_month(key, month) -> bool:
    return (key.year, key.month) == (month.year, month.month)


def _change(now: int, before: int) -> str:
    if not before:
        return "无数据"
    return f"{100 * (now - before) / before:+.1f}%（{before} → {now}）"


def _by_area(conn, actor: Actor, which, now) -> dict:
    """Incidents of the last 30 days by package area and by village (the division in force)."""
    rows = tally.read(
        conn, "occurred", tally.Period(now - timedelta(days=30), now), which, actor.scope
    )
    division = areas.in_force(conn, actor.street_code, now)
    villages = areas.villages(conn, division["id"]) if division else []
    per_village: dict[str, int] = {}
    for row in rows:
        code = row["grid_code"][:12]
        per_village[code] = per_village.get(code, 0) + row["n"]
    by_village = [
        {"name": v["name"], "n": per_village.get(v["code"], 0)}
        for v in villages
        if per_village.get(v["code"])
    ]
    per_area: dict[str, dict] = {}
    for v in villages:
        a = per_area.setdefault(v["package_area_code"], {"name": v["package_area_name"], "n": 0})
        a["n"] += per_village.get(v["code"], 0)
    by_area = [a for a in per_area.values() if a["n"]]
    for group in (by_village, by_area):
        group.sort(key=lambda x: -x["n"])
        top = max([x["n"] for x in group] + [1])
        for x in group:
            x["share"] = x["n"] / top
    return {"villages": by_village[:15], "package_areas": by_area}
