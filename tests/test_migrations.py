"""Migrations applied to a database that already holds data, and an existing database migrated
forward to the very schema of a fresh one.

The numbered migrations up to 0020 hold tables only since their functions, triggers and views
moved to the repeatable files (gridmap.store.migrate); the data conversions they once made are
those of databases older than 0020, which must first be migrated by the gridmap of that time.
tests/fixtures/database_0020.sql is such a database, as that gridmap left it.
"""

from __future__ import annotations

import difflib
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import psycopg
import pytest
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from gridmap.core.errors import DatabaseUnavailable
from gridmap.geo.placement import Placement
from gridmap.intake import load as incidents
from gridmap.store import cluster, migrate
from tests import small_street as st
from tests.test_tally import scattered

UPGRADE_DB = "gridmap_upgrade"


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


NEW_TALLY = """
SELECT package_area_code, grid_code, month, kind, category, closed, sum(n)::int AS n
  FROM incident_tally_monthly GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6
"""
COUNTED_NOW = """
SELECT i.package_area_code, i.grid_code, gm_month(i.occurred_at) AS month, i.kind, i.category,
       i.closed_at IS NOT NULL AS closed, count(*)::int AS n
  FROM incident i GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6
"""


# The numbered migrations as gridmap shipped them up to 0020 (commit 910ea3f, December 2026),
# functions, triggers and views and all: an existing database is one they made.
SHIPPED = Path(__file__).parent / "fixtures" / "migrations-0020.tar.gz"
EXISTING = "gridmap_existing"


def existing_database(settings) -> str:
    """A database as gridmap left it at migration 0020, made by that gridmap's own migrations
    in the test cluster; the owner's URL to it."""
    pg = cluster.from_config(settings)
    with psycopg.connect(pg.url_for(cluster.ADMIN, "postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {EXISTING}")
        admin.execute(f"CREATE DATABASE {EXISTING} OWNER {cluster.OWNER}")
    with psycopg.connect(pg.url_for(cluster.ADMIN, EXISTING), autocommit=True) as admin:
        for name in ("postgis", "btree_gist"):  # as gridmap.store.dbsetup makes them
            admin.execute(f"CREATE EXTENSION IF NOT EXISTS {name}")
    url = pg.url_for(cluster.OWNER, EXISTING)
    with tarfile.open(SHIPPED) as shipped, psycopg.connect(url, row_factory=dict_row) as conn:
        migrate.applied(conn)
        for member in sorted(shipped.getmembers(), key=lambda m: m.name):
            with conn.transaction():
                conn.execute(shipped.extractfile(member).read().decode())
                conn.execute(
                    "INSERT INTO schema_migration (number, name) VALUES (%s, %s)",
                    (int(member.name[:4]), member.name),
                )
    return url


def drop_existing(settings) -> None:
    pg = cluster.from_config(settings)
    with psycopg.connect(pg.url_for(cluster.ADMIN, "postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {EXISTING}")


def schema_of(settings, url: str) -> str:
    pg = cluster.from_config(settings)
    done = subprocess.run(
        [str(pg.bin_dir / "pg_dump"), "--schema-only", "-d", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return "\n".join(  # less the dump's own version and its random restrict key
        line
        for line in done.stdout.splitlines()
        if not line.startswith(("-- Dumped ", "\\restrict", "\\unrestrict"))
    )


def test_an_existing_database_migrates_forward_to_the_schema_of_a_fresh_one(settings):
    url = existing_database(settings)
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            applied = migrate.migrate(conn, app_role=cluster.APP)
            assert [a for a in applied if not a.startswith("repeatable/")] == [
                name for number, name, _ in migrate.available() if number > migrate.BASELINE
            ]
            assert any(a.startswith("repeatable/") for a in applied)
            assert migrate.migrate(conn, app_role=cluster.APP) == []  # nothing changed: nothing
        fresh = cluster.from_config(settings).owner_url
        got, want = schema_of(settings, url), schema_of(settings, fresh)
        assert len(want) > 100_000
        assert got == want, "\n".join(
            difflib.unified_diff(want.splitlines(), got.splitlines(), "fresh", "existing", n=2)
        )
    finally:
        drop_existing(settings)


def test_a_changed_repeatable_file_is_applied_again(settings, monkeypatch):
    url = existing_database(settings)
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            migrate.migrate(conn, app_role=cluster.APP)
            files = migrate.repeatable()
            changed = [
                (
                    name,
                    text.replace("SELECT gm_day_start(last.day + 1)", "SELECT NULL::timestamptz"),
                )
                if name.endswith("_calendar.sql")
                else (name, text)
                for name, text in files
            ]
            monkeypatch.setattr(migrate, "repeatable", lambda: changed)
            assert migrate.migrate(conn) == [f"repeatable/{n}" for n, _ in files]
            due = conn.execute("SELECT gm_deadline('x', now(), 3, 'calendar') AS d").fetchone()
            assert due["d"] is None  # the function as the file now has it
    finally:
        drop_existing(settings)


def test_the_existing_databases_tally_stays_exact_through_the_repeatable_triggers(settings):
    """A database that held incidents before the move keeps its tally, bins, rules and
    calendar, and the triggers made again by the repeatable files keep them exact."""
    url = existing_database(settings)
    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            st.create(conn, with_accounts=False)
            incidents.load(conn, Placement(), st.CODE, scattered(300, seed=1), source="before")
            conn.commit()
            before = conn.execute(NEW_TALLY).fetchall()
            assert before == conn.execute(COUNTED_NOW).fetchall() and len(before) > 20
            migrate.migrate(conn, app_role=cluster.APP)
            assert conn.execute(NEW_TALLY).fetchall() == before
            # more, through the triggers the files made again
            incidents.load(conn, Placement(), st.CODE, scattered(300, seed=2), source="after")
            assert conn.execute(NEW_TALLY).fetchall() == conn.execute(COUNTED_NOW).fetchall()
            binned = sorted(
                (r["kind"], r["month"], *cell)
                for r in conn.execute(
                    "SELECT kind, make_date(year, month, 1) AS month, cells FROM incident_bins"
                )
                for cell in np.frombuffer(r["cells"], dtype=">i4").reshape(-1, 3).tolist()
            )
            summed: dict = {}
            for kind, month, x, y, n in binned:
                summed[(kind, month, x, y)] = summed.get((kind, month, x, y), 0) + n
            assert {k: v for k, v in summed.items() if v} == {
                tuple(list(r.values())[:4]): r["n"]
                for r in conn.execute(
                    """SELECT kind, gm_month(occurred_at) AS m, gm_bin_x(geom) AS x,
                              gm_bin_y(geom) AS y, count(*)::int AS n
                         FROM incident GROUP BY 1, 2, 3, 4"""
                )
            }
            rules = conn.execute(
                "SELECT count(*) AS n FROM deadline_rule WHERE street_code = %s", (st.CODE,)
            ).fetchone()["n"]
            assert rules >= 10
    finally:
        drop_existing(settings)


def test_a_database_part_way_through_the_moved_migrations_is_refused(settings):
    url = upgrade_database(settings)
    try:
        with psycopg.connect(make_conninfo(url, dbname=UPGRADE_DB), row_factory=dict_row) as conn:
            migrate.applied(conn)
            conn.execute("INSERT INTO schema_migration VALUES (1, '0001_foundation.sql')")
            conn.commit()
            with pytest.raises(DatabaseUnavailable, match="停留在第 1 号迁移"):
                migrate.migrate(conn)
    finally:
        drop_upgrade_database(url)
