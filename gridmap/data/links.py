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


def source_governance(
    conn: psycopg.Connection, street_code: str, start: datetime, end: datetime
) -> dict:
    """Of the disputes that occurred in [start, end) (duplicates left out): how many there
    were, how many were resolved, and how many went on to a petition, directly or through a
    mediation case that failed — the share kept below petition is 矛盾不上交."""
    row = conn.execute(
        """WITH d AS (
             SELECT i.id, i.status
               FROM incident i
              WHERE i.street_code = %(s)s AND i.kind = 'dispute'
                AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s
                AND NOT EXISTS (SELECT FROM incident_link l WHERE l.street_code = i.street_code
                                   AND l.from_id = i.id AND l.link = 'duplicate')),
           up AS (
             SELECT DISTINCT d.id
               FROM d JOIN incident_link l ON l.street_code = %(s)s AND l.from_id = d.id
               LEFT JOIN incident_link m ON m.street_code = %(s)s AND m.from_id = l.to_id
                                        AND m.link = 'petition'
              WHERE l.link = 'petition' OR (l.link = 'mediation' AND m.id IS NOT NULL))
         SELECT count(*)::int AS disputes,
                count(*) FILTER (WHERE d.status = 'resolved')::int AS resolved,
                (SELECT count(*)::int FROM up) AS petitioned
           FROM d""",
        {"s": street_code, "start": start, "end": end},
    ).fetchone()
    kept = row["disputes"] - row["petitioned"]
    return {**row, "kept": kept, "kept_share": kept / row["disputes"] if row["disputes"] else None}
