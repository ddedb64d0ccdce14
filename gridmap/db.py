"""The one owner of database connections.

``db.init_app`` gives the Flask app a connection pool on the configured URL, or on the
embedded cluster when none is configured. Everything else borrows connections through
:func:`connection` and hands them to the data layer (``gridmap.data``), where all SQL lives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import psycopg
from flask import Flask, current_app
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from gridmap import cluster
from gridmap.errors import DatabaseUnavailable

_POOL_KEY = "gridmap.pool"


def database_url(config: dict) -> str:
    """The configured URL, or the embedded cluster's socket URL."""
    return config["DATABASE_URL"] or cluster.from_config(config).url


def connect(config: dict, **kwargs) -> psycopg.Connection:
    """A single connection outside a web request (commands, tests, benchmarks)."""
    url = database_url(config)
    try:
        return psycopg.connect(url, row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(_unavailable_message(config, exc)) from exc


def init_app(app: Flask) -> None:
    def _open_pool():
        pool = ConnectionPool(
            database_url(app.config),
            min_size=1,
            max_size=8,
            open=False,
            kwargs={"row_factory": dict_row},
        )
        return pool

    app.extensions[_POOL_KEY] = _open_pool()


@contextlib.contextmanager
def connection() -> Iterator[psycopg.Connection]:
    """Borrow a pooled connection for the current request; commits on success."""
    pool: ConnectionPool = current_app.extensions[_POOL_KEY]
    if pool.closed:
        try:
            pool.open(wait=True, timeout=10)
        except PoolTimeout as exc:
            raise DatabaseUnavailable(_unavailable_message(current_app.config, exc)) from exc
    with pool.connection() as conn:
        yield conn


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
