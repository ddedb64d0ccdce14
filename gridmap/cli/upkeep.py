"""What `gridmap serve` runs from time to time: keeping the tally compact, and handing over the
open cases of plans that have come into force.

The database keeps incident_tally exact by appending signed rows, one or two per state change
(migration 0011); merging a street's rows into one per key keeps its reads fast. Nothing here
changes a count. A plan published for a later day hands its open cases over on that day
(gridmap.planner.release.due, also ``gridmap plans due``): within a few minutes of midnight here.
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


def start(app) -> threading.Event:
    """Compact the served street's tally and hand over the cases of plans come into force,
    every few minutes in a daemon thread; set the returned event to stop it."""
    from gridmap.store import db

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

    threading.Thread(target=loop, name="gridmap-maintenance", daemon=True).start()
    return stop
