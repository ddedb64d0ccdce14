"""Workflows as data: states, transitions, deadline rules, the street's calendar, and the calls
that move a case (migrations 0008 and 0009).

A case changes state only through incident_transition() and has its deadline extended only
through incident_extend(): database functions that check the workflow, write the event and
update the case in the caller's transaction. The database refuses what they refuse with
messages for a person; dberrors.refusals() turns those into gridmap's errors.
"""

from __future__ import annotations

from datetime import date, datetime

import psycopg

from gridmap.data.dberrors import refusals


def transitions(conn: psycopg.Connection) -> list[dict]:
    """Every allowed move, with the names of its states."""
    return conn.execute(
        """SELECT t.kind, t.from_status, f.name AS from_name, t.to_status, n.name AS to_name,
                  t.action, t.roles, t.reason_required, n.is_final AS closes,
                  f.is_final AS reopens
             FROM workflow_transition t
             JOIN incident_status f ON f.kind = t.kind AND f.code = t.from_status
             JOIN incident_status n ON n.kind = t.kind AND n.code = t.to_status
            ORDER BY t.kind, f.sort, n.sort"""
    ).fetchall()


def transition(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    to_status: str,
    *,
    at: datetime | None = None,
    by_person: int | None = None,
    reason: str = "",
    expected: str | None = None,
) -> dict:
    """Move a case to ``to_status``; returns the event written. ``expected`` is the state the
    person saw: a case someone else moved meanwhile is refused, not overwritten."""
    with refusals():
        return conn.execute(
            "SELECT * FROM incident_transition(%s, %s, %s, coalesce(%s, now()), %s, %s, %s)",
            (street_code, incident_id, to_status, at, by_person, reason, expected),
        ).fetchone()


def extend(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    days: int,
    *,
    at: datetime | None = None,
    by_person: int | None = None,
    reason: str = "",
) -> dict:
    """Extend the current step's deadline by ``days`` where its rule allows, before it runs
    out; returns the event."""
    with refusals():
        return conn.execute(
            "SELECT * FROM incident_extend(%s, %s, %s, coalesce(%s, now()), %s, %s)",
            (street_code, incident_id, days, at, by_person, reason),
        ).fetchone()


def transition_all(conn: psycopg.Connection, street_code: str, moves) -> None:
    """Many transitions in the given order, each through incident_transition (rows of
    incident, to_status, at, by_person, reason) — a ledger of work entered late, the demo."""
    with refusals(), conn.cursor() as cur:
        cur.executemany(
            "SELECT incident_transition(%s, %s, %s, %s, %s, %s)",
            [(street_code, *m) for m in moves],
        )


def events(conn: psycopg.Connection, street_code: str, incident_id: int) -> list[dict]:
    """The case's history, oldest first, with state names and who acted."""
    return conn.execute(
        """SELECT e.id, e.kind, e.at, e.from_status, f.name AS from_name, e.to_status,
                  t.name AS to_name, e.due_at, e.reason, e.by_person, p.name AS by_name,
                  e.recorded_at
             FROM incident_event e JOIN incident i
               ON i.street_code = e.street_code AND i.id = e.incident_id
             LEFT JOIN incident_status f ON f.kind = i.kind AND f.code = e.from_status
             LEFT JOIN incident_status t ON t.kind = i.kind AND t.code = e.to_status
             LEFT JOIN person p ON p.street_code = e.street_code AND p.id = e.by_person
            WHERE e.street_code = %s AND e.incident_id = %s
            ORDER BY e.at, e.id""",
        (street_code, incident_id),
    ).fetchall()


def clock(
    conn: psycopg.Connection, street_code: str, incident_id: int, at: datetime
) -> dict | None:
    """An open case's deadline, days left and traffic light at ``at`` (gm_clock)."""
    return conn.execute(
        """SELECT i.status, i.status_since, i.due_at, i.closed_at, c.light, c.days_left
             FROM incident i CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at,
                                                         %s) c
            WHERE i.street_code = %s AND i.id = %s""",
        (at, street_code, incident_id),
    ).fetchone()


def deadline(
    conn: psycopg.Connection, street_code: str, start: datetime, days: int, unit: str
) -> datetime | None:
    """gm_deadline: the end of a period of ``days`` calendar or working days from ``start``."""
    return conn.execute(
        "SELECT gm_deadline(%s, %s, %s, %s) AS d", (street_code, start, days, unit)
    ).fetchone()["d"]


def due(
    conn: psycopg.Connection,
    street_code: str,
    kind: str,
    status: str,
    since: datetime,
    registered: datetime,
) -> datetime | None:
    """gm_due: the deadline of a step entered at ``since`` of a case registered at
    ``registered``, by the street's rule for it (None: the step has none)."""
    return conn.execute(
        "SELECT gm_due(%s, %s, %s, %s, %s) AS d", (street_code, kind, status, since, registered)
    ).fetchone()["d"]


def rules(conn: psycopg.Connection, street_code: str) -> list[dict]:
    """The street's deadline rules, with the names of kinds and states."""
    return conn.execute(
        """SELECT r.kind, k.name AS kind_name, r.status, s.name AS status_name, r.days, r.unit,
                  r.counted_from, r.extend_days, r.extend_times, r.basis, r.updated_at
             FROM deadline_rule r JOIN incident_kind k ON k.code = r.kind
             JOIN incident_status s ON s.kind = r.kind AND s.code = r.status
            WHERE r.street_code = %s ORDER BY k.sort, s.sort""",
        (street_code,),
    ).fetchall()


def set_rule(
    conn: psycopg.Connection,
    street_code: str,
    kind: str,
    status: str,
    *,
    days: int,
    unit: str,
    counted_from: str = "step",
    extend_days: int = 0,
    extend_times: int = 0,
    basis: str = "",
) -> None:
    """Set (or replace) the street's rule for one step."""
    with refusals():
        conn.execute(
            """INSERT INTO deadline_rule (street_code, kind, status, days, unit, counted_from,
                                          extend_days, extend_times, basis)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (street_code, kind, status) DO UPDATE
                  SET days = excluded.days, unit = excluded.unit,
                      counted_from = excluded.counted_from, extend_days = excluded.extend_days,
                      extend_times = excluded.extend_times, basis = excluded.basis""",
            (street_code, kind, status, days, unit, counted_from, extend_days, extend_times, basis),
        )


def calendar(conn: psycopg.Connection, street_code: str, year: int | None = None) -> list[dict]:
    """The street's holidays and worked exchange days (of one year, or all)."""
    return conn.execute(
        """SELECT day, kind, name FROM street_calendar
            WHERE street_code = %s AND (%s::int IS NULL OR extract(year FROM day) = %s)
            ORDER BY day""",
        (street_code, year, year),
    ).fetchall()


def set_days(conn: psycopg.Connection, street_code: str, days: list[tuple[date, str, str]]) -> None:
    """Set calendar entries (day, 'holiday' or 'workday', name), replacing those of the days;
    one statement, so the street's working-day table is rebuilt once."""
    with refusals():
        conn.execute(
            """INSERT INTO street_calendar (street_code, day, kind, name)
               SELECT %s, d.day, d.kind, d.name
                 FROM unnest(%s::date[], %s::text[], %s::text[]) AS d(day, kind, name)
               ON CONFLICT (street_code, day) DO UPDATE
                  SET kind = excluded.kind, name = excluded.name""",
            (street_code, [d for d, _, _ in days], [k for _, k, _ in days], [n for *_, n in days]),
        )


def unset_days(conn: psycopg.Connection, street_code: str, days: list[date]) -> int:
    """Remove calendar entries: those days become ordinary (weekday or weekend) again."""
    return conn.execute(
        "DELETE FROM street_calendar WHERE street_code = %s AND day = ANY(%s)",
        (street_code, days),
    ).rowcount
