"""A throwaway database: a private, migrated PostGIS cluster in a temporary folder.

For the test session and the benchmarks, which must never touch the instance's own data. With
``GRIDMAP_DATABASE_URL`` set (and ``use_url``), that server is used instead, as it is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from gridmap.core import config
from gridmap.store import cluster, db, migrate


@contextlib.contextmanager
def database(port: int, prefix: str = "gridmap-", use_url: bool = False) -> Iterator[dict]:
    """Settings of a migrated database, stopped and removed on exit."""
    if use_url and os.environ.get("GRIDMAP_DATABASE_URL"):
        values = config.load()
        with db.connect_owner(values) as conn:
            migrate.migrate(conn, app_role=db.app_role(values))
        yield values
        return
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)  # the server runs as an unprivileged user when we are root
    pg = None
    try:
        values = config.load(
            {"INSTANCE_DIR": str(folder), "DATABASE_URL": "", "PG_PORT": port}, environ={}
        )
        pg = cluster.from_config(values)
        pg.init()
        pg.start()
        pg.ensure_database()
        with db.connect_owner(values) as conn:
            migrate.migrate(conn, app_role=db.app_role(values))
        yield values
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
