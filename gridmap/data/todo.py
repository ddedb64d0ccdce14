"""What waits for a person (待办), within their scope: closures to review, cases returned for
more work, cases due within days, closed cases to call back. (督办 waiting for an answer are
gridmap.data.supervision's.)"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope

_CASES = """
SELECT i.id, i.kind, k.name AS kind_name, i.title, s.name AS status_name, i.status,
       i.grid_code, g.name AS grid_name, i.due_at, i.closed_at, c.light, c.days_left
  FROM incident i
  JOIN incident_kind k ON k.code = i.kind
  JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
  LEFT JOIN grid g ON g.id = i.grid_id
 CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) c
 WHERE {} AND {}
 ORDER BY {} LIMIT %(limit)s"""

# Each list: its condition on the scope's incidents and its order.
_LISTS = {
    # closures claimed from the field (办结审核)
    "review": ("i.status = 'review' AND i.closed_at IS NULL", "i.status_since"),
    # returned at review for more work, in the last 30 days, and not yet claimed again
    "returned": (
        """i.closed_at IS NULL AND i.status = 'mediating' AND EXISTS (
               SELECT FROM incident_event e
                WHERE e.street_code = i.street_code AND e.incident_id = i.id
                  AND e.from_status = 'review' AND e.to_status = 'mediating'
                  AND e.at = i.status_since AND e.at > %(now)s - interval '30 days')""",
        "i.status_since DESC",
    ),
    # open cases whose deadline falls within the next 3 days
    "due_soon": (
        "i.closed_at IS NULL AND i.due_at >= %(now)s AND i.due_at < %(now)s + interval '3 days'",
        "i.due_at",
    ),
    # closed in the last 30 days, not yet called back for this closing (回访)
    "call_back": (
        """i.closed_at > %(now)s - interval '30 days' AND i.closed_at <= %(now)s
           AND NOT EXISTS (SELECT FROM incident_callback b
                            WHERE b.street_code = i.street_code AND b.incident_id = i.id
                              AND b.closed_at = i.closed_at)""",
        "i.closed_at DESC",
    ),
}


def cases(
    conn: psycopg.Connection, scope: Scope, which: str, now: datetime, limit: int = 50
) -> list[dict]:
    """One of the lists of :data:`_LISTS`, within the scope."""
    condition, order = _LISTS[which]
    allowed, params = scope.where("i")
    query = sql.SQL(_CASES).format(allowed, sql.SQL(condition), sql.SQL(order))
    return conn.execute(query, {**params, "now": now, "limit": limit}, prepare=False).fetchall()
