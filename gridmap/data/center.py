"""Incident aggregates for the governance center (综治中心): counts per grid and month,
incidents in a map view, and the street's resources (the fine bins: gridmap.data.bins).

Everything is aggregated here, in PostGIS, so that a page never carries every incident: a
million incidents become a few thousand numbers before they leave the database.
"""

from __future__ import annotations

from datetime import date, datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.center.filters import Filters
from gridmap.data import periods as periodparts
from gridmap.data import tally as tally_data


def filter_where(scope: Scope, f: Filters, now: datetime) -> tuple[sql.Composable, dict]:
    """The WHERE clause every view of one filter set shares: what is allowed (the scope), then
    what was asked (the filters)."""
    allowed, params = scope.where("i")
    parts = [
        "i.occurred_at >= %(start)s",
        "i.occurred_at < %(end)s",
        "i.kind = ANY(%(kinds)s)",
    ]
    params.update(
        {
            "street": scope.street_code,
            "start": f.start,
            "end": f.end,
            "kinds": list(f.kinds),
            "now": now,
        }
    )
    if f.categories:
        parts.append("i.category = ANY(%(categories)s)")
        params["categories"] = list(f.categories)
    if f.package_area:
        parts.append("i.package_area_code = %(package_area)s")
        params["package_area"] = f.package_area
    if f.village:
        parts.append("i.village_code = %(village)s")
        params["village"] = f.village
    # A case is closed exactly when it has a closing time (migration 0009 keeps it so), which
    # the partial indexes of open cases can use.
    if f.state == "open" or f.overdue:
        parts.append("i.closed_at IS NULL")
    if f.state == "closed":
        parts.append("i.closed_at IS NOT NULL")
    if f.overdue:
        parts.append("i.due_at < %(now)s")
    return sql.SQL(" AND ").join([allowed, sql.SQL(" AND ".join(parts))]), params


def _tally(
    conn: psycopg.Connection, scope: Scope, f: Filters, positions: bool
) -> tuple[sql.Composable, sql.Composable, dict] | None:
    """Where to count from instead of the incidents, and the filters on it: rows shaped like
    the tally's monthly rows (a grid, kind, category, state and month a row), from

    * the tally itself for the months it is read for (its coarser level when every category
      and state is asked for),
    * the incidents of batches the tally leaves out (migration 0011) in those months, one by one,
    * and the part months at either end, through the time index: counted when short, or taken
      from the tally less the days left out when long (gridmap.data.periods).

    ``positions``: whether the rows carry their sums of longitude and latitude (without them
    the part months read no incident's point). None when the tally cannot help: a period
    inside less than half a month, a deadline test (overdue depends on the moment of asking),
    or a scope of units (the tally is kept per grid).
    """
    plan = periodparts.split(f.start, f.end)
    if f.overdue or not plan.tallied or scope.by_unit:
        return None
    allowed, scope_params = scope.tally_where("t")
    parts = [
        "t.year BETWEEN %(first_year)s AND %(last_year)s",  # the table's index: whole rows
        "t.month >= %(first_month)s",
        "t.month <= %(last_month)s",
        "t.kind = ANY(%(kinds)s)",
    ]
    params = {
        **scope_params,
        "street": scope.street_code,
        "first_month": f.date_from.replace(day=1),
        "last_month": f.date_to.replace(day=1),
        "first_year": f.date_from.year,
        "last_year": f.date_to.year,
        "kinds": list(f.kinds),
        "inner_from": plan.first,
        "inner_to": plan.last,
        # Every category and state: the tally's coarser level (migration 0014).
        "measure": "occurred" if f.categories or f.state != "all" else "occurred_all",
        "inner_from_year": plan.first.year,
        "inner_to_year": plan.last.year,
        "inner_start": plan.tally_start,
        "inner_end": plan.tally_end,
    }
    if f.categories:
        parts.append("t.category = ANY(%(categories)s)")
        params["categories"] = list(f.categories)
    if f.package_area:
        parts.append("t.package_area_code = %(package_area)s")
        params["package_area"] = f.package_area
    if f.village:
        parts.append("t.village_code = %(village)s")
        params["village"] = f.village
    if f.state != "all":
        parts.append("t.closed" if f.state == "closed" else "NOT t.closed")
    sums = (
        "unnest(sum_lon) AS sum_lon, unnest(sum_lat) AS sum_lat"
        if positions
        else "0::float8 AS sum_lon, 0::float8 AS sum_lat"
    )
    arms = [_TALLIED.format(sums=sums)]
    untallied = tally_data.untallied_batches(conn, scope.street_code)
    if untallied:
        arms.append(_DIRECT.format(range="i.batch_id = ANY(%(untallied)s) AND " + INNER))
        params["untallied"] = untallied
    lon, lat = ("ST_X(i.geom)", "ST_Y(i.geom)") if positions else ("0", "0")
    for k, piece in enumerate(plan.pieces):
        arms.append(_PIECE.format(k=k, sign=piece.sign, lon=lon, lat=lat))
        params.update(
            {f"p{k}_start": piece.start, f"p{k}_end": piece.end, f"p{k}_month": piece.month}
        )
    source = sql.SQL("(" + " UNION ALL ".join(arms) + ")")
    return source, sql.SQL(" AND ").join([allowed, sql.SQL(" AND ".join(parts))]), params


INNER = "i.occurred_at >= %(inner_start)s AND i.occurred_at < %(inner_end)s"
# The tally's rows of the months it is read for, a month a row (its arrays unnested in the
# select list: a third of the cost of the view's lateral unnest, and only the arrays needed).
_TALLIED = """SELECT street_code, package_area_code, village_code, grid_code, year,
           make_date(year, m, 1) AS month, kind, category, closed, n, sum_lon, sum_lat
      FROM (SELECT street_code, package_area_code, village_code, grid_code, year, kind,
                   category, closed, unnest(months) AS m, unnest(n) AS n, {sums}
              FROM incident_tally
             WHERE measure = %(measure)s AND street_code = %(street)s
               AND year BETWEEN %(inner_from_year)s AND %(inner_to_year)s) t
     WHERE make_date(year, m, 1) BETWEEN %(inner_from)s AND %(inner_to)s"""
# Incidents counted one by one, shaped like the tally's rows.
_DIRECT = """SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
           extract(year FROM gm_local(i.occurred_at))::smallint, gm_month(i.occurred_at), i.kind,
           i.category, i.closed_at IS NOT NULL, 1, ST_X(i.geom), ST_Y(i.geom)
      FROM incident i
     WHERE i.street_code = %(street)s AND {range}"""
# A part month's incidents, signed (+1 counted, -1 left out of a tallied month). Its year and
# month are the piece's own: nothing to compute per incident.
_PIECE = """SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
           extract(year FROM %(p{k}_month)s::date)::smallint, %(p{k}_month)s::date, i.kind,
           i.category, i.closed_at IS NOT NULL, {sign}, {sign} * {lon}::float8,
           {sign} * {lat}::float8
      FROM incident i
     WHERE i.street_code = %(street)s
       AND i.occurred_at >= %(p{k}_start)s AND i.occurred_at < %(p{k}_end)s"""


def grid_month_counts(
    conn: psycopg.Connection, scope: Scope, f: Filters, now: datetime
) -> list[dict]:
    """Incidents per grid code and month (first day of the month, Beijing time)."""
    tally = _tally(conn, scope, f, positions=False)
    if tally is not None:
        source, where, params = tally
        query = sql.SQL(
            "SELECT t.grid_code, t.month, sum(t.n)::int AS n FROM {} t WHERE {} GROUP BY 1, 2"
            " HAVING sum(t.n) <> 0"
        ).format(source, where)
        return conn.execute(query, params).fetchall()
    where, params = filter_where(scope, f, now)
    query = sql.SQL(
        "SELECT i.grid_code, gm_month(i.occurred_at) AS month, count(*) AS n"
        " FROM incident i WHERE {} GROUP BY 1, 2"
    ).format(where)
    return conn.execute(query, params).fetchall()


def in_view(
    conn: psycopg.Connection,
    scope: Scope,
    f: Filters,
    now: datetime,
    bbox: tuple[float, float, float, float],
    limit: int,
) -> list[dict]:
    """The newest incidents inside a map view (at most ``limit``)."""
    where, params = filter_where(scope, f, now)
    params.update(west=bbox[0], south=bbox[1], east=bbox[2], north=bbox[3], limit=limit)
    query = sql.SQL(
        """SELECT i.id, i.kind, k.name AS kind_name, i.category,
                  coalesce(c.name, i.category) AS category_name, s.name AS status_name,
                  s.is_final, i.title, i.description, i.occurred_at, i.due_at,
                  i.grid_code, i.village_code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
                  clock.light, clock.days_left
             FROM incident i
             JOIN incident_kind k ON k.code = i.kind
             JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
             LEFT JOIN incident_category c ON c.kind = i.kind AND c.code = i.category
             CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) clock
            WHERE {} AND i.geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s,
                                                   4326)
            ORDER BY i.occurred_at DESC LIMIT %(limit)s"""
    ).format(where)
    # Never a prepared statement: PostgreSQL's generic plan for it scans the time index over
    # every incident (measured at a million: 25 ms custom, 125 ms generic from the 11th call).
    return conn.execute(query, params, prepare=False).fetchall()


def people_of(conn: psycopg.Connection, scope: Scope, ids: list[int]) -> dict[int, dict]:
    """For each incident (of those in the scope), role → name of who answered for its place
    when it happened."""
    allowed, params = scope.where("i")
    rows = conn.execute(
        sql.SQL(
            """SELECT r.incident_id, json_object_agg(r.role, r.name) AS people
                 FROM (SELECT DISTINCT ON (incident_id, role) incident_id, role, name
                         FROM incident_responsible
                        WHERE street_code = %(scope_street)s AND incident_id IN (
                              SELECT i.id FROM incident i WHERE {} AND i.id = ANY(%(ids)s))
                        ORDER BY incident_id, role, person_id) r
                GROUP BY r.incident_id"""
        ).format(allowed),
        {**params, "ids": ids},
    ).fetchall()
    return {r["incident_id"]: r["people"] for r in rows}


def clusters_in_view(
    conn: psycopg.Connection,
    scope: Scope,
    f: Filters,
    now: datetime,
    bbox: tuple[float, float, float, float],
    cell: float,
) -> list[dict]:
    """Incidents inside a map view counted per square of ``cell`` degrees, at their mean."""
    where, params = filter_where(scope, f, now)
    params.update(west=bbox[0], south=bbox[1], east=bbox[2], north=bbox[3], cell=cell)
    query = sql.SQL(
        "SELECT count(*) AS n, avg(ST_X(i.geom)) AS lon, avg(ST_Y(i.geom)) AS lat"
        " FROM incident i WHERE {} AND i.geom && ST_MakeEnvelope(%(west)s, %(south)s,"
        " %(east)s, %(north)s, 4326)"
        " GROUP BY floor(ST_X(i.geom) / %(cell)s), floor(ST_Y(i.geom) / %(cell)s)"
    ).format(where)
    return conn.execute(query, params).fetchall()


def grids_in_view(
    conn: psycopg.Connection,
    scope: Scope,
    f: Filters,
    now: datetime,
    bbox: tuple[float, float, float, float],
) -> list[dict]:
    """Incidents counted per grid, at their mean position, for grids seen in a map view."""
    tally = _tally(conn, scope, f, positions=True)
    box = {"west": bbox[0], "south": bbox[1], "east": bbox[2], "north": bbox[3]}
    if tally is not None:
        source, where, params = tally
        query = sql.SQL(
            "SELECT t.grid_code, sum(t.n)::int AS n, sum(t.sum_lon) / sum(t.n) AS lon,"
            " sum(t.sum_lat) / sum(t.n) AS lat FROM {} t WHERE {}"
            " GROUP BY t.grid_code HAVING sum(t.n) > 0"
            " AND sum(t.sum_lon) / sum(t.n) BETWEEN %(west)s AND %(east)s"
            " AND sum(t.sum_lat) / sum(t.n) BETWEEN %(south)s AND %(north)s"
        ).format(source, where)
        return conn.execute(query, {**params, **box}).fetchall()
    where, params = filter_where(scope, f, now)
    query = sql.SQL(
        "SELECT i.grid_code, count(*) AS n, avg(ST_X(i.geom)) AS lon, avg(ST_Y(i.geom)) AS lat"
        " FROM incident i WHERE {} AND i.geom && ST_MakeEnvelope(%(west)s, %(south)s,"
        " %(east)s, %(north)s, 4326) GROUP BY i.grid_code"
    ).format(where)
    return conn.execute(query, {**params, **box}).fetchall()


def newest_day(conn: psycopg.Connection, scope: Scope) -> date | None:
    """The day (Beijing time) of the newest incident in the scope: the default end of the
    center's period."""
    allowed, params = scope.where("i")
    row = conn.execute(
        sql.SQL("SELECT gm_day(max(i.occurred_at)) AS d FROM incident i WHERE {}").format(allowed),
        params,
    ).fetchone()
    return row["d"]


def resources(conn: psycopg.Connection, scope: Scope, division_id: int, at: datetime) -> list[dict]:
    """法律明白人, mediators and legal advisers in force at ``at``, serving the villages of the
    scope, each shown at a point inside the village they serve: nobody's home is put on a map
    (personal data of the staff). Their phone numbers only for the whole street's view (the
    center, which dispatches them)."""
    codes = sorted(set().union(*scope.areas.values())) if scope.areas else []
    return conn.execute(
        """SELECT p.name, r.code AS role, r.name AS role_name, v.name AS village_name,
                  CASE WHEN %(whole)s THEN p.phone END AS phone,
                  ST_X(ST_PointOnSurface(v.geom)) AS lon, ST_Y(ST_PointOnSurface(v.geom)) AS lat
             FROM assignment a JOIN role r ON r.code = a.role AND r.level IS NULL
             JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
             JOIN village v ON v.division_id = %(division)s AND v.code = a.scope_code
             JOIN package_area pa ON pa.id = v.package_area_id
            WHERE a.street_code = %(street)s AND a.valid @> %(at)s::timestamptz
              AND (%(whole)s OR v.code = ANY(%(codes)s) OR pa.code = ANY(%(codes)s)
                   OR EXISTS (SELECT FROM unnest(%(codes)s::text[]) c
                               WHERE left(c, length(v.code)) = v.code))
            ORDER BY r.code, p.id""",
        {
            "division": division_id,
            "street": scope.street_code,
            "at": at,
            "whole": scope.whole,
            "codes": codes,
        },
    ).fetchall()
