"""What the governance center (综治中心) reads besides counts (gridmap.data.tally): the
incidents in a map view and the people who answered for them, and the street's resources.

Everything is aggregated here, in PostGIS, so that a page never carries every incident: a
million incidents become a few thousand numbers before they leave the database.
"""

from __future__ import annotations

from datetime import date, datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.data import tally


def _where(scope: Scope, f: tally.Which, now: datetime) -> tuple[sql.Composable, dict]:
    """The WHERE clause every view of one filter set shares (gridmap.data.tally's)."""
    return tally.incident_where(scope, tally.Period(f.start, f.end), f, now)


def in_view(
    conn: psycopg.Connection,
    scope: Scope,
    f: tally.Which,
    now: datetime,
    bbox: tuple[float, float, float, float],
    limit: int,
) -> list[dict]:
    """The newest incidents inside a map view (at most ``limit``)."""
    where, params = _where(scope, f, now)
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
    f: tally.Which,
    now: datetime,
    bbox: tuple[float, float, float, float],
    cell: float,
) -> list[dict]:
    """Incidents inside a map view counted per square of ``cell`` degrees, at their mean."""
    where, params = _where(scope, f, now)
    params.update(west=bbox[0], south=bbox[1], east=bbox[2], north=bbox[3], cell=cell)
    query = sql.SQL(
        "SELECT count(*) AS n, avg(ST_X(i.geom)) AS lon, avg(ST_Y(i.geom)) AS lat"
        " FROM incident i WHERE {} AND i.geom && ST_MakeEnvelope(%(west)s, %(south)s,"
        " %(east)s, %(north)s, 4326)"
        " GROUP BY floor(ST_X(i.geom) / %(cell)s), floor(ST_Y(i.geom) / %(cell)s)"
    ).format(where)
    return conn.execute(query, params).fetchall()


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
             FROM assignment_standing a JOIN role r ON r.code = a.role AND r.level IS NULL
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
