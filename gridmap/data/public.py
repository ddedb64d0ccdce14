"""What the public interoperability view (Open311) reads: incidents without personal data,
their position rounded as the street office chooses."""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope


def requests(
    conn: psycopg.Connection,
    scope: Scope,
    since: datetime,
    until: datetime,
    services: list[tuple[str, str]],
    status: str,
    precision: float,
    limit: int,
    incident_id: int | None = None,
) -> list[dict]:
    """Incidents as service requests: kind and category, state, times, village, and a
    position snapped to ``precision`` degrees. Never a title, description, party or person."""
    allowed, params = scope.where("i")
    parts = [allowed, sql.SQL("i.occurred_at >= %(since)s AND i.occurred_at < %(until)s")]
    if services:
        parts.append(
            sql.SQL(
                "(i.kind, i.category) IN"
                " (SELECT * FROM unnest(%(kinds)s::text[], %(cats)s::text[]))"
            )
        )
        params.update(kinds=[k for k, _ in services], cats=[c for _, c in services])
    if status == "open":
        parts.append(sql.SQL("i.closed_at IS NULL"))
    elif status == "closed":
        parts.append(sql.SQL("i.closed_at IS NOT NULL"))
    if incident_id is not None:
        parts.append(sql.SQL("i.id = %(id)s"))
        params["id"] = incident_id
    return conn.execute(
        sql.SQL(
            """SELECT i.id, i.kind, k.name AS kind_name, i.category,
                      coalesce(c.name, '') AS category_name, i.closed_at IS NOT NULL AS closed,
                      s.name AS status_name, i.occurred_at, i.updated_at, i.due_at,
                      v.name AS village_name,
                      round(ST_X(i.geom) / %(p)s) * %(p)s AS lon,
                      round(ST_Y(i.geom) / %(p)s) * %(p)s AS lat
                 FROM incident i
                 JOIN incident_kind k ON k.code = i.kind
                 JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
                 LEFT JOIN incident_category c ON c.kind = i.kind AND c.code = i.category
                 LEFT JOIN village v ON v.division_id = i.division_id AND v.code = i.village_code
                WHERE {}
                ORDER BY i.occurred_at DESC, i.id DESC LIMIT %(limit)s"""
        ).format(sql.SQL(" AND ").join(parts)),
        {**params, "since": since, "until": until, "p": precision, "limit": limit},
        prepare=False,
    ).fetchall()
