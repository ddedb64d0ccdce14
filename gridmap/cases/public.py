"""The street's record as the public may read it (Open311 GeoReport v2, read-only): kinds and
categories as services, incidents as requests, with nothing personal or precise — no title,
description, party or person, and a position rounded to ``precision`` degrees. The street's
whole record by design: no scope narrower than the street, since nothing in it is personal.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.accounts.scope import Scope
from gridmap.data import public


def requests(
    conn: psycopg.Connection,
    street_code: str,
    start: datetime,
    end: datetime,
    services: list[tuple[str, str]],
    status: str,
    precision: float,
    limit: int,
    incident_id: int | None = None,
) -> list[dict]:
    return public.requests(
        conn,
        Scope.street(street_code),
        start,
        end,
        services,
        status,
        precision,
        limit,
        incident_id,
    )
