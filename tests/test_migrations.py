"""Migrations applied to a database that already holds data."""

from __future__ import annotations

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from gridmap import cluster, migrate

UPGRADE_DB = "gridmap_upgrade"
# Incidents written as 0006 left the schema: every kind and state, categories or none, over two
# years, some in the last minutes of a month in Beijing time (still that month locally).
INCIDENTS = """
INSERT INTO incident (street_code, kind, category, status, geom, occurred_at, batch_id,
                      division_id, unit_id, grid_id, unit_code, grid_code, village_code,
                      package_area_code)
SELECT '420114004', s.kind, coalesce(c.code, ''), s.code,
       ST_SetSRID(ST_MakePoint(113.8 + g * 1e-4, 30.4 + (g % 7) * 1e-3), 4326),
       timestamptz '2022-01-31 23:50+08' + (g % 24) * interval '1 month' + g * interval '1 s',
       NULL, 1, g % 9, g % 5, 'u', '420114401201' || lpad((g % 5)::text, 3, '0'),
       '420114401201', '420114004-P' || (g % 2)
  FROM generate_series(1, 600) AS g
  CROSS JOIN LATERAL (SELECT kind, code FROM incident_status ORDER BY kind, code
                       OFFSET g % (SELECT count(*) FROM incident_status) LIMIT 1) s
  LEFT JOIN LATERAL (SELECT code FROM incident_category WHERE kind = s.kind AND g % 3 > 0
                      ORDER BY code OFFSET g % 2 LIMIT 1) c ON true
"""
COUNTED = """
SELECT i.package_area_code, i.grid_code,
       (date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date AS month,
       i.kind, i.category, coalesce(s.is_final, false) AS closed, count(*)::int AS n
  FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
 GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""
TALLIED = """
SELECT package_area_code, grid_code, month, kind, category, closed, n
  FROM incident_tally_monthly ORDER BY 1, 2, 3, 4, 5, 6
"""


def test_0007_builds_the_yearly_tally_from_incidents_already_stored(settings):
    url = cluster.from_config(settings).url
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {UPGRADE_DB}")
        admin.execute(f"CREATE DATABASE {UPGRADE_DB}")
    try:
        with psycopg.connect(make_conninfo(url, dbname=UPGRADE_DB), row_factory=dict_row) as conn:
            migrate.applied(conn)
            for number, name, sql in migrate.available():
                if number < 7:
                    conn.execute(sql)
                    conn.execute(
                        "INSERT INTO schema_migration (number, name) VALUES (%s, %s)",
                        (number, name),
                    )
            conn.execute(INCIDENTS)
            conn.commit()
            assert "0007_tally_by_year.sql" in migrate.migrate(conn)
            counted = conn.execute(COUNTED).fetchall()
            assert len(counted) > 100
            assert conn.execute(TALLIED).fetchall() == counted
            # Rows of twelve cells, none empty; and the triggers keep them exact afterwards.
            shapes = conn.execute(
                "SELECT DISTINCT cardinality(n) AS cells, 0 < ANY (n) AS used FROM incident_tally"
            ).fetchall()
            assert shapes == [{"cells": 12, "used": True}]
            conn.execute("DELETE FROM incident WHERE id % 4 = 0")
            conn.execute("UPDATE incident SET status = 'resolved' WHERE kind = 'dispute'")
            assert conn.execute(TALLIED).fetchall() == conn.execute(COUNTED).fetchall()
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {UPGRADE_DB}")
