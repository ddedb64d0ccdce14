"""What `gridmap serve` runs from time to time: keeping the tally compact, and handing over the
open cases of plans that have come into force.

The database keeps incident_tally exact by appending signed rows, one or two per state change
(migration 0011); merging a street's rows into one per key keeps its reads fast. Nothing here
changes a count. A plan published for a later day hands its open cases over on that day
(gridmap.planner.release.due, also ``gridmap plans due``): within a few minutes of midnight here.
With ``BACKUP_DAILY`` (and a backup folder), the embedded cluster is backed up once a day: an
incremental backup, a full one when the last full is a week old (gridmap.store.backup.due).
"""

from __future__ import annotations

import threading

import psycopg

from gridmap.data import tally_upkeep

EVERY_SECONDS = 300


def run(conn: psycopg.Connection, street_code: str) -> int:
    """Compact the street's tally; the rows it has afterwards (-1: another compaction of the
    street was running, and this one left it to that)."""
    with conn.transaction():
        merged = tally_upkeep.compact(conn, street_code)
    return tally_upkeep.rows(conn, street_code) if merged >= 0 else -1


def hand_over_due(conn: psycopg.Connection, street_code: str) -> dict[int, int]:
    """Hand over the open cases of the street's plans come into force (plan → cases)."""
    from gridmap.accounts.scope import Scope
    from gridmap.planner import release as plan_release

    return plan_release.due(conn, Scope.street(street_code))


def back_up_if_due(config: dict, now) -> object | None:
    """The day's backup of the embedded cluster, when the settings ask for one and it is due;
    returns the backup made (None: none was due or asked for)."""
    from gridmap.store import backup, cluster

    if not (config["BACKUP_DAILY"] and config["BACKUP_DIR"]) or config["DATABASE_URL"]:
        return None
    c = cluster.from_config(config)
    kind = backup.due(c, now)
    return backup.backup(c, kind, int(config["BACKUP_KEEP_FULL"])) if kind else None


def start(app) -> threading.Event:
    """Compact the served street's tally and hand over the cases of plans come into force,
    every few minutes in a daemon thread; set the returned event to stop it."""
    from gridmap.core import clock
    from gridmap.store import backup, db

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(EVERY_SECONDS):
            try:
                with app.app_context(), db.connection() as conn:
                    run(conn, app.config["STREET_CODE"])
                    for plan, cases in hand_over_due(conn, app.config["STREET_CODE"]).items():
                        app.logger.info("方案 %s 已生效：%s 件在办案件已移交", plan, cases)
            except Exception:  # a database away for a while: try again next time
                app.logger.warning("汇总表维护未完成，稍后重试", exc_info=True)
            try:
                made = back_up_if_due(app.config, clock.now())
                if made is not None:
                    app.logger.info("每日备份完成：%s", backup.describe(made))
            except Exception:  # a backup that failed is tried again at the next round
                app.logger.warning("每日备份未完成，稍后重试", exc_info=True)

    threading.Thread(target=loop, name="gridmap-maintenance", daemon=True).start()
    return stop
