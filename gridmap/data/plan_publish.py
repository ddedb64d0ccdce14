"""What publishing a plan writes (migration 0020): the new division, the grid members'
assignments, the record, and the handover of open cases.

The new division is the division in force when the plan is published, copied in SQL, with the
plan's villages taken from their latest revisions: one INSERT … SELECT per table, whatever the
size of the street, so that a publish costs the same at a million incidents as at none.
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from gridmap.accounts.scope import Scope

_CHOSEN = """(SELECT unnest(%(villages)s::text[]) AS village_code,
                     unnest(%(revisions)s::int[]) AS revision)"""


def compose_division(
    conn: psycopg.Connection,
    street_code: str,
    base: int,
    new: int,
    plan_id: int,
    revisions: dict[str, int],
) -> None:
    """Fill draft division ``new``: ``base``'s areas, the plan's villages replaced by the
    given revisions (village code → revision)."""
    p = {
        "base": base,
        "new": new,
        "street": street_code,
        "plan": plan_id,
        "villages": list(revisions),
        "revisions": list(revisions.values()),
    }
    conn.execute(
        """INSERT INTO package_area (division_id, street_code, code, name, geom)
           SELECT %(new)s, street_code, code, name, geom FROM package_area
            WHERE division_id = %(base)s""",
        p,
    )
    conn.execute(
        """INSERT INTO village (division_id, street_code, package_area_id, code, name, kind, geom)
           SELECT %(new)s, v.street_code, np.id, v.code, v.name, v.kind, v.geom
             FROM village v JOIN package_area op ON op.id = v.package_area_id
             JOIN package_area np ON np.division_id = %(new)s AND np.code = op.code
            WHERE v.division_id = %(base)s""",
        p,
    )
    conn.execute(
        """INSERT INTO grid (division_id, street_code, village_id, code, name, geom)
           SELECT %(new)s, g.street_code, nv.id, g.code, g.name, g.geom
             FROM grid g JOIN village ov ON ov.id = g.village_id
             JOIN village nv ON nv.division_id = %(new)s AND nv.code = ov.code
            WHERE g.division_id = %(base)s AND NOT (ov.code = ANY(%(villages)s))""",
        p,
    )
    conn.execute(
        f"""INSERT INTO grid (division_id, street_code, village_id, code, name, geom)
            SELECT %(new)s, %(street)s, nv.id, pg.code, pg.name,
                   ST_Multi(ST_Union(pu.geom))
              FROM {_CHOSEN} c
              JOIN plan_grid pg ON pg.street_code = %(street)s AND pg.plan_id = %(plan)s
                   AND pg.village_code = c.village_code AND pg.revision = c.revision
              JOIN plan_unit pu ON pu.street_code = pg.street_code AND pu.plan_id = pg.plan_id
                   AND pu.village_code = pg.village_code AND pu.revision = pg.revision
                   AND pu.grid_code = pg.code
              JOIN village nv ON nv.division_id = %(new)s AND nv.code = pg.village_code
             GROUP BY nv.id, pg.code, pg.name""",
        p,
    )
    conn.execute(
        """INSERT INTO unit (division_id, street_code, village_id, grid_id, code, name, kind,
                             households, population, geom)
           SELECT %(new)s, u.street_code, nv.id, ng.id, u.code, u.name, u.kind, u.households,
                  u.population, u.geom
             FROM unit u JOIN village ov ON ov.id = u.village_id JOIN grid og ON og.id = u.grid_id
             JOIN village nv ON nv.division_id = %(new)s AND nv.code = ov.code
             JOIN grid ng ON ng.division_id = %(new)s AND ng.code = og.code
            WHERE u.division_id = %(base)s AND NOT (ov.code = ANY(%(villages)s))""",
        p,
    )
    conn.execute(
        f"""INSERT INTO unit (division_id, street_code, village_id, grid_id, code, name, kind,
                              households, population, geom)
            SELECT %(new)s, %(street)s, nv.id, ng.id, pu.code, pu.name, pu.kind, pu.households,
                   pu.population, pu.geom
              FROM {_CHOSEN} c
              JOIN plan_unit pu ON pu.street_code = %(street)s AND pu.plan_id = %(plan)s
                   AND pu.village_code = c.village_code AND pu.revision = c.revision
              JOIN village nv ON nv.division_id = %(new)s AND nv.code = pu.village_code
              JOIN grid ng ON ng.division_id = %(new)s AND ng.code = pu.grid_code""",
        p,
    )
    conn.execute(
        "UPDATE division SET boundary = (SELECT boundary FROM division WHERE id = %(base)s)"
        " WHERE id = %(new)s",
        p,
    )


def open_grid_members(conn, scope: Scope, grid_codes: list[str], at: datetime) -> list:
    """Grid members' assignments on these grids still open at ``at``."""
    return conn.execute(
        """SELECT id, person_id, scope_code, lower(valid) AS valid_from FROM assignment_standing
            WHERE street_code = %s AND role = 'grid_member' AND scope_code = ANY(%s)
              AND upper_inf(valid) ORDER BY id""",
        (scope.street_code, grid_codes),
    ).fetchall()


def end_assignment(conn, street_code: str, plan_id: int, assignment_id: int, at) -> None:
    conn.execute(
        "UPDATE assignment SET valid = tstzrange(lower(valid), %s)"
        " WHERE street_code = %s AND id = %s",
        (at, street_code, assignment_id),
    )
    _record(conn, street_code, plan_id, assignment_id, "ended")


def start_assignment(conn, street_code: str, plan_id: int, person_id: int, grid: str, at) -> int:
    new = conn.execute(
        "INSERT INTO assignment (street_code, person_id, role, scope_code, valid)"
        " VALUES (%s, %s, 'grid_member', %s, tstzrange(%s, NULL)) RETURNING id",
        (street_code, person_id, grid, at),
    ).fetchone()["id"]
    _record(conn, street_code, plan_id, new, "started")
    return new


def _record(conn, street_code: str, plan_id: int, assignment_id: int, action: str) -> None:
    conn.execute(
        "INSERT INTO plan_assignment (street_code, plan_id, assignment_id, action)"
        " VALUES (%s, %s, %s, %s)",
        (street_code, plan_id, assignment_id, action),
    )


def publish(
    conn,
    street_code: str,
    plan_id: int,
    division_id: int,
    effective: datetime,
    account_id: int,
    summary: dict,
) -> None:
    """Put the plan's new division in force from ``effective`` and mark the plan published:
    plan_publish (repeatable/11_plans.sql), the one way the app's role publishes."""
    conn.execute(
        "SELECT plan_publish(%s, %s, %s, %s, %s, %s)",
        (street_code, plan_id, division_id, effective, account_id, Jsonb(summary)),
    )


def hand_over(conn, street_code: str, plan_id: int) -> int:
    """Hand the open cases of a plan in force over to the grids now covering them (once)."""
    return conn.execute("SELECT plan_hand_over(%s, %s) AS n", (street_code, plan_id)).fetchone()[
        "n"
    ]


def due(conn, street_code: str) -> list[int]:
    """Published plans now in force whose open cases are not handed over yet."""
    rows = conn.execute(
        "SELECT id FROM plan WHERE street_code = %s AND status = 'published'"
        " AND effective <= now() AND handed_over_at IS NULL ORDER BY effective",
        (street_code,),
    ).fetchall()
    return [r["id"] for r in rows]


def withdraw(conn, street_code: str, plan_id: int, account_id: int) -> None:
    conn.execute("SELECT plan_withdraw(%s, %s, %s)", (street_code, plan_id, account_id))
