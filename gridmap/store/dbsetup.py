"""Roles, database and extensions of the embedded cluster, as its superuser sets them up.

gridmap.store.cluster runs this after starting the server: it is safe to repeat (it creates what is
missing and keeps passwords in step with the instance's pgpass file). With an external database
(``GRIDMAP_DATABASE_URL``) none of this runs: the database administrator does the same by hand,
as docs/settings.md describes.
"""

from __future__ import annotations

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from gridmap.core.errors import DatabaseUnavailable

POSTGIS_HINT = "数据库缺少 PostGIS 扩展。请安装：apt-get install -y postgresql-15-postgis-3"
EXTENSIONS = ("postgis", "btree_gist")


def ensure(admin_url: str, admin_db_url: str, passwords: dict[str, str]) -> None:
    """Create or update the owner and app roles and the gridmap database (as the superuser)."""
    from gridmap.store.cluster import ADMIN, APP, DB_NAME, OWNER

    with psycopg.connect(admin_url, autocommit=True) as conn:
        _role(conn, ADMIN, passwords[ADMIN], superuser=True)
        _role(conn, OWNER, passwords[OWNER])
        _role(conn, APP, passwords[APP])
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if exists.fetchone() is None:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(DB_NAME), sql.Identifier(OWNER)
                )
            )
        # Only the two roles reach the database, and no one makes temporary tables there.
        conn.execute(
            sql.SQL(
                "REVOKE ALL ON DATABASE {db} FROM PUBLIC; GRANT CONNECT ON DATABASE {db} TO {app}"
            ).format(db=sql.Identifier(DB_NAME), app=sql.Identifier(APP))
        )
    with psycopg.connect(admin_db_url, autocommit=True) as conn:
        for name in EXTENSIONS:
            try:
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name))
                )
            except psycopg.errors.FeatureNotSupported as exc:  # the package is not installed
                raise DatabaseUnavailable(POSTGIS_HINT) from exc
            except psycopg.errors.UndefinedFile as exc:
                raise DatabaseUnavailable(POSTGIS_HINT) from exc


def adopt_legacy(legacy_url: str, legacy_user: str, passwords: dict[str, str]) -> None:
    """Bring a cluster made before the roles (one trusted superuser owning everything) to the
    three roles: the database and everything in it pass to the owner role."""
    from gridmap.store.cluster import ADMIN, DB_NAME, OWNER

    with psycopg.connect(legacy_url, autocommit=True) as conn:
        _role(conn, ADMIN, passwords[ADMIN], superuser=True)
        _role(conn, OWNER, passwords[OWNER])
        has_db = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if has_db.fetchone() is None:
            return
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(DB_NAME), sql.Identifier(OWNER)
            )
        )
    params = conninfo_to_dict(legacy_url)
    params["dbname"] = DB_NAME
    with psycopg.connect(make_conninfo(**params), autocommit=True) as conn:
        # gridmap's own tables, views, sequences and functions (not the system's, which the
        # old superuser owns too, nor an extension's).
        conn.execute(sql.SQL(_HAND_OVER).format(owner=sql.Literal(OWNER)))


_HAND_OVER = """
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
                AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
                AND NOT (c.relkind = 'S' AND EXISTS (SELECT FROM pg_depend d
                          WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))) LOOP
        EXECUTE format('ALTER %s %s OWNER TO %I',
                       CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                      WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
                       r.name, {owner});
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public'
                AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    LOOP
        EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.name, {owner});
    END LOOP;
END $$
"""


def _role(conn: psycopg.Connection, name: str, password: str, superuser: bool = False) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    power = "SUPERUSER" if superuser else "NOSUPERUSER NOCREATEDB NOCREATEROLE"
    conn.execute(
        sql.SQL("{} ROLE {} LOGIN " + power + " PASSWORD {}").format(
            sql.SQL(verb), sql.Identifier(name), sql.Literal(password)
        )
    )
