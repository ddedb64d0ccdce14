"""People and their assignments: who answers for which area, and when."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import psycopg

from gridmap.data.dberrors import refusals
from gridmap.errors import NotFound

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
