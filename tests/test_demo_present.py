"""The demo lives in the present: 2023's open cases closed in 2024 through the workflow, and
the current year up to today with a realistic mix of open cases."""

from __future__ import annotations

from datetime import datetime

from gridmap.clock import LOCAL
from gridmap.data import links

STREET = "420114004"
OPEN_BY_LIGHT = """
SELECT c.light, count(*)::int AS n
  FROM incident i CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, now()) c
 WHERE i.street_code = %s AND i.closed_at IS NULL GROUP BY 1
"""


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
    lights = {r["light"]: r["n"] for r in conn.execute(OPEN_BY_LIGHT, (STREET,)).fetchall()}
    assert 1 <= lights.get("red", 0) <= 8  # a few overdue
    assert lights.get("yellow", 0) >= 2  # some near their deadline
    assert lights["green"] > 2 * (lights.get("red", 0) + lights.get("yellow", 0))  # most on time
    # The center's 只看超期 shows those few, not every open case.
    overdue = conn.execute(
        "SELECT count(*)::int AS n FROM incident WHERE street_code = %s AND closed_at IS NULL"
        " AND due_at < now()",
        (STREET,),
    ).fetchone()["n"]
    assert overdue == lights.get("red", 0)


def test_the_year_is_worked_through_the_workflow(conn, demo_loaded):
    this_year = datetime(datetime.now(LOCAL).year, 1, 1, tzinfo=LOCAL)
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
    now = datetime.now(LOCAL)
    year = links.source_governance(
        conn,
        STREET,
        datetime(now.year, 1, 1, tzinfo=LOCAL),
        datetime(now.year + 1, 1, 1, tzinfo=LOCAL),
    )
    assert year["disputes"] > 300 and 1 <= year["petitioned"] <= 10
    assert year["kept"] == year["disputes"] - year["petitioned"] and year["kept_share"] > 0.95
    kinds = {
        r["link"]: r["n"]
        for r in conn.execute(
            "SELECT link, count(*)::int AS n FROM incident_link WHERE street_code = %s GROUP BY 1",
            (STREET,),
        ).fetchall()
    }
    assert kinds["mediation"] > 20 and kinds["duplicate"] >= 3 and kinds["petition"] >= 1
