"""Cases to follow up: the open cases of some grids by urgency, and what was closed when.

The grid member's 我的网格 and the center's overdue lists read the open cases of a few grids;
the reports read how many cases were closed in a period. The first goes through a partial index
of migration 0012 (open cases by grid and deadline); the second reads the tally's closings and
counts only the part months, by the index of closing times.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap import periodparts
from gridmap.data import tally as tally_data


def open_in_grids(
    conn: psycopg.Connection,
    street_code: str,
    grid_codes: list[str],
    now: datetime,
    limit: int = 200,
) -> list[dict]:
    """The open cases of the grids, most urgent first (the earliest deadline; cases without
    one last), with their traffic light and days left (gm_clock)."""
    return conn.execute(
        """SELECT i.id, i.kind, i.category, i.status, s.name AS status_name, i.title,
                  i.grid_code, i.occurred_at, i.status_since, i.due_at, c.light, c.days_left
             FROM incident i
             JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
             CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) c
            WHERE i.street_code = %(s)s AND i.grid_code = ANY(%(g)s) AND i.closed_at IS NULL
            ORDER BY i.due_at NULLS LAST, i.id LIMIT %(limit)s""",
        {"s": street_code, "g": grid_codes, "now": now, "limit": limit},
        prepare=False,
    ).fetchall()


def closed_between(
    conn: psycopg.Connection, street_code: str, start: datetime, end: datetime, kinds: list[str]
) -> dict[str, int]:
    """Cases of ``kinds`` closed in [start, end), per grid code (the reports' 办结数).

    Whole months are read from the tally's closings (measure 'closed'), with the batches
    it leaves out counted directly; part months are counted, or taken from the tally less the
    days left out (gridmap.periodparts), through the index of closing times."""
    plan = periodparts.split(start, end)
    params: dict = {"s": street_code, "kinds": kinds}
    arms = []
    if plan.tallied:
        params.update(
            first=plan.first,
            last=plan.last,
            first_year=plan.first.year,
            last_year=plan.last.year,
            t0=plan.tally_start,
            t1=plan.tally_end,
        )
        arms.append(
            """SELECT grid_code, n
                 FROM (SELECT grid_code, year, unnest(months) AS m, unnest(n) AS n
                         FROM incident_tally
                        WHERE measure = 'closed' AND street_code = %(s)s
                          AND year BETWEEN %(first_year)s AND %(last_year)s
                          AND kind = ANY(%(kinds)s)) t
                WHERE make_date(year, m, 1) BETWEEN %(first)s AND %(last)s"""
        )
        untallied = tally_data.untallied_batches(conn, street_code)
        if untallied:
            params["untallied"] = untallied
            arms.append(
                """SELECT grid_code, 1 FROM incident
                    WHERE street_code = %(s)s AND batch_id = ANY(%(untallied)s)
                      AND closed_at >= %(t0)s AND closed_at < %(t1)s AND kind = ANY(%(kinds)s)"""
            )
    for k, piece in enumerate(plan.pieces):
        params.update({f"p{k}_start": piece.start, f"p{k}_end": piece.end})
        arms.append(
            f"""SELECT grid_code, {piece.sign} FROM incident
                 WHERE street_code = %(s)s AND closed_at >= %(p{k}_start)s
                   AND closed_at < %(p{k}_end)s AND kind = ANY(%(kinds)s)"""
        )
    if not arms:
        return {}
    rows = conn.execute(
        "SELECT grid_code, sum(n)::int AS n FROM (" + " UNION ALL ".join(arms) + ") c(grid_code, n)"
        " GROUP BY 1 HAVING sum(n) <> 0",
        params,
        prepare=False,
    ).fetchall()
    return {r["grid_code"]: r["n"] for r in rows}
