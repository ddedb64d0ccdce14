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
