"""The schema's migrations: numbered ones for tables, repeatable ones for code.

* **Numbered** (``gridmap/migrations/NNNN_name.sql``): tables, their constraints and indexes,
  and reference data, applied once each, in order, each in its own transaction, and recorded
  in ``schema_migration``. They are history: a table's shape is what they leave, migration
  after migration.
* **Repeatable** (``gridmap/migrations/repeatable/NN_concern.sql``, Flyway's ``R__`` files,
  sqitch's rework): the functions, triggers and views of one concern each, written as the
  schema has them now. After the numbered ones, whenever a file's content has changed or a
  numbered migration has run, every repeatable file is applied again, in order, in one
  transaction (functions replaced, views replaced, triggers dropped and made again), and
  their checksums recorded in ``schema_repeatable``. To learn what a function does today, read
  its one file.

An existing database migrates forward to the same schema as a fresh one (tests/test_migrations
compares the ``pg_dump --schema-only`` of both). Migrations run as the owner role; afterwards
the app's role gets what gridmap.store.privileges declares. A missing PostGIS is reported with
what to install.
"""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import psycopg

from gridmap.core.errors import DatabaseUnavailable
from gridmap.store import privileges

POSTGIS_HINT = "数据库缺少 PostGIS 扩展。请安装：apt-get install -y postgresql-15-postgis-3"
# The numbered migrations whose code moved to the repeatable files: a database part-way
# through them was made by a gridmap older than December 2026 and must first be migrated by it.
BASELINE = 20


def _folder():
    return resources.files("gridmap") / "migrations"


def available() -> list[tuple[int, str, str]]:
    found = []
    for entry in _folder().iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def repeatable() -> list[tuple[str, str]]:
    folder = _folder() / "repeatable"
    return sorted(
        (e.name, e.read_text(encoding="utf-8")) for e in folder.iterdir() if e.name.endswith(".sql")
    )


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


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
    """Apply every pending numbered migration (up to number ``upto``), then the repeatable
    files if any changed or a numbered one ran; return the names applied. Then grant
    ``app_role`` its privileges, unless it is the role migrating (one role for both)."""
    _require_postgis(conn)
    done = applied(conn)
    _refuse_part_way(done)
    names = []
    for number, name, text in available():
        if number in done or (upto is not None and number > upto):
            continue
        with conn.transaction():
            if _has_statements(text):
                conn.execute(text)
            conn.execute(
                "INSERT INTO schema_migration (number, name) VALUES (%s, %s)", (number, name)
            )
        names.append(name)
    if upto is None:
        names += _repeat(conn, force=bool(names))
    if app_role and upto is None:
        me = conn.execute("SELECT current_user AS me").fetchone()["me"]
        if app_role != me:
            with conn.transaction():
                privileges.apply(conn, app_role)
    return names


def _refuse_part_way(done: set[int]) -> None:
    early = {n for n in done if n <= BASELINE}
    if early and len(early) < BASELINE:
        raise DatabaseUnavailable(
            f"数据库的结构停留在第 {max(early)} 号迁移：请先用 2026 年 12 月以前的 gridmap "
            f"将其迁移到第 {BASELINE} 号，再用本版本迁移。"
        )


def _has_statements(text: str) -> bool:
    return bool(re.sub(r"--[^\n]*", "", text).strip())


def _repeat(conn: psycopg.Connection, force: bool) -> list[str]:
    """Apply every repeatable file again if one changed (or ``force``); their names, or []."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_repeatable ("
        " name text PRIMARY KEY, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())"
    )
    kept = {r["name"]: r["checksum"] for r in conn.execute("SELECT * FROM schema_repeatable")}
    files = repeatable()
    conn.commit()
    if not force and kept == {name: checksum(text) for name, text in files}:
        return []
    with conn.transaction():
        # Bodies refer to functions of later files; each is checked when it runs.
        conn.execute("SET LOCAL check_function_bodies = off")
        for _name, text in files:
            conn.execute(text)
        conn.execute("DELETE FROM schema_repeatable")
        for name, text in files:
            conn.execute(
                "INSERT INTO schema_repeatable (name, checksum) VALUES (%s, %s)",
                (name, checksum(text)),
            )
    return [f"repeatable/{name}" for name, _ in files]


def _require_postgis(conn: psycopg.Connection) -> None:
    row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
    conn.commit()
    if row is None:
        raise DatabaseUnavailable(POSTGIS_HINT)
