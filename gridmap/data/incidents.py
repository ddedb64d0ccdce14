"""Incidents: reference data, the bulk writer, and reads."""

from __future__ import annotations

import io

import pandas as pd
import psycopg
import shapely

COLUMNS = ["kind", "category", "status", "title", "description", "details", "geom",
           "occurred_at", "reported_at", "reported_by", "due_at", "closed_at", "batch_id",
           "division_id", "unit_id", "grid_id", "unit_code", "grid_code", "village_code",
           "package_area_code"]


def reference(conn: psycopg.Connection) -> dict:
    """Kinds, their states and categories, as the validator and the pages need them."""
    kinds = {r["code"]: r["name"] for r in
             conn.execute("SELECT code, name FROM incident_kind ORDER BY sort")}
    statuses = {(r["kind"], r["code"]): r for r in conn.execute(
        "SELECT kind, code, name, is_final FROM incident_status ORDER BY kind, sort")}
    categories = {(r["kind"], r["code"]): r["name"] for r in conn.execute(
        "SELECT kind, code, name FROM incident_category")}
    return {"kinds": kinds, "statuses": statuses, "categories": categories}


def new_batch(conn: psycopg.Connection, street_code: str, source: str, rows: int) -> int:
    return conn.execute(
        "INSERT INTO load_batch (street_code, source, rows) VALUES (%s, %s, %s) RETURNING id",
        (street_code, source, rows),
    ).fetchone()["id"]


def copy_in(conn: psycopg.Connection, street_code: str, frame: pd.DataFrame) -> None:
    """Write placed, validated incidents with one COPY (CSV), the fastest path PostgreSQL has.

    ``frame`` holds every column in COLUMNS except geom, plus lon and lat.
    """
    points = shapely.set_srid(shapely.points(frame["lon"], frame["lat"]), 4326)
    out = frame.assign(street_code=street_code,
                       geom=shapely.to_wkb(points, hex=True, include_srid=True))
    columns = ["street_code", *COLUMNS]
    buffer = io.StringIO()
    out[columns].to_csv(buffer, header=False, index=False, date_format="%Y-%m-%d %H:%M:%S.%f%z")
    sql = (f"COPY incident ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv,"
           " FORCE_NOT_NULL (category, title, description))")
    with conn.cursor() as cur, cur.copy(sql) as copy:
        copy.write(buffer.getvalue())


def set_reporters_to_grid_members(conn: psycopg.Connection, street_code: str,
                                  batch_id: int) -> None:
    """Credit each incident of a batch to the grid member on duty there when it happened."""
    conn.execute(
        """UPDATE incident i SET reported_by = r.person_id
             FROM incident_responsible r
            WHERE r.street_code = i.street_code AND r.incident_id = i.id
              AND r.role = 'grid_member' AND i.street_code = %s AND i.batch_id = %s""",
        (street_code, batch_id),
    )


def ids_of_batch(conn: psycopg.Connection, street_code: str, batch_id: int) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM incident WHERE street_code = %s AND batch_id = %s ORDER BY id",
        (street_code, batch_id),
    ).fetchall()
    return [r["id"] for r in rows]


def add_parties(conn: psycopg.Connection, street_code: str, parties: pd.DataFrame) -> None:
    """Personal data of parties (incident_id, role, name, id_number, phone)."""
    with conn.cursor() as cur, cur.copy(
        "COPY incident_party (street_code, incident_id, role, name, id_number, phone)"
        " FROM STDIN") as copy:
        for r in parties.itertuples(index=False):
            copy.write_row((street_code, int(r.incident_id), r.role, r.name, r.id_number,
                            r.phone))


def get(conn: psycopg.Connection, street_code: str, incident_id: int) -> dict | None:
    return conn.execute(
        """SELECT i.id, i.kind, k.name AS kind_name, i.category, i.status, s.name AS status_name,
                  i.title, i.description, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
                  i.occurred_at, i.reported_at, i.division_id, i.unit_code, i.grid_code,
                  i.village_code, i.package_area_code
             FROM incident i JOIN incident_kind k ON k.code = i.kind
             JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
            WHERE i.street_code = %s AND i.id = %s""",
        (street_code, incident_id),
    ).fetchone()


def responsible(conn: psycopg.Connection, street_code: str, incident_id: int) -> list[dict]:
    return conn.execute(
        "SELECT role, role_name, level, person_id, name, title FROM incident_responsible"
        " WHERE street_code = %s AND incident_id = %s ORDER BY level, person_id",
        (street_code, incident_id),
    ).fetchall()
