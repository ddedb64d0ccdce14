"""Cases to follow up: a case, its history, parties (masked), notes and photos, and the open
cases of some grids by urgency.

The grid member's 我的网格 and the center's overdue lists read the open cases of a few grids,
through a partial index of migration 0012 (open cases by grid and deadline). How many cases
were closed in a period is the tally's to say (gridmap.data.tally, measure ``closed``).
"""

from __future__ import annotations

from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts import pii
from gridmap.accounts.scope import Scope
from gridmap.data import audit
from gridmap.data.dberrors import refusals

_OPEN = """SELECT i.id, i.kind, k.name AS kind_name, i.category, i.status,
                 s.name AS status_name, i.title, i.grid_code, i.village_code, i.occurred_at,
                 i.status_since, i.due_at, c.light, c.days_left
            FROM incident i
            JOIN incident_kind k ON k.code = i.kind
            JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
           CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) c
           WHERE {} AND i.closed_at IS NULL AND {}
           ORDER BY i.due_at NULLS LAST, i.id LIMIT %(limit)s"""


def open_in_grids(
    conn: psycopg.Connection,
    scope: Scope,
    grid_codes: list[str],
    now: datetime,
    limit: int = 200,
) -> list[dict]:
    """The open cases of the grids (within the scope), most urgent first (the earliest
    deadline; cases without one last), with their traffic light and days left (gm_clock)."""
    allowed, params = scope.where("i")
    # A case handed over to another grid (migration 0020) is that grid's now.
    handled = "COALESCE(i.handler_grid_code, i.grid_code) = ANY(%(g)s)"
    query = sql.SQL(_OPEN).format(allowed, sql.SQL(handled))
    return conn.execute(
        query, {**params, "g": grid_codes, "now": now, "limit": limit}, prepare=False
    ).fetchall()


def open_cases(
    conn: psycopg.Connection, scope: Scope, now: datetime, overdue: bool = False, limit: int = 50
) -> list[dict]:
    """The scope's open cases (only the overdue ones, if asked), most urgent first."""
    allowed, params = scope.where("i")
    test = "i.due_at < %(now)s" if overdue else "true"
    query = sql.SQL(_OPEN).format(allowed, sql.SQL(test))
    return conn.execute(query, {**params, "now": now, "limit": limit}, prepare=False).fetchall()


def summary(conn: psycopg.Connection, scope: Scope, now: datetime) -> dict:
    """The scope's open cases, how many are overdue, and how many were closed this month
    (Beijing time): the figures a 包片 leader lands on."""
    allowed, params = scope.where("i")
    month = sql.SQL("gm_day_start(gm_month(%(now)s::timestamptz))")
    return conn.execute(
        sql.SQL(
            """SELECT (SELECT count(*) FROM incident i WHERE {a} AND i.closed_at IS NULL)::int
                      AS open,
                      (SELECT count(*) FROM incident i WHERE {a} AND i.closed_at IS NULL
                          AND i.due_at < %(now)s)::int AS overdue,
                      (SELECT count(*) FROM incident i WHERE {a} AND i.closed_at >= {m}
                          AND i.closed_at < %(now)s)::int AS closed_this_month"""
        ).format(a=allowed, m=month),
        {**params, "now": now},
        prepare=False,
    ).fetchone()


def one(conn: psycopg.Connection, scope: Scope, incident_id: int, now: datetime) -> dict | None:
    """One case, if it is in the scope (None either way otherwise: a case outside the scope is
    answered exactly like one that does not exist)."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT i.id, i.kind, k.name AS kind_name, i.category,
                      coalesce(cat.name, i.category) AS category_name, i.status,
                      s.name AS status_name, s.is_final, i.title, i.description, i.occurred_at,
                      i.reported_at, i.status_since, i.due_at, i.closed_at, i.unit_code,
                      i.grid_code, i.village_code, i.package_area_code, c.light, c.days_left,
                      i.handler_unit_code, i.handler_grid_code, i.handler_village_code,
                      i.handler_package_area_code, g.name AS grid_name, v.name AS village_name,
                      hg.name AS handler_grid_name, hv.name AS handler_village_name,
                      rp.name AS reported_by_name
                 FROM incident i
                 JOIN incident_kind k ON k.code = i.kind
                 JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
                 LEFT JOIN incident_category cat ON cat.kind = i.kind AND cat.code = i.category
                 LEFT JOIN grid g ON g.id = i.grid_id
                 LEFT JOIN village v ON v.id = g.village_id
                 LEFT JOIN person rp ON rp.street_code = i.street_code AND rp.id = i.reported_by
                 -- the grid handling a handed-over case, named as the division of its last
                 -- handover names it
                 LEFT JOIN LATERAL (
                      SELECT h.division_id FROM incident_handover h
                       WHERE h.street_code = i.street_code AND h.incident_id = i.id
                       ORDER BY h.at DESC, h.id DESC LIMIT 1) last ON true
                 LEFT JOIN grid hg ON hg.division_id = last.division_id
                      AND hg.code = i.handler_grid_code
                 LEFT JOIN village hv ON hv.id = hg.village_id
                CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) c
                WHERE {} AND i.id = %(id)s"""
        ).format(allowed),
        {**params, "id": incident_id, "now": now},
        prepare=False,
    ).fetchone()


def handovers(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    """The case's handovers (移交) when plans moved its grid, oldest first, if in the scope."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT h.at, h.from_grid_code, h.to_grid_code, h.plan_id, p.name AS plan_name,
                      p.note AS plan_note,
                      COALESCE(fg.name, h.from_grid_code) AS from_grid_name,
                      COALESCE(tg.name, h.to_grid_code) AS to_grid_name,
                      COALESCE(pp.name, pa.username) AS by_name
                 FROM incident i
                 JOIN incident_handover h ON h.street_code = i.street_code
                      AND h.incident_id = i.id
                 JOIN plan p ON p.street_code = h.street_code AND p.id = h.plan_id
                 LEFT JOIN account pa ON pa.id = p.published_by
                 LEFT JOIN person pp ON pp.street_code = pa.street_code AND pp.id = pa.person_id
                 LEFT JOIN grid tg ON tg.division_id = h.division_id AND tg.code = h.to_grid_code
                 LEFT JOIN grid fg ON fg.division_id = i.division_id
                      AND fg.code = h.from_grid_code
                WHERE {} AND i.id = %(id)s ORDER BY h.at, h.id"""
        ).format(allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchall()


def history(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    """The case's events (transitions and extensions), oldest first, if it is in the scope."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT e.at, e.kind, e.from_status, e.to_status, t.name AS to_name, e.reason,
                      e.due_at, p.name AS by_name
                 FROM incident i
                 JOIN incident_event e ON e.street_code = i.street_code AND e.incident_id = i.id
                 LEFT JOIN incident_status t ON t.kind = i.kind AND t.code = e.to_status
                 LEFT JOIN person p ON p.street_code = e.street_code AND p.id = e.by_person
                WHERE {} AND i.id = %(id)s ORDER BY e.at, e.id"""
        ).format(allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchall()


def responsible_then(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    """Who answered for the case's place when it happened (时任: its snapshot and its own
    time, the view incident_responsible), with their phones, if the case is in the scope. Staff
    phones are not parties' data; who is shown them is the cases service's to say."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT r.role, r.role_name, r.level, r.person_id AS id, r.name, r.title, r.phone
                 FROM incident i
                 JOIN incident_responsible r ON r.street_code = i.street_code
                      AND r.incident_id = i.id
                WHERE {} AND i.id = %(id)s ORDER BY r.level, r.person_id"""
        ).format(allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchall()


def place(conn: psycopg.Connection, scope: Scope, incident_id: int) -> dict | None:
    """Where the case lies, if it is in the scope: its point, the grid it landed in (its
    snapshot) and, for a case a plan handed over, the grid handling it now, as GeoJSON, and the
    box around them (``bounds``: [[south, west], [north, east]])."""
    allowed, params = scope.where("i")
    row = conn.execute(
        sql.SQL(
            """SELECT ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,
                      ST_AsGeoJSON(g.geom, 6)::json AS grid,
                      ST_AsGeoJSON(hg.geom, 6)::json AS handler_grid,
                      ST_YMin(b.parts) AS south, ST_XMin(b.parts) AS west,
                      ST_YMax(b.parts) AS north, ST_XMax(b.parts) AS east
                 FROM incident i
                 JOIN grid g ON g.id = i.grid_id
                 LEFT JOIN LATERAL (
                      SELECT h.division_id FROM incident_handover h
                       WHERE h.street_code = i.street_code AND h.incident_id = i.id
                       ORDER BY h.at DESC, h.id DESC LIMIT 1) last ON true
                 LEFT JOIN grid hg ON hg.division_id = last.division_id
                      AND hg.code = i.handler_grid_code
                CROSS JOIN LATERAL (SELECT ST_Collect(ARRAY[i.geom, g.geom, hg.geom]) AS parts) b
                WHERE {} AND i.id = %(id)s"""
        ).format(allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchone()
    if row is None:
        return None
    box = [[row.pop("south"), row.pop("west")], [row.pop("north"), row.pop("east")]]
    return {**row, "bounds": box}


def linked(conn: psycopg.Connection, scope: Scope, incident_id: int) -> dict:
    """The case's links (incident_link, both ways) and the whole chain they make: a dispute
    taken up for mediation that then became a petition is one chain, read from any of its
    cases. Only cases in the scope are walked and shown (one outside it is answered as one that
    does not exist, here as on its own page). ``links`` are the links between the chain's
    cases, oldest first; ``cases`` the chain's other cases, by when they happened."""
    allowed, params = scope.where("i")
    cases = conn.execute(
        sql.SQL(
            """WITH RECURSIVE chain(id) AS (
                    SELECT i.id FROM incident i WHERE {a} AND i.id = %(id)s
                    UNION
                    SELECT i.id FROM chain c
                     CROSS JOIN LATERAL (
                           SELECT l.to_id AS other FROM incident_link l
                            WHERE l.street_code = %(scope_street)s AND l.from_id = c.id
                           UNION ALL
                           SELECT l.from_id FROM incident_link l
                            WHERE l.street_code = %(scope_street)s AND l.to_id = c.id) o
                      JOIN incident i ON i.street_code = %(scope_street)s AND i.id = o.other
                     WHERE {a})
               SELECT i.id, i.occurred_at, k.name AS kind_name, i.title,
                      s.name AS status_name, s.is_final
                 FROM chain c
                 JOIN incident i ON i.street_code = %(scope_street)s AND i.id = c.id
                 JOIN incident_kind k ON k.code = i.kind
                 JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
                ORDER BY i.occurred_at, i.id"""
        ).format(a=allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchall()
    ids = [c["id"] for c in cases]
    links = conn.execute(
        """SELECT l.id, l.link, k.name AS link_name, l.from_id, l.to_id, l.at, l.note,
                  p.name AS by_name
             FROM incident_link l
             JOIN link_kind k ON k.code = l.link
             LEFT JOIN person p ON p.street_code = l.street_code AND p.id = l.by_person
            WHERE l.street_code = %(s)s AND l.from_id = ANY(%(ids)s) AND l.to_id = ANY(%(ids)s)
            ORDER BY l.at, l.id""",
        {"s": scope.street_code, "ids": ids},
    ).fetchall()
    return {"cases": [c for c in cases if c["id"] != incident_id], "links": links}


def parties(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    """The case's parties, if it is in the scope, with their personal data masked (张*,
    4201**********1234, 138****5678): what every page, answer and command shows. The values in
    full are read only by :func:`parties_in_full`, which writes its audit record."""
    return [pii.masked(p) for p in _parties(conn, scope, incident_id)]


def parties_in_full(
    conn: psycopg.Connection,
    scope: Scope,
    incident_id: int,
    account: dict,
    reason: str,
    origin: dict,
) -> list[dict]:
    """The case's parties with their personal data as stored, for a handler who asked to see
    it, and the audit record of that view (who, which case and fields, why, from where),
    written in the same transaction as the read: a view the log does not know cannot happen."""
    rows = _parties(conn, scope, incident_id)
    if rows:
        audit.record(
            conn,
            scope.street_code,
            "view_personal",
            account,
            incident_id=incident_id,
            fields=list(pii.FIELDS),
            detail=f"{reason}：{len(rows)} 名当事人",
            **origin,
        )
    return rows


def _parties(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT pa.id, pa.role, pa.name, pa.id_number, pa.phone, pa.address
                 FROM incident i
                 JOIN incident_party pa ON pa.street_code = i.street_code
                      AND pa.incident_id = i.id
                WHERE {} AND i.id = %(id)s ORDER BY pa.id"""
        ).format(allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchall()


def repeats(conn: psycopg.Connection, scope: Scope, incident_id: int) -> list[dict]:
    """Other cases in the scope naming a party of this one by the same ID number, recognised
    by its keyed hash (migration 0016) without reading the number."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT DISTINCT i.id, i.occurred_at, k.name AS kind_name, i.title, mine.role
                 FROM incident_party mine
                 JOIN incident_party same ON same.street_code = mine.street_code
                      AND same.id_key = mine.id_key AND same.incident_id <> mine.incident_id
                 JOIN incident i ON i.street_code = same.street_code AND i.id = same.incident_id
                 JOIN incident_kind k ON k.code = i.kind
                WHERE mine.street_code = %(scope_street)s AND mine.incident_id = %(id)s
                  AND mine.id_key IS NOT NULL AND {}
                ORDER BY i.occurred_at"""
        ).format(allowed),
        {**params, "id": incident_id},
        prepare=False,
    ).fetchall()


def similar_nearby(
    conn: psycopg.Connection,
    scope: Scope,
    kind: str,
    category: str,
    lon: float,
    lat: float,
    since: datetime,
    radius_m: float,
    limit: int = 5,
) -> list[dict]:
    """Incidents of the same kind and category reported within ``radius_m`` of a point since
    ``since``, in the scope, nearest first (a new report's duplicate warning)."""
    allowed, params = scope.where("i")
    return conn.execute(
        sql.SQL(
            """SELECT i.id, i.title, i.occurred_at, s.name AS status_name,
                      ST_Distance(i.geom::geography, p.g::geography) AS distance_m
                 FROM incident i
                 JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
                CROSS JOIN (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4326) AS g) p
                WHERE {} AND i.kind = %(kind)s AND i.category = %(category)s
                  AND i.occurred_at >= %(since)s
                  AND ST_DWithin(i.geom::geography, p.g::geography, %(radius)s)
                ORDER BY distance_m LIMIT %(limit)s"""
        ).format(allowed),
        {
            **params,
            "kind": kind,
            "category": category,
            "lon": lon,
            "lat": lat,
            "since": since,
            "radius": radius_m,
            "limit": limit,
        },
        prepare=False,
    ).fetchall()


def add_note(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    body: str,
    by_person: int | None,
) -> dict:
    with refusals():
        return conn.execute(
            """INSERT INTO incident_note (street_code, incident_id, body, by_person)
               VALUES (%s, %s, %s, %s) RETURNING id, at""",
            (street_code, incident_id, body, by_person),
        ).fetchone()


def add_photo(
    conn: psycopg.Connection,
    street_code: str,
    incident_id: int,
    file: str,
    photo,
    by_person: int | None,
) -> dict:
    with refusals():
        return conn.execute(
            """INSERT INTO incident_photo (street_code, incident_id, file, content_type, bytes,
                                           width, height, sha256, by_person)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id, at""",
            (
                street_code,
                incident_id,
                file,
                photo.content_type,
                len(photo.data),
                photo.width,
                photo.height,
                photo.sha256,
                by_person,
            ),
        ).fetchone()


def follow_up(conn: psycopg.Connection, scope: Scope, incident_id: int) -> dict:
    """The case's notes and photos, oldest first, if it is in the scope."""
    allowed, params = scope.where("i")
    base = {**params, "id": incident_id}
    notes = conn.execute(
        sql.SQL(
            """SELECT n.id, n.body, n.at, p.name AS by_name FROM incident i
                 JOIN incident_note n ON n.street_code = i.street_code AND n.incident_id = i.id
                 LEFT JOIN person p ON p.street_code = n.street_code AND p.id = n.by_person
                WHERE {} AND i.id = %(id)s ORDER BY n.at, n.id"""
        ).format(allowed),
        base,
    ).fetchall()
    photos = conn.execute(
        sql.SQL(
            """SELECT f.id, f.file, f.content_type, f.bytes, f.width, f.height, f.at,
                      p.name AS by_name FROM incident i
                 JOIN incident_photo f ON f.street_code = i.street_code AND f.incident_id = i.id
                 LEFT JOIN person p ON p.street_code = f.street_code AND p.id = f.by_person
                WHERE {} AND i.id = %(id)s ORDER BY f.at, f.id"""
        ).format(allowed),
        base,
    ).fetchall()
    return {"notes": notes, "photos": photos}
