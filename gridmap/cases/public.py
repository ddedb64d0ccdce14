"""The street's record as the public may read it (Open311 GeoReport v2, read-only): kinds and
categories as services, incidents as requests, with nothing personal or precise — no title,
description, party or person, and a position rounded to ``precision`` degrees. The street's
whole record by design: no scope narrower than the street, since nothing in it is personal.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.accounts.scope import Scope
from gridmap.core.errors import BadInput
from gridmap.data import public


def requests(
    conn: psycopg.Connection,
    street_code: str,
    period: tuple[datetime, datetime],
    service_codes: str,
    ref: dict,
    status: str = "",
    precision: float = 0.01,
    limit: int = 1000,
    incident_id: int | None = None,
) -> list[dict]:
    """The street's requests of ``period`` for the services named (``dispute.neighbour,petition``;
    none: every service), in a state (open, closed; "": either), positions rounded."""
    start, end = period
    wanted = services_of(service_codes, ref)
    return public.requests(
        conn, Scope.street(street_code), start, end, wanted, status, precision, limit, incident_id
    )


def services_of(text: str, ref: dict) -> list[tuple[str, str]]:
    """The (kind, category) pairs a list of service codes names; a kind alone names every
    category of it. An unknown code is refused."""
    if not text:
        return []
    out = []
    for code in text.split(","):
        kind, _, category = code.strip().partition(".")
        if kind not in ref["kinds"] or (category and (kind, category) not in ref["categories"]):
            raise BadInput(f"未知的 service_code：{code.strip()}（见 services.json）")
        out.append((kind, category))
    if any(not c for _, c in out):  # a kind without category: every category of it
        out += [(k, c) for (k, c) in ref["categories"] if (k, "") in out]
    return out
