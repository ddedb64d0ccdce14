"""Areas of a division as the pages and the API show them.

Geometries for display are written with 5 decimals (about a metre), as much as a screen
shows; analyses read the stored geometry, never these.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope


def in_force(conn: psycopg.Connection, street_code: str, at: datetime) -> dict | None:
    """The division in force at ``at``, with the street's outline and its bounding box."""
    return conn.execute(
        "SELECT id, name, lower(valid) AS valid_from, upper(valid) AS valid_to,"
        " ST_AsGeoJSON(boundary, 6) AS boundary,"
        " ARRAY[ST_XMin(boundary), ST_YMin(boundary), ST_XMax(boundary), ST_YMax(boundary)]"
        " AS boundary_bbox FROM division"
        " WHERE street_code = %s AND status = 'published' AND valid @> %s::timestamptz",
        (street_code, at),
    ).fetchone()


def unit_context(conn: psycopg.Connection, unit_id: int) -> dict:
    """A unit with everything above it: grid, village, package area, division, street."""
    return conn.execute(
        """SELECT s.code AS street_code, s.name AS street_name, s.synthetic,
                  d.id AS division_id, d.name AS division_name,
                  lower(d.valid) AS division_valid_from, upper(d.valid) AS division_valid_to,
                  p.code AS package_area_code, p.name AS package_area_name,
                  v.code AS village_code, v.name AS village_name, v.kind AS village_kind,
                  g.code AS grid_code, g.name AS grid_name,
                  (SELECT sum(households) FROM unit WHERE grid_id = g.id) AS grid_households,
                  (SELECT sum(population) FROM unit WHERE grid_id = g.id) AS grid_population,
                  u.code AS unit_code, u.name AS unit_name, u.kind AS unit_kind,
                  u.households AS unit_households, u.population AS unit_population
             FROM unit u JOIN grid g ON g.id = u.grid_id JOIN village v ON v.id = u.village_id
             JOIN package_area p ON p.id = v.package_area_id
             JOIN division d ON d.id = u.division_id JOIN street s ON s.code = d.street_code
            WHERE u.id = %s""",
        (unit_id,),
    ).fetchone()


def package_areas(conn: psycopg.Connection, division_id: int, at: datetime) -> list[dict]:
    """Package areas with their 包片 leader at ``at`` and GeoJSON geometry."""
    return conn.execute(
        """SELECT p.code, p.name, ST_AsGeoJSON(p.geom, 5) AS geojson,
                  (SELECT string_agg(pe.name, '、' ORDER BY pe.id)
                     FROM assignment_standing a JOIN person pe
                       ON pe.street_code = a.street_code AND pe.id = a.person_id
                    WHERE a.street_code = p.street_code AND a.role = 'package_leader'
                      AND a.scope_code = p.code AND a.valid @> %(at)s::timestamptz) AS leader,
                  (SELECT string_agg(pe.name || '（' || pe.title || '）', '、' ORDER BY pe.id)
                     FROM assignment_standing a JOIN person pe
                       ON pe.street_code = a.street_code AND pe.id = a.person_id
                    WHERE a.street_code = p.street_code AND a.role = 'package_leader'
                      AND a.scope_code = p.code AND a.valid @> %(at)s::timestamptz)
                  AS leader_with_title,
                  (SELECT count(*) FROM village v WHERE v.package_area_id = p.id) AS villages
             FROM package_area p WHERE p.division_id = %(division)s ORDER BY p.code""",
        {"at": at, "division": division_id},
    ).fetchall()


def villages(conn: psycopg.Connection, division_id: int) -> list[dict]:
    return conn.execute(
        """SELECT v.code, v.name, v.kind, p.code AS package_area_code,
                  p.name AS package_area_name, ST_AsGeoJSON(v.geom, 5) AS geojson,
                  (SELECT count(*) FROM grid g WHERE g.village_id = v.id) AS grids,
                  (SELECT sum(households) FROM unit u WHERE u.village_id = v.id) AS households
             FROM village v JOIN package_area p ON p.id = v.package_area_id
            WHERE v.division_id = %s ORDER BY v.code""",
        (division_id,),
    ).fetchall()


def grids(
    conn: psycopg.Connection, division_id: int, at: datetime, scope: Scope | None = None
) -> list[dict]:
    """Grids with households and, per level of the chain, the people answering for them; with
    a ``scope``, only the grids wholly inside it (a grid member's page needs theirs, not the
    street's 231 with their people: 71 ms)."""
    allowed, params = scope.area_where("g") if scope is not None else (sql.SQL("true"), {})
    query = sql.SQL(
        """WITH g AS (
             SELECT g.id, g.code, g.name, g.street_code, v.code AS village_code,
                    v.name AS village_name, p.code AS package_area_code,
                    p.name AS package_area_name, ST_AsGeoJSON(g.geom, 5) AS geojson
               FROM grid g JOIN village v ON v.id = g.village_id
               JOIN package_area p ON p.id = v.package_area_id
              WHERE g.division_id = %(division)s)
           SELECT g.code, g.name, g.village_name, g.package_area_name, g.package_area_code,
                  g.geojson,
                  sum(u.households)::int AS households, sum(u.population)::int AS population,
                  count(u.id) AS units,
                  (SELECT json_agg(json_build_object('role', rp.role, 'role_name', rp.role_name,
                                   'name', rp.name, 'title', rp.title)
                                   ORDER BY rp.level, rp.person_id)
                     FROM (SELECT DISTINCT ON (x.person_id, x.role) x.*
                             FROM unit uu CROSS JOIN LATERAL responsible_people(
                                  g.street_code, %(at)s, g.package_area_code, g.village_code,
                                  uu.code, g.code) x
                            WHERE uu.grid_id = g.id) rp) AS people
             FROM g JOIN unit u ON u.grid_id = g.id
            WHERE {}
            GROUP BY g.id, g.code, g.name, g.village_name, g.package_area_name, g.geojson,
                     g.street_code, g.package_area_code, g.village_code
            ORDER BY g.code"""
    ).format(allowed)
    return conn.execute(query, {**params, "division": division_id, "at": at}).fetchall()


def grid_shapes(conn: psycopg.Connection, division_id: int) -> list[dict]:
    """Grids with their village, package area, households and GeoJSON (no people)."""
    return conn.execute(
        """SELECT g.code, g.name, v.code AS village_code, v.name AS village_name,
                  p.code AS package_area_code,
                  p.name AS package_area_name, ST_AsGeoJSON(g.geom, 5) AS geojson,
                  (SELECT coalesce(sum(u.households), 0) FROM unit u WHERE u.grid_id = g.id)
                  AS households
             FROM grid g JOIN village v ON v.id = g.village_id
             JOIN package_area p ON p.id = v.package_area_id
            WHERE g.division_id = %s ORDER BY g.code""",
        (division_id,),
    ).fetchall()


def units_of(conn: psycopg.Connection, division_id: int, scope: Scope) -> list[dict]:
    """The units a scope names (a group leader's 村民小组), in a division, with their grid,
    village and GeoJSON: what the center's map outlines for a scope of units, which holds no
    whole grid."""
    codes = sorted(scope.areas.get("unit", ()))
    if not codes:
        return []
    return conn.execute(
        """SELECT u.code, u.name, u.kind, u.households, g.code AS grid_code,
                  g.name AS grid_name, v.code AS village_code, v.name AS village_name,
                  ST_AsGeoJSON(u.geom, 5) AS geojson
             FROM unit u JOIN grid g ON g.id = u.grid_id JOIN village v ON v.id = u.village_id
            WHERE u.division_id = %s AND u.street_code = %s AND u.code = ANY(%s)
            ORDER BY u.code""",
        (division_id, scope.street_code, codes),
    ).fetchall()
