"""Plans (网格调整方案, migration 0020): their revisions, and what a publish writes.

A revision is stored whole (grids, members, units with geometry) and never changed; reading a
village's draft is reading its latest revision, or, before the first save, the village as the
division in force has it.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.data.geometry import to_multi_wkb


def text_or_none(value) -> str | None:
    """None for a missing value of a pandas text column (NaN), never the text 'NaN'."""
    return None if value is None or value != value else str(value)


_PLAN = """SELECT p.id, p.street_code, p.name, p.note, p.status, p.copied_from, p.created_at,
                  p.effective, p.published_at, p.division_id, p.summary, p.handed_over_at,
                  p.cancelled_at, c.username AS created_by, pb.username AS published_by,
                  cb.username AS cancelled_by,
                  (SELECT count(DISTINCT r.village_code) FROM plan_revision r
                    WHERE r.street_code = p.street_code AND r.plan_id = p.id) AS villages,
                  (SELECT max(r.saved_at) FROM plan_revision r
                    WHERE r.street_code = p.street_code AND r.plan_id = p.id) AS saved_at
             FROM plan p JOIN account c ON c.id = p.created_by
             LEFT JOIN account pb ON pb.id = p.published_by
             LEFT JOIN account cb ON cb.id = p.cancelled_by"""


def create(conn, street_code: str, name: str, note: str, account_id: int, copied_from=None) -> int:
    return conn.execute(
        "INSERT INTO plan (street_code, name, note, created_by, copied_from)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (street_code, name, note, account_id, copied_from),
    ).fetchone()["id"]


def get(conn: psycopg.Connection, street_code: str, plan_id: int) -> dict | None:
    return conn.execute(
        _PLAN + " WHERE p.street_code = %s AND p.id = %s", (street_code, plan_id)
    ).fetchone()


def listing(conn: psycopg.Connection, street_code: str) -> list[dict]:
    return conn.execute(
        _PLAN + " WHERE p.street_code = %s ORDER BY p.id DESC", (street_code,)
    ).fetchall()


def lock(conn: psycopg.Connection, street_code: str, plan_id: int) -> dict | None:
    """The plan's row, locked until the transaction ends (a publish against a save)."""
    return conn.execute(
        "SELECT id, status FROM plan WHERE street_code = %s AND id = %s FOR UPDATE",
        (street_code, plan_id),
    ).fetchone()


def latest_revisions(conn: psycopg.Connection, street_code: str, plan_id: int) -> list[dict]:
    """The latest revision of each village of the plan, with who saved it and when."""
    return conn.execute(
        """SELECT DISTINCT ON (r.village_code) r.village_code, r.revision, r.saved_at,
                  r.summary, a.username AS saved_by
             FROM plan_revision r JOIN account a ON a.id = r.saved_by
            WHERE r.street_code = %s AND r.plan_id = %s
            ORDER BY r.village_code, r.revision DESC""",
        (street_code, plan_id),
    ).fetchall()


def latest(conn, street_code: str, plan_id: int, village_code: str) -> dict | None:
    """The village's latest revision in the plan, with who saved it and when."""
    return conn.execute(
        """SELECT r.village_code, r.revision, r.saved_at, r.summary, a.username AS saved_by
             FROM plan_revision r JOIN account a ON a.id = r.saved_by
            WHERE r.street_code = %s AND r.plan_id = %s AND r.village_code = %s
            ORDER BY r.revision DESC LIMIT 1""",
        (street_code, plan_id, village_code),
    ).fetchone()


def grids_of(conn, street_code: str, plan_id: int, village_code: str, revision: int) -> list:
    """The grids of a revision, each with its grid members' person ids."""
    return conn.execute(
        """SELECT g.code, g.name,
                  COALESCE((SELECT array_agg(m.person_id ORDER BY m.person_id)
                              FROM plan_grid_member m
                             WHERE m.street_code = g.street_code AND m.plan_id = g.plan_id
                               AND m.village_code = g.village_code
                               AND m.revision = g.revision AND m.grid_code = g.code),
                           '{}') AS members
             FROM plan_grid g
            WHERE g.street_code = %s AND g.plan_id = %s AND g.village_code = %s
              AND g.revision = %s ORDER BY g.code""",
        (street_code, plan_id, village_code, revision),
    ).fetchall()


def units_of(conn, street_code: str, plan_id: int, village_code: str, revision: int) -> list:
    return conn.execute(
        """SELECT code, name, kind, households, population, grid_code, split_from,
                  ST_AsBinary(geom) AS wkb
             FROM plan_unit
            WHERE street_code = %s AND plan_id = %s AND village_code = %s AND revision = %s
            ORDER BY code""",
        (street_code, plan_id, village_code, revision),
    ).fetchall()


def insert_revision(
    conn,
    street_code: str,
    plan_id: int,
    village_code: str,
    revision: int,
    account_id: int,
    summary: str,
    grids: list[dict],
    units,
) -> None:
    """One revision, whole. ``units`` is a GeoDataFrame (code, name, kind, households,
    population, grid_code, split_from, geometry). A second writer of the same revision number
    fails on the primary key (gridmap.planner.plans tells who was first)."""
    key = (street_code, plan_id, village_code, revision)
    conn.execute(
        "INSERT INTO plan_revision (street_code, plan_id, village_code, revision, saved_by,"
        " summary) VALUES (%s, %s, %s, %s, %s, %s)",
        (*key, account_id, summary[:500]),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO plan_grid (street_code, plan_id, village_code, revision, code, name)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            [(*key, g["code"], g["name"]) for g in grids],
        )
        cur.executemany(
            "INSERT INTO plan_grid_member (street_code, plan_id, village_code, revision,"
            " grid_code, person_id) VALUES (%s, %s, %s, %s, %s, %s)",
            [(*key, g["code"], p) for g in grids for p in sorted(set(g["members"]))],
        )
        cur.executemany(
            "INSERT INTO plan_unit (street_code, plan_id, village_code, revision, code, name,"
            " kind, households, population, grid_code, split_from, geom)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " ST_SetSRID(ST_GeomFromWKB(%s), 4326))",
            [
                (
                    *key,
                    u.code,
                    u.name,
                    u.kind,
                    int(u.households),
                    int(u.population),
                    u.grid_code,
                    text_or_none(u.split_from),
                    wkb,
                )
                for u, wkb in zip(
                    units.itertuples(index=False), to_multi_wkb(units.geometry), strict=True
                )
            ],
        )


def village_in_force(conn, division_id: int, village_code: str) -> dict | None:
    return conn.execute(
        """SELECT v.id, v.code, v.name, v.kind, p.code AS package_area_code,
                  ST_AsBinary(v.geom) AS wkb
             FROM village v JOIN package_area p ON p.id = v.package_area_id
            WHERE v.division_id = %s AND v.code = %s""",
        (division_id, village_code),
    ).fetchone()


def villages_in_force(conn, division_id: int) -> list[dict]:
    return conn.execute(
        """SELECT v.code, v.name, v.kind, p.name AS package_area,
                  (SELECT count(*) FROM grid g WHERE g.village_id = v.id) AS grids
             FROM village v JOIN package_area p ON p.id = v.package_area_id
            WHERE v.division_id = %s ORDER BY v.code""",
        (division_id,),
    ).fetchall()


def division_units(conn, division_id: int, village_code: str) -> list[dict]:
    return conn.execute(
        """SELECT u.code, u.name, u.kind, u.households, u.population, g.code AS grid_code,
                  NULL::text AS split_from, ST_AsBinary(u.geom) AS wkb
             FROM unit u JOIN grid g ON g.id = u.grid_id JOIN village v ON v.id = u.village_id
            WHERE u.division_id = %s AND v.code = %s ORDER BY u.code""",
        (division_id, village_code),
    ).fetchall()


def division_grids(conn, scope: Scope, division_id: int, village_code: str, at) -> list:
    """The village's grids in the division, with the grid members in force at ``at``."""
    street_code = scope.street_code
    return conn.execute(
        """SELECT g.code, g.name,
                  COALESCE((SELECT array_agg(a.person_id ORDER BY a.person_id)
                              FROM assignment_standing a
                             WHERE a.street_code = %s AND a.role = 'grid_member'
                               AND a.scope_code = g.code AND a.valid @> %s::timestamptz),
                           '{}') AS members
             FROM grid g JOIN village v ON v.id = g.village_id
            WHERE g.division_id = %s AND v.code = %s ORDER BY g.code""",
        (street_code, at, division_id, village_code),
    ).fetchall()


def people(conn, scope: Scope, ids) -> dict[int, str]:
    """Names of people of the scope's street (a plan names its grid members by id)."""
    rows = conn.execute(
        "SELECT id, name FROM person WHERE street_code = %s AND id = ANY(%s)",
        (scope.street_code, list(ids)),
    ).fetchall()
    return {r["id"]: r["name"] for r in rows}


def present_people(conn, scope: Scope, village_code: str) -> list[dict]:
    """People who may be named grid members (not left), with what they do now and where (so
    that two people of one name can be told apart): ``local`` when one of their duties lies in
    this village (its grids, units and the village itself share its 12 digits), ``free`` when
    they have none. Office staff (an account of the center, a planner, an administrator or an
    auditor, and no duty in the chain) are not offered."""
    return conn.execute(
        """SELECT p.id, p.name,
                  string_agg(DISTINCT r.name || COALESCE('·' || v.name, ''), '、') AS duties,
                  COALESCE(bool_or(left(a.scope_code, 12) = %(village)s), false) AS local,
                  count(a.id) = 0 AS free
             FROM person p
             LEFT JOIN assignment_standing a ON a.street_code = p.street_code AND a.person_id = p.id
                  AND a.valid @> now()
             LEFT JOIN role r ON r.code = a.role
             LEFT JOIN village v ON v.code = left(a.scope_code, 12)
                  AND v.division_id = (SELECT d.id FROM division d
                                        WHERE d.street_code = %(street)s
                                          AND d.status = 'published' AND d.valid @> now())
            WHERE p.street_code = %(street)s AND p.left_at IS NULL
            GROUP BY p.street_code, p.id, p.name
           HAVING count(a.id) > 0
               OR NOT EXISTS (SELECT FROM account x WHERE x.street_code = p.street_code
                                 AND x.person_id = p.id AND x.role <> 'chain')
            ORDER BY p.name, p.id""",
        {"village": village_code, "street": scope.street_code},
    ).fetchall()


def incidents_by_unit(conn, scope: Scope, village_codes: list[str], since: datetime) -> list:
    """Incidents of the villages since ``since``, by village, unit code and kind (unit codes
    are stable across divisions, so the count follows a unit that changes grid). One reading
    of the period for all of a plan's villages: per village it was 100 ms at 1M incidents."""
    allowed, params = scope.where("i")
    query = sql.SQL(
        """SELECT i.village_code, i.unit_code, i.kind, count(*) AS n FROM incident i
            WHERE {} AND i.occurred_at >= %(since)s AND i.village_code = ANY(%(villages)s)
            GROUP BY i.village_code, i.unit_code, i.kind"""
    ).format(allowed)
    return conn.execute(query, {**params, "since": since, "villages": village_codes}).fetchall()


def incidents_within(conn, scope: Scope, since: datetime, wkbs: list[bytes]) -> list[dict]:
    """Incidents since ``since`` inside each of these shapes (units cut by a plan, which no
    incident names yet), by position in the list and kind."""
    allowed, params = scope.where("i")
    query = sql.SQL(
        """SELECT s.n - 1 AS i, i.kind, count(*) AS n
             FROM unnest(%(shapes)s::bytea[]) WITH ORDINALITY AS s(wkb, n)
             JOIN incident i ON {} AND i.occurred_at >= %(since)s
                  AND ST_Covers(ST_SetSRID(ST_GeomFromWKB(s.wkb), 4326), i.geom)
            GROUP BY s.n, i.kind"""
    ).format(allowed)
    return conn.execute(query, {**params, "shapes": wkbs, "since": since}).fetchall()


_LINEAGE = """WITH RECURSIVE lineage AS (
        SELECT id, copied_from FROM plan WHERE street_code = %(street)s AND id = %(plan)s
        UNION SELECT p.id, p.copied_from FROM plan p JOIN lineage l ON p.id = l.copied_from
         WHERE p.street_code = %(street)s)"""


def first_saved(conn, street_code: str, plan_id: int, village_code: str) -> datetime | None:
    """When the plan began the village: its first save, or that of the plan it was copied
    from (a copy carries the same drawing, made on the division of that time)."""
    return conn.execute(
        _LINEAGE
        + """ SELECT min(r.saved_at) AS t FROM plan_revision r
               WHERE r.street_code = %(street)s AND r.village_code = %(village)s
                 AND r.plan_id IN (SELECT id FROM lineage)""",
        {"street": street_code, "plan": plan_id, "village": village_code},
    ).fetchone()["t"]


def published_since(conn, street_code: str, village_code: str, since: datetime, plan_id: int):
    """Plans published after ``since`` that changed this village, other than the plan and
    those it was copied from (what they published is what a copy started from)."""
    return conn.execute(
        _LINEAGE
        + """ SELECT p.id, p.name, p.published_at FROM plan p
               WHERE p.street_code = %(street)s AND p.status = 'published'
                 AND p.id NOT IN (SELECT id FROM lineage) AND p.published_at > %(since)s
                 AND EXISTS (SELECT FROM plan_revision r WHERE r.street_code = p.street_code
                                AND r.plan_id = p.id AND r.village_code = %(village)s)
               ORDER BY p.published_at""",
        {"street": street_code, "plan": plan_id, "since": since, "village": village_code},
    ).fetchall()


def scheduled(conn, street_code: str, at: datetime, plan_id: int) -> list[dict]:
    """The villages that plans published for a day after ``at`` (已排期) change, other than
    plan ``plan_id``: one row per plan and village (id, name, effective, village_code), soonest
    first. A plan begun now starts from the division in force, without their changes."""
    return conn.execute(
        """SELECT DISTINCT p.id, p.name, p.effective, r.village_code
             FROM plan p JOIN plan_revision r ON r.street_code = p.street_code
                  AND r.plan_id = p.id
            WHERE p.street_code = %s AND p.status = 'published' AND p.effective > %s
              AND p.id <> %s
            ORDER BY p.effective, p.id, r.village_code""",
        (street_code, at, plan_id),
    ).fetchall()


def unit_codes_ever(conn, street_code: str, village_code: str) -> set[str]:
    """Every unit code the village has had, in any division or plan: a new unit never takes
    the code of one that was (incidents and history name units by code)."""
    rows = conn.execute(
        """SELECT u.code FROM unit u JOIN village v ON v.id = u.village_id
            WHERE u.street_code = %s AND v.code = %s
           UNION SELECT code FROM plan_unit WHERE street_code = %s AND village_code = %s""",
        (street_code, village_code, street_code, village_code),
    ).fetchall()
    return {r["code"] for r in rows}
