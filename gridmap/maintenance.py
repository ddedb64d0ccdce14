"""Keeping the tally compact: what `gridmap db maintain` and `gridmap serve` run from time to
time.

The database keeps incident_tally exact by appending signed rows, one or two per state change
(migration 0011); merging a street's rows into one per key keeps its reads fast. Nothing here
changes a count.
"""

from __future__ import annotations

import threading

import psycopg

from gridmap.data import tally as tally_data

EVERY_SECONDS = 300


def run(conn: psycopg.Connection, street_code: str) -> int:
    """Compact the street's tally; the rows it has afterwards (-1: another compaction of the
    street was running, and this one left it to that)."""
    with conn.transaction():
        merged = tally_data.compact(conn, street_code)
    return tally_data.rows(conn, street_code) if merged >= 0 else -1


def start(app) -> threading.Event:
    """Compact the served street's tally every few minutes in a daemon thread; set the
    returned event to stop it."""
    from gridmap import db

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(EVERY_SECONDS):
            try:
                with app.app_context(), db.connection() as conn:
                    run(conn, app.config["STREET_CODE"])
            except Exception:  # a database away for a while: try again next time
                app.logger.warning("汇总表维护未完成，稍后重试", exc_info=True)

    threading.Thread(target=loop, name="gridmap-maintenance", daemon=True).start()
    return stop
