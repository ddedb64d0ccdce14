"""Which codes and ids exist: the lookups that checking input needs."""

from __future__ import annotations

import psycopg


def area_codes(conn: psycopg.Connection, street_code: str) -> dict[str, frozenset[str]]:
    """Codes of the street's package areas and villages in any published division.

    An incident keeps the codes of the division it was placed in, so a filter may name an area
    of an earlier division as well as one of the division in force.
    """
    rows = conn.execute(
        """SELECT 'package_areas' AS level, p.code FROM package_area p
             JOIN division d ON d.id = p.division_id
            WHERE d.street_code = %(street)s AND d.status = 'published'
           UNION
           SELECT 'villages', v.code FROM village v
             JOIN division d ON d.id = v.division_id
            WHERE d.street_code = %(street)s AND d.status = 'published'""",
        {"street": street_code},
    ).fetchall()
    return {
        level: frozenset(r["code"] for r in rows if r["level"] == level)
        for level in ("package_areas", "villages")
    }


def people_ids(conn: psycopg.Connection, street_code: str, ids: list[int]) -> set[int]:
    """Those of ``ids`` that name a person of the street."""
    rows = conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND id = ANY(%s)", (street_code, ids)
    ).fetchall()
    return {r["id"] for r in rows}
