"""Numbered schema migrations (``gridmap/migrations/NNNN_name.sql``), applied in order.

Each file runs in its own transaction and is recorded in ``schema_migration``; running the
command again applies only what is new. A missing PostGIS is reported with what to install.
"""

from __future__ import annotations

from importlib import resources

import psycopg

from gridmap.errors import DatabaseUnavailable

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
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migration ("
        " number integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    conn.commit()
    return {row["number"] for row in conn.execute("SELECT number FROM schema_migration")}


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply every pending migration; return the names applied."""
    _require_postgis(conn)
    done = applied(conn)
    names = []
    for number, name, sql in available():
        if number in done:
            continue
        with conn.transaction():
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migration (number, name) VALUES (%s, %s)", (number, name)
            )
        names.append(name)
    return names


def _require_postgis(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    conn.commit()
    if row is None:
        raise DatabaseUnavailable(POSTGIS_HINT)
