"""The one owner of database connections.

``db.init_app`` gives the Flask app a connection pool on the configured URL, or on the
embedded cluster when none is configured. Everything else borrows connections through
:func:`connection` and hands them to the data layer (``gridmap.data``), where all SQL lives.

The pool is built to live through a database that stops and comes back. It is opened without
waiting, so a server started while the database is down keeps trying in the background
instead of failing for good. A request waits a few seconds at most for a connection, each
connection is checked as it is handed out (one empty round trip), and an OperationalError
during a request, the database gone from under a query, becomes DatabaseUnavailable: the
person gets a prompt 503 with a message, not a 500 after thirty seconds. When the database is
back, the next request's connection is made there and then.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from flask import Flask, current_app
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from gridmap.core.errors import DatabaseUnavailable
from gridmap.store import cluster

_POOL_KEY = "gridmap.pool"


def database_url(config: dict) -> str:
    """The app's role: the configured URL, or the embedded cluster's socket URL."""
    return config["DATABASE_URL"] or cluster.from_config(config).url


def owner_url(config: dict) -> str:
    """The owner role, for migrations and the demo's purge: the configured owner URL; the
    embedded cluster's owner; or, with an external database and no owner URL, the app's."""
    if config["DATABASE_URL"]:
        return config["OWNER_DATABASE_URL"] or config["DATABASE_URL"]
    return cluster.from_config(config).owner_url


def app_role(config: dict) -> str | None:
    """The name of the app's role, as its URL gives it (None: libpq's default, the OS user)."""
    from psycopg.conninfo import conninfo_to_dict

    if not config["DATABASE_URL"]:
        return cluster.APP
    return conninfo_to_dict(config["DATABASE_URL"]).get("user")


def connect_owner(config: dict, **kwargs) -> psycopg.Connection:
    """A connection as the owner role (migrations, the demo's reload)."""
    try:
        return psycopg.connect(owner_url(config), row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(_unavailable_message(config, exc)) from exc


def connect(config: dict, **kwargs) -> psycopg.Connection:
    """A single connection outside a web request (commands, tests, benchmarks)."""
    url = database_url(config)
    try:
        return psycopg.connect(url, row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(_unavailable_message(config, exc)) from exc


# As many connections as the web server has threads (waitress serves with 8), so a request
# never waits for a busy connection, only for a missing one: a wait of a few seconds means the
# database is away, and the request answers 503 instead of hanging.
POOL_SIZE = 8
WAIT_SECONDS = 3.0
# A new connection that is not made within this many seconds (libpq's minimum is 2) is to a
# server that does not answer; without it a connection to an unreachable host hangs for minutes.
CONNECT_TIMEOUT = 3
# How long the pool retries a lost connection in the background (after 1, 2, 4 … s) before it
# leaves the next request to ask for a new one. psycopg_pool's default, five minutes, lets the
# retries drift minutes apart, and a database that is back waits that long to be used.
RECONNECT_SECONDS = 5.0
UNAVAILABLE = "数据库暂时无法连接，请稍后再试；如一再出现，请联系管理员。"


def init_app(app: Flask) -> None:
    pool = ConnectionPool(
        database_url(app.config),
        min_size=1,
        max_size=POOL_SIZE,
        open=False,
        kwargs={"row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT},
        check=ConnectionPool.check_connection,
        timeout=WAIT_SECONDS,
        reconnect_timeout=RECONNECT_SECONDS,
        name="gridmap",
    )
    pool.open(wait=False)
    app.extensions[_POOL_KEY] = pool


@contextlib.contextmanager
def connection() -> Iterator[psycopg.Connection]:
    """Borrow a pooled connection for the current request; commits on success.

    Raises DatabaseUnavailable when no connection comes within a few seconds or the database
    goes away during the request.
    """
    pool: ConnectionPool = current_app.extensions[_POOL_KEY]
    try:
        with pool.connection() as conn:
            yield conn
    except psycopg.OperationalError as exc:  # PoolTimeout and PoolClosed are ones too
        current_app.logger.warning("数据库不可用：%s", str(exc).strip())
        raise DatabaseUnavailable(UNAVAILABLE) from exc


def close(app: Flask) -> None:
    pool = app.extensions.get(_POOL_KEY)
    if pool is not None and not pool.closed:
        pool.close()


def _unavailable_message(config: dict, exc: Exception) -> str:
    if config["DATABASE_URL"]:
        return f"无法连接数据库（GRIDMAP_DATABASE_URL）：{str(exc).strip()}"
    return (
        "无法连接内置数据库：它可能尚未初始化或没有运行。"
        f"请运行 gridmap db start。（{str(exc).strip()}）"
    )
