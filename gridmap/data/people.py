"""People and their assignments: who answers for which area, and when."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import psycopg

from gridmap.core.clock import local
from gridmap.core.errors import BadInput, NotFound
from gridmap.data.dberrors import refusals

# The definition lives in the database (migration 0003), shared with incident_responsible.
RESPONSIBLE_SQL = """
SELECT role, role_name, level, person_id AS id, name, title, phone
  FROM responsible_people(%(street)s, %(at)s, %(package_area)s, %(village)s, %(unit)s, %(grid)s)
"""


def add_people(conn: psycopg.Connection, street_code: str, people: pd.DataFrame) -> list[int]:
    """Insert people (name, gender, phone, title, lon, lat); returns their ids in order."""
    sql = (
        "INSERT INTO person (street_code, name, gender, phone, title, home) VALUES"
        " (%s, %s, %s, %s, %s, CASE WHEN %s::float8 IS NULL THEN NULL"
        " ELSE ST_SetSRID(ST_MakePoint(%s, %s), 4326) END) RETURNING id"
    )
    rows = []
    for r in people.itertuples(index=False):
        lon = None if pd.isna(r.lon) else float(r.lon)
        lat = None if pd.isna(r.lat) else float(r.lat)
        rows.append((street_code, r.name, r.gender, r.phone, r.title, lon, lon, lat))
    ids = []
    with conn.cursor() as cur:
        cur.executemany(sql, rows, returning=True)
        while True:
            ids.append(cur.fetchone()["id"])
            if not cur.nextset():
                break
    return ids


def assign(conn: psycopg.Connection, street_code: str, rows: pd.DataFrame) -> None:
    """Insert assignments (person_id, role, scope_code, valid_from, valid_to or NaT)."""
    values = [
        (
            street_code,
            int(r.person_id),
            r.role,
            r.scope_code,
            r.valid_from.to_pydatetime(),
            None if pd.isna(r.valid_to) else r.valid_to.to_pydatetime(),
        )
        for r in rows.itertuples(index=False)
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO assignment (street_code, person_id, role, scope_code, valid)"
            " VALUES (%s, %s, %s, %s, tstzrange(%s, %s))",
            values,
        )


def responsible(conn: psycopg.Connection, street_code: str, at: datetime, codes: dict) -> list:
    """The people answering, at ``at``, for the areas named by ``codes``.

    ``codes`` has keys package_area, village, unit and grid.
    """
    return conn.execute(RESPONSIBLE_SQL, {"street": street_code, "at": at, **codes}).fetchall()


def end_person(conn: psycopg.Connection, street_code: str, person_id: int, at: datetime) -> None:
    """A person leaves: their open assignments end at the same moment (migration 0010). They
    are never deleted: the incidents of their time keep their name."""
    with refusals():
        updated = conn.execute(
            "UPDATE person SET left_at = %s WHERE street_code = %s AND id = %s",
            (at, street_code, person_id),
        ).rowcount
    if not updated:
        raise NotFound(f"人员 {person_id} 不存在")


def end_assignment(
    conn: psycopg.Connection, street_code: str, assignment_id: int, at: datetime
) -> None:
    """End an open assignment at ``at`` (a grid member moves on)."""
    with refusals():
        updated = conn.execute(
            "UPDATE assignment SET valid = tstzrange(lower(valid), %s)"
            " WHERE street_code = %s AND id = %s",
            (at, street_code, assignment_id),
        ).rowcount
    if not updated:
        raise NotFound(f"任职记录 {assignment_id} 不存在")


def listing(conn: psycopg.Connection, street_code: str, limit: int = 2000) -> list[dict]:
    """The street's people, present first, with their assignments in force now."""
    return conn.execute(
        """SELECT p.id, p.name, p.gender, p.phone, p.title, p.left_at,
                  (SELECT string_agg(r.name || ' ' || a.scope_code, '、' ORDER BY r.level, a.id)
                     FROM assignment_standing a JOIN role r ON r.code = a.role
                    WHERE a.street_code = p.street_code AND a.person_id = p.id
                      AND a.valid @> now()) AS duties
             FROM person p WHERE p.street_code = %s
            ORDER BY p.left_at IS NOT NULL, p.id LIMIT %s""",
        (street_code, limit),
    ).fetchall()


def add_person(
    conn: psycopg.Connection,
    street_code: str,
    name: str,
    gender: str | None,
    phone: str,
    title: str,
) -> int:
    """One new person (an administrator's form)."""
    if not name.strip():
        raise BadInput("请填写姓名。")
    if gender not in (None, "", "男", "女"):
        raise BadInput("性别只能是“男”或“女”（也可不填）。")
    with refusals():
        row = conn.execute(
            "INSERT INTO person (street_code, name, gender, phone, title)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (street_code, name.strip(), gender or None, phone.strip() or None, title.strip()),
        ).fetchone()
    return row["id"]


def chain_roles(conn: psycopg.Connection) -> list[dict]:
    return conn.execute(
        "SELECT code, name, level, scope, single FROM role ORDER BY level NULLS LAST, code"
    ).fetchall()


def add_assignment(
    conn: psycopg.Connection,
    street_code: str,
    person_id: int,
    role: str,
    scope_code: str,
    start: datetime,
) -> int:
    """A person takes on a role for an area from ``start`` (open-ended until ended). The area
    must exist, at the role's level, in the division in force at ``start``."""
    found = conn.execute(
        """SELECT r.scope, r.name, r.single,
                  CASE r.scope
                    WHEN 'package_area' THEN EXISTS (SELECT FROM package_area x
                         WHERE x.division_id = d.id AND x.code = %(code)s)
                    WHEN 'village' THEN EXISTS (SELECT FROM village x
                         WHERE x.division_id = d.id AND x.code = %(code)s)
                    WHEN 'unit' THEN EXISTS (SELECT FROM unit x
                         WHERE x.division_id = d.id AND x.code = %(code)s)
                    WHEN 'grid' THEN EXISTS (SELECT FROM grid x
                         WHERE x.division_id = d.id AND x.code = %(code)s)
                    ELSE false END AS exists
             FROM role r
             LEFT JOIN division d ON d.street_code = %(s)s AND d.status = 'published'
                   AND d.valid @> %(at)s::timestamptz
            WHERE r.code = %(role)s""",
        {"s": street_code, "code": scope_code, "role": role, "at": start},
    ).fetchone()
    if found is None:
        raise BadInput(f"没有“{role}”这种职责。")
    if not found["exists"]:
        raise BadInput(
            f"“{scope_code}”不是 {local(start):%Y-%m-%d} 生效划分中的"
            f"{_LEVEL_NAMES[found['scope']]}代码。"
        )
    try:
        with conn.transaction(), refusals():
            row = conn.execute(
                "INSERT INTO assignment (street_code, person_id, role, scope_code, valid)"
                " VALUES (%s, %s, %s, %s, tstzrange(%s, NULL)) RETURNING id",
                (street_code, person_id, role, scope_code, start),
            ).fetchone()
    except psycopg.errors.ExclusionViolation:
        raise BadInput(
            f"{scope_code} 在这段时间已有{found['name']}（同一时间只能一人），请先结束原任职。"
        ) from None
    except psycopg.errors.ForeignKeyViolation:
        raise NotFound(f"人员 {person_id} 不存在。") from None
    return row["id"]


_LEVEL_NAMES = {
    "package_area": "片区",
    "village": "村（社区）",
    "unit": "单元",
    "grid": "网格",
    "street": "街道",
}


def assignments_now(conn: psycopg.Connection, street_code: str, limit: int = 3000) -> list[dict]:
    """Assignments in force now and those ended in the last 90 days."""
    return conn.execute(
        """SELECT a.id, a.person_id, p.name AS person_name, a.role, r.name AS role_name,
                  a.scope_code, lower(a.valid) AS valid_from, upper(a.valid) AS valid_to
             FROM assignment_standing a JOIN role r ON r.code = a.role
             JOIN person p ON p.street_code = a.street_code AND p.id = a.person_id
            WHERE a.street_code = %s
              AND (upper_inf(a.valid) OR upper(a.valid) > now() - interval '90 days')
            ORDER BY r.level NULLS LAST, a.scope_code, lower(a.valid) DESC LIMIT %s""",
        (street_code, limit),
    ).fetchall()
