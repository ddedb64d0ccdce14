"""Counts as of the end of a period, for the reports to come (月调度, 季通报, 年考评).

"Open at the end of February" counts the cases that had occurred by then and were not yet
closed: a case closed in March was open at the end of February. The tally answers it from two
measures (migration 0011): incidents by the month they occurred, minus incidents by the month
they were closed, each summed up to the month in question. Every closed case occurred no later
than it closed, so the difference is exact for any month. A case reopened and closed again
counts by its last closing.
"""

from __future__ import annotations

from datetime import date

import psycopg

from gridmap.data import tally


def open_at_month_end(
    conn: psycopg.Connection, street_code: str, month: date, kinds: list[str]
) -> dict[str, int]:
    """Cases of ``kinds`` open at the end of ``month`` (its first day), per grid code."""
    rows = conn.execute(
        """SELECT grid_code, sum(n)::int AS n
             FROM (SELECT t.grid_code, t.n FROM incident_tally_monthly t
                    WHERE t.street_code = %(s)s AND t.kind = ANY(%(k)s) AND t.month <= %(m)s
                   UNION ALL
                   SELECT c.grid_code, -c.n FROM incident_closed_monthly c
                    WHERE c.street_code = %(s)s AND c.kind = ANY(%(k)s) AND c.month <= %(m)s
                   UNION ALL
                   SELECT i.grid_code, 1
                     FROM incident i
                    WHERE i.street_code = %(s)s AND i.kind = ANY(%(k)s)
                      AND i.batch_id = ANY(%(untallied)s)
                      AND i.occurred_at < gm_day_start((%(m)s::date + interval '1 month')::date)
                      AND (i.closed_at IS NULL OR i.closed_at
                           >= gm_day_start((%(m)s::date + interval '1 month')::date))) x
            GROUP BY grid_code HAVING sum(n) <> 0""",
        {
            "s": street_code,
            "k": kinds,
            "m": month,
            "untallied": tally.untallied_batches(conn, street_code),
        },
    ).fetchall()
    return {r["grid_code"]: r["n"] for r in rows}
