"""Incident aggregates for the governance center (综治中心): counts per grid and month, fine
bins for densities, incidents in a map view, and the street's resources.

Everything is aggregated here, in PostGIS, so that a page never carries every incident: a
million incidents become a few thousand numbers before they leave the database.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import psycopg
from psycopg import sql

from gridmap.clock import LOCAL
from gridmap.data import tally as tally_data
from gridmap.filters import Filters


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
    # A case is closed exactly when it has a closing time (migration 0009 keeps it so), which
    # the partial indexes of open cases can use.
    if f.state == "open" or f.overdue:
        parts.append("i.closed_at IS NULL")
    if f.state == "closed":
        parts.append("i.closed_at IS NOT NULL")
    if f.overdue:
        parts.append("i.due_at < %(now)s")
    return sql.SQL(" AND ".join(parts)), params


def _tally(
    conn: psycopg.Connection, street_code: str, f: Filters
) -> tuple[sql.Composable, sql.Composable, dict] | None:
    """Where to count from instead of the incidents, and the filters on it: rows shaped like
    the tally's monthly rows (a grid, kind, category, state and month a row), from

    * the tally itself (incident_tally_monthly) for the whole months of the period,
    * the incidents of batches the tally leaves out (migration 0011) in those months, one by one,
    * and the incidents of the period's part-months at either end, one by one, through the
      time index (a period from 5 March to 20 November reads the tally for April to October).

    None when the tally cannot help: a period inside one month, or a deadline test (overdue
    depends on the moment of asking).
    """
    first, last = _whole_months(f)
    if f.overdue or first is None:
        return None
    parts = [
        "t.street_code = %(street)s",
        "t.year BETWEEN %(first_year)s AND %(last_year)s",  # the table's index: whole rows
        "t.month >= %(first_month)s",
        "t.month <= %(last_month)s",
        "t.kind = ANY(%(kinds)s)",
    ]
    params = {
        "street": street_code,
        "first_month": f.date_from.replace(day=1),
        "last_month": f.date_to.replace(day=1),
        "first_year": f.date_from.year,
        "last_year": f.date_to.year,
        "kinds": list(f.kinds),
        "inner_from": first,
        "inner_to": last,
        "inner_start": _start(first),
        "inner_end": _start(_next_month(last)),
        "start": f.start,
        "end": f.end,
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
    arms = [_TALLIED]
    untallied = tally_data.untallied_batches(conn, street_code)
    if untallied:
        arms.append(_DIRECT.format(range="i.batch_id = ANY(%(untallied)s) AND " + _INNER))
        params["untallied"] = untallied
    if f.start < params["inner_start"]:
        arms.append(
            _DIRECT.format(range="i.occurred_at >= %(start)s AND i.occurred_at < %(inner_start)s")
        )
    if params["inner_end"] < f.end:
        arms.append(
            _DIRECT.format(range="i.occurred_at >= %(inner_end)s AND i.occurred_at < %(end)s")
        )
    source = sql.SQL("(" + " UNION ALL ".join(arms) + ")")
    return source, sql.SQL(" AND ".join(parts)), params


def _whole_months(f: Filters) -> tuple[date | None, date | None]:
    """The first and last whole months (their first days) inside the period, or (None, None)."""
    first = f.date_from if f.date_from.day == 1 else _next_month(f.date_from)
    last = _next_month(f.date_to) if (f.date_to + timedelta(days=1)).day == 1 else f.date_to
    last = (last.replace(day=1) - timedelta(days=1)).replace(day=1)
    return (first, last) if first <= last else (None, None)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), LOCAL)


_INNER = "i.occurred_at >= %(inner_start)s AND i.occurred_at < %(inner_end)s"
# The tally's rows of the whole months.
_TALLIED = """SELECT street_code, package_area_code, village_code, grid_code, year, month, kind,
           category, closed, n, sum_lon, sum_lat
      FROM incident_tally_monthly
     WHERE month BETWEEN %(inner_from)s AND %(inner_to)s"""
# Incidents counted one by one, shaped like the tally's rows.
_DIRECT = """SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
           extract(year FROM gm_local(i.occurred_at))::smallint, gm_month(i.occurred_at), i.kind,
           i.category, i.closed_at IS NOT NULL, 1, ST_X(i.geom), ST_Y(i.geom)
      FROM incident i
     WHERE i.street_code = %(street)s AND {range}"""


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
        "SELECT i.grid_code, gm_month(i.occurred_at) AS month, count(*) AS n"
        " FROM incident i WHERE {} GROUP BY 1, 2"
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
        "SELECT gm_day(max(occurred_at)) AS d FROM incident WHERE street_code = %s",
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
