"""The command screen's figures (指挥大屏) that the tally cannot give: cases closed on time, the
share of disputes resolved, satisfaction at callback, and the overdue board (督办台). Counts by
period and area come from the tally's one reader (gridmap.data.tally)."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.core.clock import LOCAL


def rates(conn: psycopg.Connection, scope: Scope, start: datetime, now: datetime) -> dict:
    """For the period [start, now): cases closed and closed on time (the closing event within
    the deadline of the step it closed), disputes received and resolved, callbacks and the
    satisfied among them. Each rate's numerator and denominator, never the rate alone."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT
                 (SELECT count(*) FROM incident i WHERE {a}
                     AND i.closed_at >= %(start)s AND i.closed_at < %(now)s)::int AS closed,
                 (SELECT count(*) FROM incident i
                    JOIN incident_event e ON e.street_code = i.street_code
                     AND e.incident_id = i.id AND e.at = i.closed_at AND e.kind = 'transition'
                   WHERE {a} AND i.closed_at >= %(start)s AND i.closed_at < %(now)s
                     AND (e.left_due_at IS NULL OR e.at <= e.left_due_at))::int AS on_time,
                 (SELECT count(*) FROM incident i WHERE {a} AND i.kind = 'dispute'
                     AND i.occurred_at >= %(start)s AND i.occurred_at < %(now)s)::int
                     AS disputes,
                 (SELECT count(*) FROM incident i WHERE {a} AND i.kind = 'dispute'
                     AND i.occurred_at >= %(start)s AND i.occurred_at < %(now)s
                     AND i.status = 'resolved')::int AS resolved,
                 (SELECT count(*) FROM incident_callback c JOIN incident i
                      ON i.street_code = c.street_code AND i.id = c.incident_id
                   WHERE {a} AND c.at >= %(start)s AND c.at < %(now)s)::int AS callbacks,
                 (SELECT count(*) FROM incident_callback c JOIN incident i
                      ON i.street_code = c.street_code AND i.id = c.incident_id
                   WHERE {a} AND c.at >= %(start)s AND c.at < %(now)s
                     AND c.result IN ('satisfied', 'fairly'))::int AS satisfied,
                 (SELECT count(*) FROM incident i WHERE {a}
                     AND i.reported_at >= %(today)s AND i.reported_at < %(now)s)::int AS today"""
        ).format(a=allowed),
        {**params, "start": start, "now": now, "today": _today(now)},
        prepare=False,
    ).fetchone()


def _today(now: datetime) -> datetime:
    local = now.astimezone(LOCAL)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def overdue(conn: psycopg.Connection, scope: Scope, now: datetime, limit: int = 50) -> list:
    """The overdue board (督办台): open cases past their deadline, the longest overdue first, each
    with its grid, the grid member answering for it now, how many days late, and its
    latest 督办 / 催办."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT i.id, i.title, k.name AS kind_name, s.name AS status_name, i.due_at,
                      coalesce(i.handler_grid_code, i.grid_code) AS grid_code,
                      g.name AS grid_name, v.name AS village_name,
                      ceil(extract(epoch FROM (%(now)s - i.due_at)) / 86400)::int AS days_late,
                      (SELECT string_agg(p.name, '、' ORDER BY p.id)
                         FROM assignment_standing a JOIN person p
                           ON p.street_code = a.street_code AND p.id = a.person_id
                        WHERE a.street_code = i.street_code AND a.role = 'grid_member'
                          AND a.scope_code = coalesce(i.handler_grid_code, i.grid_code)
                          AND a.valid @> %(now)s::timestamptz) AS handler,
                      last.at AS supervised_at, last.kind AS supervised_kind,
                      last.by_name AS supervised_by,
                      (SELECT count(*) FROM incident_supervision x
                        WHERE x.street_code = i.street_code AND x.incident_id = i.id)::int
                          AS supervisions
                 FROM incident i
                 JOIN incident_kind k ON k.code = i.kind
                 JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
                 LEFT JOIN grid g ON g.id = i.grid_id
                 LEFT JOIN village v ON v.division_id = i.division_id
                       AND v.code = i.village_code
                 LEFT JOIN LATERAL (
                      SELECT x.at, x.kind, coalesce(p.name, ac.username) AS by_name
                        FROM incident_supervision x
                        JOIN account ac ON ac.id = x.by_account
                        LEFT JOIN person p ON p.street_code = x.street_code
                             AND p.id = x.by_person
                       WHERE x.street_code = i.street_code AND x.incident_id = i.id
                       ORDER BY x.at DESC LIMIT 1) last ON true
                WHERE {} AND i.closed_at IS NULL AND i.due_at < %(now)s
                ORDER BY i.due_at, i.id LIMIT %(limit)s"""
        ).format(allowed),
        {**params, "now": now, "limit": limit},
        prepare=False,
    ).fetchall()
