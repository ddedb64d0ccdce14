"""Lists of incidents as data (``GET /api/incidents``): the scope's incidents that match a
gridmap.cases.query.Query, one keyset page at a time.

Open cases in urgency order read the partial index of open cases by deadline (migration 0012);
newest first reads the index of occurrence times; a map view adds the spatial index. No total is
counted: at a million incidents a count would cost more than the page, and a phone needs only
"is there more".
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.cases.query import Query
from gridmap.core.clock import LOCAL

_SELECT = """SELECT i.id, i.kind, k.name AS kind_name, i.category,
                    coalesce(cat.name, i.category) AS category_name, i.status,
                    s.name AS status_name, s.is_final, i.title, i.occurred_at, i.reported_at,
                    i.due_at, i.closed_at, i.grid_code, g.name AS grid_name, i.village_code,
                    ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, c.light, c.days_left
               FROM incident i
               JOIN incident_kind k ON k.code = i.kind
               JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
               LEFT JOIN incident_category cat ON cat.kind = i.kind AND cat.code = i.category
               LEFT JOIN grid g ON g.id = i.grid_id
              CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) c
              WHERE {where}
              ORDER BY {order} LIMIT %(limit)s"""

ORDERS = {
    "urgency": "i.due_at NULLS LAST, i.id",
    "newest": "i.occurred_at DESC, i.id DESC",
}


def page(conn: psycopg.Connection, scope: Scope, q: Query, now: datetime) -> tuple[list, bool]:
    """One page of the list: its rows and whether more follow."""
    where, params = _where(scope, q, now)
    query = sql.SQL(_SELECT).format(where=where, order=sql.SQL(ORDERS[q.sort]))
    rows = conn.execute(query, {**params, "limit": q.limit + 1}, prepare=False).fetchall()
    return rows[: q.limit], len(rows) > q.limit


def _where(scope: Scope, q: Query, now: datetime) -> tuple[sql.Composable, dict]:
    allowed, params = scope.where("i")
    params["now"] = now
    parts: list[str] = []
    if q.state == "open":
        parts.append("i.closed_at IS NULL")
    elif q.state == "closed":
        parts.append("i.closed_at IS NOT NULL")
    for name, column, values in (
        ("kinds", "i.kind", q.kinds),
        ("categories", "i.category", q.categories),
        # the grid handling it: a case handed over when a plan moved it is its new grid's
        ("grids", "COALESCE(i.handler_grid_code, i.grid_code)", q.grids),
        ("lights", "c.light", q.lights),
    ):
        if values:
            parts.append(f"{column} = ANY(%({name})s)")
            params[name] = list(values)
    if q.occurred_from:  # Beijing days, as every page counts them
        parts.append("i.occurred_at >= %(o_from)s")
        params["o_from"] = datetime.combine(q.occurred_from, time(), LOCAL)
    if q.occurred_to:
        parts.append("i.occurred_at < %(o_to)s")
        params["o_to"] = datetime.combine(q.occurred_to + timedelta(days=1), time(), LOCAL)
    if q.bbox:
        parts.append("i.geom && ST_MakeEnvelope(%(w)s, %(s_)s, %(e)s, %(n)s, 4326)")
        params.update(w=q.bbox[0], s_=q.bbox[1], e=q.bbox[2], n=q.bbox[3])
    if q.after:
        key, last_id = q.after
        params.update(after_key=key, after_id=last_id)
        if q.sort == "newest":
            parts.append("(i.occurred_at, i.id) < (%(after_key)s, %(after_id)s)")
        elif key is None:  # past the cases with a deadline, among those without
            parts.append("i.due_at IS NULL AND i.id > %(after_id)s")
        else:
            parts.append("((i.due_at, i.id) > (%(after_key)s, %(after_id)s) OR i.due_at IS NULL)")
    if not parts:
        return allowed, params
    return sql.SQL(" AND ").join([allowed, sql.SQL(" AND ".join(parts))]), params
