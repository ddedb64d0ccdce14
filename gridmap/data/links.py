"""Links between incidents (migration 0009): a dispute taken up as a mediation case, a dispute
or a failed mediation that became a petition, a duplicate of an earlier report.

They answer 源头治理's question, how many disputes were solved where they started, before
they became petitions (矛盾不上交).
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.data.dberrors import refusals


def add(
    conn: psycopg.Connection,
    street_code: str,
    from_id: int,
    to_id: int,
    link: str,
    *,
    at: datetime | None = None,
    by_person: int | None = None,
    note: str = "",
) -> dict:
    """Record that ``from_id`` led to (or duplicates) ``to_id``; returns the link."""
    with refusals():
        return conn.execute(
            """INSERT INTO incident_link (street_code, from_id, to_id, link, at, by_person, note)
               VALUES (%s, %s, %s, %s, coalesce(%s, now()), %s, %s) RETURNING *""",
            (street_code, from_id, to_id, link, at, by_person, note),
        ).fetchone()


def of(conn: psycopg.Connection, street_code: str, incident_id: int) -> list[dict]:
    """The links from and to an incident, with the kind of link and the other incident."""
    return conn.execute(
        """SELECT l.id, l.link, k.name AS link_name, l.from_id, l.to_id, l.at, l.note,
                  CASE WHEN l.from_id = %(i)s THEN 'to' ELSE 'from' END AS direction
             FROM incident_link l JOIN link_kind k ON k.code = l.link
            WHERE l.street_code = %(s)s AND (l.from_id = %(i)s OR l.to_id = %(i)s)
            ORDER BY l.at, l.id""",
        {"s": street_code, "i": incident_id},
    ).fetchall()
