"""Cases to follow up: the open cases of some grids by urgency, and what was closed when.

The grid member's 我的网格 and the center's overdue lists read the open cases of a few grids;
the reports read how many cases were closed in a period. Both go through partial indexes of
migration 0012 (open cases by grid and deadline; closed cases by closing time).
"""

from __future__ import annotations

from datetime import datetime

import psycopg


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
    """Cases of ``kinds`` closed in [start, end), per grid code (the reports' 办结数)."""
    rows = conn.execute(
        """SELECT grid_code, count(*)::int AS n FROM incident
            WHERE street_code = %s AND closed_at >= %s AND closed_at < %s AND kind = ANY(%s)
            GROUP BY 1""",
        (street_code, start, end, kinds),
        prepare=False,
    ).fetchall()
    return {r["grid_code"]: r["n"] for r in rows}
