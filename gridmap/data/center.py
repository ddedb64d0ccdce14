"""Incident aggregates for the governance center (综治中心): counts per grid and month, fine
bins for densities, incidents in a map view, and the street's resources.

Everything is aggregated here, in PostGIS, so that a page never carries every incident: a
million incidents become a few thousand numbers before they leave the database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import psycopg
from psycopg import sql

from gridmap.data import tally as tally_data
from gridmap.filters import Filters

FINAL = "(SELECT kind, code FROM incident_status WHERE is_final)"


def _where(street_code: str, f: Filters, now: datetime) -> tuple[sql.Composable, dict]:
    """The WHERE clause every view of one filter set shares."""
    parts = [
        "i.street_code = %(street)s",
        "i.occurred_at >= %(start)s",
        "i.occurred_at < %(end)s",
        "i.kind = ANY(%(kinds)s)",
    ]
    params = {
        "street": street_code,
        "start": f.start,
        "end": f.end,
        "kinds": list(f.kinds),
        "now": now,
    }
    if f.categories:
        parts.append("i.category = ANY(%(categories)s)")
        params["categories"] = list(f.categories)
    if f.package_area:
        parts.append("i.package_area_code = %(package_area)s")
        params["package_area"] = f.package_area
    if f.village:
        parts.append("i.village_code = %(village)s")
        params["village"] = f.village
    if f.state == "open" or f.overdue:
        parts.append(f"(i.kind, i.status) NOT IN {FINAL}")
    if f.state == "closed":
        parts.append(f"(i.kind, i.status) IN {FINAL}")
    if f.overdue:
        parts.append("i.due_at < %(now)s")
    return sql.SQL(" AND ".join(parts)), params


def _tally(
    conn: psycopg.Connection, street_code: str, f: Filters
) -> tuple[sql.Composable, sql.Composable, dict] | None:
    """Where to count from instead of the incidents, and the filters on it: the tally's
    monthly rows (incident_tally_monthly: a grid, kind, category, state and month a row), plus
    the incidents of batches the tally leaves out, counted one by one (migration 0007).

    None when the tally cannot answer: periods of part of a month, and deadline tests
    (overdue depends on the moment of asking).
    """
    if f.overdue or f.date_from.day != 1 or (f.date_to + timedelta(days=1)).day != 1:
        return None
    parts = [
        "t.street_code = %(street)s",
        "t.year BETWEEN %(first_year)s AND %(last_year)s",  # the table's index: whole rows
        "t.month >= %(first)s",
        "t.month <= %(last)s",
        "t.kind = ANY(%(kinds)s)",
    ]
    params = {
        "street": street_code,
        "first": f.date_from,
        "last": f.date_to.replace(day=1),
        "first_year": f.date_from.year,
        "last_year": f.date_to.year,
        "kinds": list(f.kinds),
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
    source = sql.SQL("incident_tally_monthly")
    untallied = tally_data.untallied_batches(conn, street_code)
    if untallied:
        source = sql.SQL(_UNTALLIED)
        params.update(untallied=untallied, start=f.start, end=f.end)
    return source, sql.SQL(" AND ".join(parts)), params


# The tally's rows and, shaped like them, the incidents of untallied batches in the period.
_UNTALLIED = """(SELECT street_code, package_area_code, village_code, grid_code, year, month, kind,
           category, closed, n, sum_lon, sum_lat
      FROM incident_tally_monthly
    UNION ALL
    SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
           extract(year FROM i.occurred_at AT TIME ZONE 'Asia/Shanghai')::smallint,
           date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai')::date, i.kind,
           i.category, coalesce(s.is_final, false), 1, ST_X(i.geom), ST_Y(i.geom)
      FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
     WHERE i.street_code = %(street)s AND i.batch_id = ANY(%(untallied)s)
       AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s)"""


def grid_month_counts(
    conn: psycopg.Connection, street_code: str, f: Filters, now: datetime
) -> list[dict]:
    """Incidents per grid code and month (first day of the month, Beijing time)."""
    tally = _tally(conn, street_code, f)
    if tally is not None:
        source, where, params = tally
        query = sql.SQL(
            "SELECT t.grid_code, t.month, sum(t.n)::int AS n FROM {} t WHERE {} GROUP BY 1, 2"
        ).format(source, where)
        return conn.execute(query, params).fetchall()
    where, params = _where(street_code, f, now)
    query = sql.SQL(
        "SELECT i.grid_code, (date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai'))"
        "::date AS month, count(*) AS n FROM incident i WHERE {} GROUP BY 1, 2"
    ).format(where)
    return conn.execute(query, params).fetchall()


def fine_bins(
    conn: psycopg.Connection,
    street_code: str,
    f: Filters,
    now: datetime,
    origin: tuple[float, float],
    cell: tuple[float, float],
) -> list[dict]:
    """Incidents per cell of a fine lattice in degrees (for densities and the fishnet)."""
    where, params = _where(street_code, f, now)
    params.update(x0=origin[0], y0=origin[1], dx=cell[0], dy=cell[1])
    query = sql.SQL(
        "SELECT floor((ST_X(i.geom) - %(x0)s) / %(dx)s)::int AS ix,"
        " floor((ST_Y(i.geom) - %(y0)s) / %(dy)s)::int AS iy, count(*) AS n"
        " FROM incident i WHERE {} GROUP BY 1, 2"
    ).format(where)
    return conn.execute(query, params).fetchall()


def in_view(
    conn: psycopg.Connection,
    street_code: str,
    f: Filters,
    now: datetime,
    bbox: tuple[float, float, float, float],
    limit: int,
) -> list[dict]:
    """The newest incidents inside a map view (at most ``limit``)."""
    where, params = _where(street_code, f, now)
    params.update(west=bbox[0], south=bbox[1], east=bbox[2], north=bbox[3], limit=limit)
    query = sql.SQL(
        """SELECT i.id, i.kind, k.name AS kind_name, i.category,
                  coalesce(c.name, i.category) AS category_name, s.name AS status_name,
                  s.is_final, i.title, i.description, i.occurred_at, i.due_at,
                  i.grid_code, i.village_code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat
             FROM incident i
             JOIN incident_kind k ON k.code = i.kind
             JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
             LEFT JOIN incident_category c ON c.kind = i.kind AND c.code = i.category
            WHERE {} AND i.geom && ST_MakeEnvelope(%(west)s, %(south)s, %(east)s, %(north)s,
                                                   4326)
            ORDER BY i.occurred_at DESC LIMIT %(limit)s"""
    ).format(where)
    return conn.execute(query, params).fetchall()


def people_of(conn: psycopg.Connection, street_code: str, ids: list[int]) -> dict[int, dict]:
    """For each incident, role → name of who answered for its place when it happened."""
    rows = conn.execute(
        """SELECT r.incident_id, json_object_agg(r.role, r.name) AS people
             FROM (SELECT DISTINCT ON (incident_id, role) incident_id, role, name
                     FROM incident_responsible
                    WHERE street_code = %s AND incident_id = ANY(%s)
                    ORDER BY incident_id, role, person_id) r
            GROUP BY r.incident_id""",
        (street_code, ids),
    ).fetchall()
    return {r["incident_id"]: r["people"] for r in rows}


def clusters_in_view(
    conn: psycopg.Connection,
    street_code: str,
    f: Filters,
    now: datetime,
    bbox: tuple[float, float, float, float],
    cell: float,
) -> list[dict]:
    """Incidents inside a map view counted per square of ``cell`` degrees, at their mean."""
    where, params = _where(street_code, f, now)
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
    street_code: str,
    f: Filters,
    now: datetime,
    bbox: tuple[float, float, float, float],
) -> list[dict]:
    """Incidents counted per grid, at their mean position, for grids seen in a map view."""
    tally = _tally(conn, street_code, f)
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
    where, params = _where(street_code, f, now)
    query = sql.SQL(
        "SELECT i.grid_code, count(*) AS n, avg(ST_X(i.geom)) AS lon, avg(ST_Y(i.geom)) AS lat"
        " FROM incident i WHERE {} AND i.geom && ST_MakeEnvelope(%(west)s, %(south)s,"
        " %(east)s, %(north)s, 4326) GROUP BY i.grid_code"
    ).format(where)
    return conn.execute(query, {**params, **box}).fetchall()


def newest_day(conn: psycopg.Connection, street_code: str) -> date | None:
    """The day (Beijing time) of the newest incident: the default end of the center's period."""
    row = conn.execute(
        "SELECT (max(occurred_at) AT TIME ZONE 'Asia/Shanghai')::date AS d FROM incident"
        " WHERE street_code = %s",
        (street_code,),
    ).fetchone()
    return row["d"]


def resources(
    conn: psycopg.Connection, street_code: str, division_id: int, at: datetime
) -> list[dict]:
    """法律明白人, mediators and legal advisers in force at ``at``, where they can be found.

    People without a recorded home (advisers work from their firms) are shown at a point inside
    each village they serve.
    """
    return conn.execute(
        """SELECT p.name, r.code AS role, r.name AS role_name, v.name AS village_name,
                  ST_X(coalesce(p.home, ST_PointOnSurface(v.geom))) AS lon,
                  ST_Y(coalesce(p.home, ST_PointOnSurface(v.geom))) AS lat
             FROM assignment a JOIN role r ON r.code = a.role AND r.level IS NULL
             JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
             JOIN village v ON v.division_id = %s AND v.code = a.scope_code
            WHERE a.street_code = %s AND a.valid @> %s::timestamptz
            ORDER BY r.code, p.id""",
        (division_id, street_code, at),
    ).fetchall()
