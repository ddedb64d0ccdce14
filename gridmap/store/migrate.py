"""Numbered schema migrations (``gridmap/migrations/NNNN_name.sql``), applied in order.

Each file runs in its own transaction and is recorded in ``schema_migration``; running the
command again applies only what is new. Migrations run as the owner role; afterwards the app's
role gets what gridmap.store.privileges declares. A missing PostGIS is reported with what to
install.
"""

from __future__ import annotations

from importlib import resources

import psycopg

from gridmap.core.errors import DatabaseUnavailable
from gridmap.store import privileges

POSTGIS_HINT = "数据库缺少 PostGIS 扩展。请安装：apt-get install -y postgresql-15-postgis-3"


def available() -> list[tuple[int, str, str]]:
    folder = resources.files("gridmap") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def applied(conn: psycopg.Connection) -> set[int]:
    exists = conn.execute("SELECT to_regclass('schema_migration') IS NOT NULL AS e").fetchone()
    if not exists["e"]:
        conn.execute(
            "CREATE TABLE schema_migration ("
            " number integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
    done = {row["number"] for row in conn.execute("SELECT number FROM schema_migration")}
    conn.commit()  # so that each migration below is a transaction of its own
    return done


def migrate(
    conn: psycopg.Connection, app_role: str | None = None, upto: int | None = None
) -> list[str]:
    """Apply every pending migration (up to number ``upto``); return the names applied. Then
    grant ``app_role`` its privileges, unless it is the role migrating (one role for both)."""
    _require_postgis(conn)
    done = applied(conn)
    names = []
    for number, name, sql in available():
        if number in done or (upto is not None and number > upto):
            continue
        with conn.transaction():
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migration (number, name) VALUES (%s, %s)", (number, name)
            )
        names.append(name)
    if app_role and upto is None:
        me = conn.execute("SELECT current_user AS me").fetchone()["me"]
        if app_role != me:
            with conn.transaction():
                privileges.apply(conn, app_role)
    return names


def _require_postgis(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    conn.commit()
    if row is None:
        raise DatabaseUnavailable(POSTGIS_HINT)
