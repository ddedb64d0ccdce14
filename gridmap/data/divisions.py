"""Divisions (区划版本): versioned boundaries, in the manner of mapit's generations.

A division is loaded as a draft beside the one in force, checked, then published with an
effective date; the division it replaces is closed at that date and stays queryable for ever.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import psycopg
import shapely

from gridmap.core import clock
from gridmap.data.geometry import from_wkb, to_multi_wkb


def create_draft(conn: psycopg.Connection, street_code: str, name: str, note: str = "") -> int:
    row = conn.execute(
        "INSERT INTO division (street_code, name, note) VALUES (%s, %s, %s) RETURNING id",
        (street_code, name, note),
    ).fetchone()
    return row["id"]


def insert_areas(conn: psycopg.Connection, division_id: int, street_code: str, areas) -> None:
    """Write the package areas, villages, grids and units of a draft (see
    gridmap.geo.boundaries)."""
    pa_ids = _insert(
        conn, "package_area", division_id, street_code, areas.package_areas, ["code", "name"]
    )
    villages = areas.villages.assign(
        package_area_id=areas.villages["package_area_code"].map(pa_ids)
    )
    village_ids = _insert(
        conn,
        "village",
        division_id,
        street_code,
        villages,
        ["code", "name", "kind", "package_area_id"],
    )
    grids = areas.grids.assign(village_id=areas.grids["village_code"].map(village_ids))
    grid_ids = _insert(
        conn, "grid", division_id, street_code, grids, ["code", "name", "village_id"]
    )
    units = areas.units.assign(
        village_id=areas.units["village_code"].map(village_ids),
        grid_id=areas.units["grid_code"].map(grid_ids),
    )
    _insert(
        conn,
        "unit",
        division_id,
        street_code,
        units,
        ["code", "name", "kind", "households", "population", "village_id", "grid_id"],
    )
    conn.execute(
        "UPDATE division SET boundary = ST_Multi(ST_SetSRID(ST_GeomFromWKB(%s), 4326))"
        " WHERE id = %s",
        (shapely.to_wkb(areas.boundary), division_id),
    )


def _insert(
    conn, table: str, division_id: int, street_code: str, frame: pd.DataFrame, columns: list[str]
) -> dict[str, int]:
    cols = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {table} (division_id, street_code, {cols}, geom)"
        f" VALUES (%s, %s, {marks}, ST_SetSRID(ST_GeomFromWKB(%s), 4326)) RETURNING id, code"
    )
    rows = [
        (division_id, street_code, *[_plain(v) for v in values], wkb)
        for values, wkb in zip(
            frame[columns].itertuples(index=False), to_multi_wkb(frame["geometry"]), strict=True
        )
    ]
    with conn.cursor() as cur:
        cur.executemany(sql, rows, returning=True)
        ids = {}
        while True:
            row = cur.fetchone()
            ids[row["code"]] = row["id"]
            if not cur.nextset():
                break
    return ids


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def get(conn: psycopg.Connection, division_id: int) -> dict | None:
    return conn.execute(
        "SELECT id, street_code, name, status, lower(valid) AS valid_from,"
        " upper(valid) AS valid_to, published_at, note FROM division WHERE id = %s",
        (division_id,),
    ).fetchone()


# Where a published division stands at a moment: in force (现行), still to come (已排期: a
# plan published for a later day; its division is published at once, and the one in force
# already carries its end), or over (已结束).
ENDED, CURRENT, SCHEDULED = "ended", "current", "scheduled"


def published(conn: psycopg.Connection, street_code: str, at: datetime | None = None) -> list[dict]:
    """Published divisions of a street, oldest first, with their periods and where each stands
    at ``at`` (default: now): ``state`` is ENDED, CURRENT or SCHEDULED."""
    return conn.execute(
        """SELECT id, name, lower(valid) AS valid_from, upper(valid) AS valid_to,
                  CASE WHEN lower(valid) > %(at)s THEN 'scheduled'
                       WHEN valid @> %(at)s::timestamptz THEN 'current'
                       ELSE 'ended' END AS state
             FROM division
            WHERE street_code = %(street)s AND status = 'published' ORDER BY lower(valid)""",
        {"street": street_code, "at": at or clock.now()},
    ).fetchall()


def units_for_index(conn: psycopg.Connection, division_id: int) -> pd.DataFrame:
    """Every unit of a division with the codes of the areas above it, ready to index."""
    rows = conn.execute(
        """SELECT u.id AS unit_id, u.code, g.id AS grid_id, g.code AS grid_code,
                  v.code AS village_code, p.code AS package_area_code,
                  ST_AsBinary(u.geom) AS wkb
             FROM unit u JOIN grid g ON g.id = u.grid_id
             JOIN village v ON v.id = u.village_id
             JOIN package_area p ON p.id = v.package_area_id
            WHERE u.division_id = %s""",
        (division_id,),
    ).fetchall()
    frame = pd.DataFrame(
        rows,
        columns=[
            "unit_id",
            "code",
            "grid_id",
            "grid_code",
            "village_code",
            "package_area_code",
            "wkb",
        ],
    )
    frame["geometry"] = from_wkb(frame.pop("wkb"))
    return frame


def latest_incident_time(conn: psycopg.Connection, division_id: int) -> datetime | None:
    """When the newest incident placed on this division happened.

    A street's published divisions never overlap in time, so its incidents of the division's
    period are the division's: the time index answers, walking back from the period's end,
    instead of a scan of every incident for the division id.
    """
    row = conn.execute(
        """SELECT (SELECT i.occurred_at FROM incident i
                    WHERE i.street_code = d.street_code AND i.occurred_at >= lower(d.valid)
                      AND (upper_inf(d.valid) OR i.occurred_at < upper(d.valid))
                      AND i.division_id = d.id
                    ORDER BY i.occurred_at DESC LIMIT 1) AS t
             FROM division d WHERE d.id = %s""",
        (division_id,),
    ).fetchone()
    return row["t"] if row else None


def close_open(conn: psycopg.Connection, street_code: str, at: datetime) -> None:
    conn.execute(
        "UPDATE division SET valid = tstzrange(lower(valid), %s)"
        " WHERE street_code = %s AND status = 'published' AND upper_inf(valid)",
        (at, street_code),
    )


def mark_published(conn: psycopg.Connection, division_id: int, effective: datetime) -> None:
    conn.execute(
        "UPDATE division SET status = 'published', valid = tstzrange(%s, NULL),"
        " published_at = now() WHERE id = %s",
        (effective, division_id),
    )


def later_than(conn: psycopg.Connection, street_code: str, at: datetime) -> list[dict]:
    """Published divisions that start at or after ``at`` (a new one cannot go before them)."""
    return conn.execute(
        "SELECT id, name, lower(valid) AS valid_from FROM division WHERE street_code = %s"
        " AND status = 'published' AND lower(valid) >= %s",
        (street_code, at),
    ).fetchall()
