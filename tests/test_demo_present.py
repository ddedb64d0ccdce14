"""The demo lives in the present: 2023's open cases closed in 2024 through the workflow, and
the twelve months up to today with a realistic mix of open cases, on any day of the year.

The mix is what the demo promises (a few overdue, some near their deadline, most on time), and
the street's calendar moves deadlines: the demo is planned and checked for every day of a year,
and loaded on the days where calendars go wrong (a month's first and last day, New Year's Day
and the day after, the Spring Festival, National Day).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pandas as pd
import pytest

from gridmap.core.clock import LOCAL
from gridmap.demo import build, load, present

STREET = "420114004"
OPEN_BY_LIGHT = """
SELECT c.light, count(*)::int AS n
  FROM incident i CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(at)s) c
 WHERE i.street_code = %(street)s AND i.closed_at IS NULL GROUP BY 1
"""
OVERDUE = """SELECT count(*)::int AS n FROM incident WHERE street_code = %(street)s
              AND closed_at IS NULL AND due_at < %(at)s"""


def _assert_mix(lights: dict[str, int], overdue: int) -> None:
    assert 1 <= lights.get("red", 0) <= 8, lights  # a few overdue
    assert lights.get("yellow", 0) >= 2, lights  # some near their deadline
    assert lights["green"] > 2 * (lights.get("red", 0) + lights.get("yellow", 0)), lights
    # The center's 只看超期 shows those few, not every open case.
    assert overdue == lights.get("red", 0)


def test_the_cases_open_at_the_end_of_2023_were_closed_through_the_workflow(conn, demo_loaded):
    row = conn.execute(
        """SELECT count(*) FILTER (WHERE i.closed_at IS NULL)::int AS still_open,
                  count(*) FILTER (WHERE i.closed_at >= '2024-01-01+08')::int AS closed_later,
                  count(*) FILTER (WHERE i.closed_at >= '2024-01-01+08' AND NOT EXISTS (
                      SELECT FROM incident_event e WHERE e.street_code = i.street_code
                         AND e.incident_id = i.id AND e.to_status = i.status))::int
                  AS without_event
             FROM incident i
            WHERE i.street_code = %s AND i.occurred_at < '2024-01-01+08'""",
        (STREET,),
    ).fetchone()
    assert row == {"still_open": 0, "closed_later": 26, "without_event": 0}


def test_this_year_has_a_realistic_mix_of_open_cases(conn, demo_loaded):
    at = {"street": STREET, "at": datetime.now(LOCAL)}
    lights = {r["light"]: r["n"] for r in conn.execute(OPEN_BY_LIGHT, at).fetchall()}
    _assert_mix(lights, conn.execute(OVERDUE, at).fetchone()["n"])


@pytest.fixture(scope="module")
def street():
    return build()


def _open_steps(plan: present.Present, final: set) -> dict[str, list]:
    """Where each case of a plan stands once its moves are made: its state, since when, and
    the days its step was extended (as incident_transition and incident_extend would leave
    it), for the cases still open."""
    cases = plan.cases
    status = dict(enumerate(cases["status"]))
    since = dict(enumerate(cases["closed_at"].fillna(cases["reported_at"])))
    extra = dict.fromkeys(status, 0)
    moves = plan.moves
    for case, to, at in zip(moves["case"], moves["to_status"], moves["at"], strict=True):
        status[case], since[case] = to, at
    for case, days, at in zip(
        plan.extensions["case"], plan.extensions["days"], plan.extensions["at"], strict=True
    ):
        if at >= since[case]:
            extra[case] += int(days)
    kinds = list(cases["kind"])
    still = [c for c in status if (kinds[c], status[c]) not in final]
    return {
        "kind": [kinds[c] for c in still],
        "status": [status[c] for c in still],
        "since": [since[c] for c in still],
        "registered": [cases["reported_at"].iat[c] for c in still],
        "extra": [extra[c] for c in still],
    }


PLANNED_LIGHTS = """
SELECT c.light, (d.due < %(at)s) AS overdue, count(*)::int AS n
  FROM unnest(%(kind)s::text[], %(status)s::text[], %(since)s::timestamptz[],
              %(registered)s::timestamptz[], %(extra)s::int[]) AS s(kind, status, since,
                                                                     registered, extra)
  JOIN deadline_rule r ON r.street_code = %(street)s AND r.kind = s.kind AND r.status = s.status
 CROSS JOIN LATERAL (SELECT gm_due(%(street)s, s.kind, s.status, s.since, s.registered) AS due) d0
 CROSS JOIN LATERAL (SELECT CASE WHEN s.extra > 0
                                 THEN gm_deadline(%(street)s, d0.due - interval '1 microsecond',
                                                  s.extra, r.unit)
                                 ELSE d0.due END AS due) d
 CROSS JOIN LATERAL gm_clock(s.since, d.due, NULL, %(at)s) c
 GROUP BY 1, 2
"""


def test_the_mix_holds_on_every_day_of_a_year(conn, demo_loaded, street):
    """2026, day by day, at a different hour each day, with the street's holidays."""
    due = load.deadlines(conn, STREET)
    none_open = pd.DataFrame(columns=["id", "kind", "status", "status_since"])
    final = {
        (r["kind"], r["code"])
        for r in conn.execute("SELECT kind, code FROM incident_status WHERE is_final")
    }
    failures = []
    for day in pd.date_range("2026-01-01", "2026-12-31", freq="D", tz="Asia/Shanghai"):
        at = day + pd.Timedelta(hours=day.day_of_year % 24, minutes=day.day_of_year % 60)
        # A plan draws its parties' names from the scene, as the loader's one plan does from a
        # street just built: each day starts from a copy of that street.
        plan = present.plan(copy.deepcopy(street.scene), none_open, at, load.PRESENT_SEED, due)
        rows = conn.execute(
            PLANNED_LIGHTS, {"street": STREET, "at": at, **_open_steps(plan, final)}
        ).fetchall()
        lights: dict[str, int] = {}
        for r in rows:
            lights[r["light"]] = lights.get(r["light"], 0) + r["n"]
        overdue = sum(r["n"] for r in rows if r["overdue"])
        try:
            _assert_mix(lights, overdue)
        except AssertionError:
            failures.append(f"{at:%Y-%m-%d %H:%M} {lights} overdue={overdue}")
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-01 08:05",  # New Year's Day: the twelve months reach into last year
        "2026-01-02 23:50",  # just before midnight
        "2026-02-17 10:00",  # the Spring Festival
        "2026-02-28 16:30",  # a month's last day (and a worked exchange day)
        "2026-03-01 00:10",  # a month's first day, just after midnight
        "2026-10-01 09:00",  # National Day
        "2025-12-31 18:00",  # a year's last day
    ],
)
def test_the_demo_loads_with_its_mix_on_days_calendars_get_wrong(owner, demo_loaded, day):
    at = pd.Timestamp(day, tz="Asia/Shanghai")
    try:
        with owner.transaction():
            load.load_demo(owner, today=at)
            args = {"street": STREET, "at": at.to_pydatetime()}
            lights = {r["light"]: r["n"] for r in owner.execute(OPEN_BY_LIGHT, args).fetchall()}
            _assert_mix(lights, owner.execute(OVERDUE, args).fetchone()["n"])
            raise _Undo
    except _Undo:
        pass  # the session's demo street stays as it was


class _Undo(Exception):
    """Leave the transaction, undoing the load."""


def test_the_year_is_worked_through_the_workflow(conn, demo_loaded):
    this_year = datetime.now(LOCAL) - timedelta(days=365)
    row = conn.execute(
        """SELECT count(*)::int AS cases,
                  count(*) FILTER (WHERE i.kind IN ('dispute', 'mediation', 'petition',
                                                    'enforcement') AND i.closed_at IS NOT NULL
                                     AND NOT EXISTS (SELECT FROM incident_event e
                                       WHERE e.street_code = i.street_code
                                         AND e.incident_id = i.id))::int AS closed_untold,
                  max(i.occurred_at) <= now() AS none_ahead
             FROM incident i WHERE i.street_code = %s AND i.occurred_at >= %s""",
        (STREET, this_year),
    ).fetchone()
    assert row["cases"] > 300 and row["closed_untold"] == 0 and row["none_ahead"]
    extended = conn.execute(
        """SELECT i.kind, i.status, i.closed_at, count(*)::int AS n
             FROM incident_event e JOIN incident i
               ON i.street_code = e.street_code AND i.id = e.incident_id
            WHERE e.street_code = %s AND e.kind = 'extension' GROUP BY 1, 2, 3""",
        (STREET,),
    ).fetchall()
    assert extended == [{"kind": "petition", "status": "accepted", "closed_at": None, "n": 1}]


def test_disputes_solved_where_they_started_can_be_counted(conn, demo_loaded):
    """矛盾不上交: of the year's disputes, how many went on to a petition, directly or through a
    mediation case that failed (the links say so)."""
    now = datetime.now(LOCAL)
    year = conn.execute(
        """SELECT count(*)::int AS disputes,
                  count(*) FILTER (WHERE EXISTS (
                      SELECT FROM incident_link l
                        LEFT JOIN incident_link m ON m.street_code = l.street_code
                             AND m.from_id = l.to_id AND m.link = 'petition'
                       WHERE l.street_code = i.street_code AND l.from_id = i.id
                         AND (l.link = 'petition' OR (l.link = 'mediation' AND m.id IS NOT NULL))
                  ))::int AS petitioned
             FROM incident i
            WHERE i.street_code = %s AND i.kind = 'dispute' AND i.occurred_at >= %s""",
        (STREET, now - timedelta(days=366)),
    ).fetchone()
    assert year["disputes"] > 300 and 1 <= year["petitioned"] <= 10
    assert (year["disputes"] - year["petitioned"]) / year["disputes"] > 0.95
    kinds = {
        r["link"]: r["n"]
        for r in conn.execute(
            "SELECT link, count(*)::int AS n FROM incident_link WHERE street_code = %s GROUP BY 1",
            (STREET,),
        ).fetchall()
    }
    assert kinds["mediation"] > 20 and kinds["duplicate"] >= 3 and kinds["petition"] >= 1
