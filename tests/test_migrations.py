"""Migrations applied to a database that already holds data."""

from __future__ import annotations

import numpy as np
import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from gridmap.data import streets
from gridmap.planner import planning
from gridmap.store import cluster, migrate
from tests import small_street as st

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


def upgrade_database(settings):
    """A fresh database beside the test one, migrated by the cluster's superuser."""
    pg = cluster.from_config(settings)
    url = pg.url_for(cluster.ADMIN, "postgres")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {UPGRADE_DB}")
        admin.execute(f"CREATE DATABASE {UPGRADE_DB}")
    return url


def drop_upgrade_database(url):
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {UPGRADE_DB}")


def test_0007_builds_the_yearly_tally_from_incidents_already_stored(settings):
    url = upgrade_database(settings)
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
            assert migrate.migrate(conn, upto=7) == ["0007_tally_by_year.sql"]
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
        drop_upgrade_database(url)


# Incidents as the loader wrote them before 0009: every kind and state of the small street's
# units, consistent with their division, closed exactly when final, over two years.
CONSISTENT = """
INSERT INTO incident (street_code, kind, category, status, geom, occurred_at, reported_at,
                      closed_at, division_id, unit_id, grid_id, unit_code, grid_code,
                      village_code, package_area_code)
SELECT u.street_code, s.kind, '', s.code, ST_PointOnSurface(u.geom),
       timestamptz '2021-01-31 23:50+08' + (g % 24) * interval '1 month',
       timestamptz '2021-01-31 23:50+08' + (g % 24) * interval '1 month' + interval '1 hour',
       CASE WHEN s.is_final
            THEN timestamptz '2021-01-31 23:50+08' + (g % 24) * interval '1 month'
                 + interval '3 days' END,
       u.division_id, u.id, gr.id, u.code, gr.code, v.code, p.code
  FROM generate_series(1, 200) AS g
  CROSS JOIN LATERAL (SELECT * FROM unit ORDER BY code OFFSET g % 4 LIMIT 1) u
  JOIN grid gr ON gr.id = u.grid_id JOIN village v ON v.id = u.village_id
  JOIN package_area p ON p.id = v.package_area_id
  CROSS JOIN LATERAL (SELECT kind, code, is_final FROM incident_status ORDER BY kind, code
                       OFFSET g % 20 LIMIT 1) s
"""
NEW_TALLY = """
SELECT package_area_code, grid_code, month, kind, category, closed, sum(n)::int AS n
  FROM incident_tally_monthly GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
"""
COUNTED_NOW = """
SELECT i.package_area_code, i.grid_code, gm_month(i.occurred_at) AS month, i.kind, i.category,
       i.closed_at IS NOT NULL AS closed, count(*)::int AS n
  FROM incident i GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""


def at_0007_with_the_small_street(url):
    """The upgrade database at migration 0007, holding the small street and its incidents."""
    conn = psycopg.connect(make_conninfo(url, dbname=UPGRADE_DB), row_factory=dict_row)
    migrate.migrate(conn, upto=7)
    with conn.transaction():
        streets.upsert(conn, st.CODE, "测试街道", synthetic=True)
        division = planning.load_draft(conn, st.CODE, "A", *st.frames())
        conn.execute(
            "UPDATE division SET status = 'published', published_at = now(),"
            " valid = tstzrange('2020-01-01+08', NULL) WHERE id = %s",
            (division,),
        )
    return conn


def test_0008_onwards_keep_what_is_stored_true(settings):
    url = upgrade_database(settings)
    try:
        with at_0007_with_the_small_street(url) as conn:
            conn.execute(CONSISTENT)
            conn.commit()
            applied = migrate.migrate(conn)
            assert applied[0].startswith("0008") and len(applied) >= 5
            assert conn.execute(NEW_TALLY).fetchall() == conn.execute(COUNTED_NOW).fetchall()
            # 0013 bins what is stored: every incident in the cell and month it happened in.
            binned = sorted(
                (r["kind"], r["month"], *cell)
                for r in conn.execute(
                    "SELECT kind, make_date(year, month, 1) AS month, cells FROM incident_bins"
                )
                for cell in np.frombuffer(r["cells"], dtype=">i4").reshape(-1, 3).tolist()
            )
            assert binned == [
                tuple(r.values())
                for r in conn.execute(
                    """SELECT kind, gm_month(occurred_at) AS m, gm_bin_x(geom) AS x,
                              gm_bin_y(geom) AS y, count(*)::int AS n
                         FROM incident GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"""
                )
            ]
            # Every stored case knows when its step began; the street got its rules and calendar.
            row = conn.execute(
                """SELECT count(*) FILTER (WHERE status_since IS NULL) AS unknown,
                          count(*) FILTER (WHERE closed_at IS NOT NULL
                                             AND status_since <> closed_at) AS off,
                          (SELECT count(*) FROM deadline_rule WHERE street_code = %(s)s) AS rules,
                          (SELECT count(*) FROM street_calendar WHERE street_code = %(s)s)
                          AS holidays
                     FROM incident""",
                {"s": st.CODE},
            ).fetchone()
            assert row["unknown"] == 0 and row["off"] == 0
            assert row["rules"] >= 10 and row["holidays"] > 100
    finally:
        drop_upgrade_database(url)


def test_0009_stops_on_stored_incidents_that_are_untrue(settings):
    url = upgrade_database(settings)
    try:
        with at_0007_with_the_small_street(url) as conn:
            conn.execute(CONSISTENT)
            conn.execute(  # a case in a final state without a closing time
                "UPDATE incident SET closed_at = NULL WHERE id = (SELECT min(id) FROM incident"
                " WHERE closed_at IS NOT NULL)"
            )
            conn.commit()
            with pytest.raises(psycopg.errors.RaiseException, match="不一致"):
                migrate.migrate(conn)
            conn.rollback()
            done = conn.execute("SELECT max(number) AS n FROM schema_migration").fetchone()["n"]
            assert done == 8  # 0008 applied, 0009 refused and rolled back whole
    finally:
        drop_upgrade_database(url)
