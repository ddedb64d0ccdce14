"""The reference tables (kinds, their states and categories) for the app's requests.

They change only with a migration (the app's role can only read them), and reading them cost
three queries of every pin, so each app reads them at most once a minute.
"""

from __future__ import annotations

import time

import psycopg
from flask import current_app

from gridmap.data import incidents as incident_data

SECONDS = 60


def of(conn: psycopg.Connection) -> dict:
    """gridmap.data.incidents.reference, kept a minute per app (one app, one database)."""
    kept = current_app.extensions.get("gridmap.reference")
    now = time.monotonic()
    if kept is None or now - kept[0] > SECONDS:
        kept = (now, incident_data.reference(conn))
        current_app.extensions["gridmap.reference"] = kept
    return kept[1]
