"""The demo street's ground truth (planted hotspots)."""

from __future__ import annotations

import pandas as pd
import psycopg


def insert_hotspots(conn: psycopg.Connection, street_code: str, hotspots: pd.DataFrame) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO demo_hotspot (street_code, name, pattern, kind, category, grid_codes,"
            " months) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    street_code,
                    r.name,
                    r.pattern,
                    r.kind,
                    r.category,
                    list(r.grid_codes),
                    [int(m) for m in r.months],
                )
                for r in hotspots.itertuples(index=False)
            ],
        )


def hotspots(conn: psycopg.Connection, street_code: str) -> list[dict]:
    return conn.execute(
        "SELECT name, pattern, kind, category, grid_codes, months FROM demo_hotspot"
        " WHERE street_code = %s ORDER BY name",
        (street_code,),
    ).fetchall()


def open_cases(conn: psycopg.Connection, street_code: str, batch_id: int) -> list[dict]:
    """The cases of a batch still open: id, kind, status, since when."""
    return conn.execute(
        "SELECT id, kind, status, status_since FROM incident WHERE street_code = %s"
        " AND batch_id = %s AND closed_at IS NULL ORDER BY id",
        (street_code, batch_id),
    ).fetchall()


def reporters(conn: psycopg.Connection, street_code: str, batch_id: int) -> dict[int, int]:
    """Who reported each incident of a batch (its grid member, who also works it)."""
    rows = conn.execute(
        "SELECT id, reported_by FROM incident WHERE street_code = %s AND batch_id = %s"
        " AND reported_by IS NOT NULL",
        (street_code, batch_id),
    ).fetchall()
    return {r["id"]: r["reported_by"] for r in rows}


def refresh_statistics(conn: psycopg.Connection) -> None:
    """The planner's statistics of the tables a demo street fills: fresh tables have none
    until autovacuum comes by, and without them responsible_people scanned every assignment
    of the street for each pin (3.6 ms instead of 0.1)."""
    conn.execute(
        "ANALYZE assignment, person, unit, grid, village, package_area, division, account,"
        " incident_party"
    )
