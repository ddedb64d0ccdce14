"""Finding cases (查找案件): the cases of a scope that a search names, newest first, and how
many there are.

A search may name several things at once — the same words can be a village's name and words
of titles — so what it looks for (:class:`Wanted`) is a set of alternatives, any of which
makes a case a match, always inside the scope. Each alternative is asked on its own, through
an index of migration 0024 where it has one: words through the trigram index of title and
description, a village, a grid and a reporter through theirs in time order, a party's whole
name and a person's steps and notes through their own, a case number through the primary key.
Which alternative matched each row is read back for the page (the words, the parties' roles)
or left to the caller, who can tell an area or a reporter from the row's own codes.

The count stops at ``cap``: past a thousand, "more than" is the answer a person needs from a
search box (the center's map counts), and counting every case of a term that is in a tenth of
the record would cost more than the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope

# The text searched, written as the trigram index of migration 0024 is (else it is not used).
TEXT = "(i.title || ' ' || i.description)"
# The levels of an area a search names or a person answers for, and the incident's snapshot
# column each is matched against (a unit's code begins with its village's).
AREA_COLUMNS = {
    "package_area": "package_area_code",
    "village": "village_code",
    "unit": "unit_code",
    "grid": "grid_code",
}


@dataclass(frozen=True)
class Wanted:
    """What one search looks for: a case matching any of it is found."""

    case_id: int | None = None
    words: tuple[str, ...] = ()  # every one somewhere in the title or the description…
    recent: int | None = None  # …of the newest this many cases only (None: of every one)
    areas: dict[str, tuple[str, ...]] = field(default_factory=dict)  # level → codes named
    party_name: str = ""  # a party's whole name, exactly
    people: tuple[int, ...] = ()  # staff found by name: what they reported or acted on…
    people_areas: dict[str, tuple[str, ...]] = field(default_factory=dict)  # …and their areas

    @property
    def nothing(self) -> bool:
        return not (
            self.case_id is not None
            or self.words
            or any(self.areas.values())
            or self.party_name
            or self.people
            or any(self.people_areas.values())
        )


def like_pattern(word: str) -> str:
    """``%word%`` with LIKE's own characters taken literally (``%``, ``_`` and the escape)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def areas_named(conn: psycopg.Connection, scope: Scope, name: str) -> list[dict]:
    """The villages and grids of the street's published divisions called ``name`` (a village
    also without its 村 or 社区, from two characters on), or with ``name`` as their code:
    level, code and name, one row per code (a name kept across divisions is one area)."""
    return conn.execute(
        """SELECT DISTINCT ON (level, code) level, code, name FROM (
                SELECT 'village' AS level, v.code, v.name, d.valid FROM village v
                  JOIN division d ON d.id = v.division_id AND d.status = 'published'
                 WHERE v.street_code = %(s)s
                   AND (v.code = %(n)s OR v.name = %(n)s
                        OR char_length(%(n)s) >= 2 AND v.name IN (%(n)s || '村', %(n)s || '社区'))
                UNION ALL
                SELECT 'grid', g.code, g.name, d.valid FROM grid g
                  JOIN division d ON d.id = g.division_id AND d.status = 'published'
                 WHERE g.street_code = %(s)s AND (g.code = %(n)s OR g.name = %(n)s)
             ) found
            ORDER BY level DESC, code, upper(valid) DESC NULLS FIRST""",
        {"s": scope.street_code, "n": name},
    ).fetchall()


def people_named(conn: psycopg.Connection, scope: Scope, name: str, at: datetime) -> list[dict]:
    """The street's staff called exactly ``name``, each with the areas they answer for at
    ``at`` along the six-level chain (level → codes; none once they have left) and what they
    are called there (网格员, 村书记…)."""
    return conn.execute(
        """SELECT p.id, p.name, p.left_at,
                  coalesce(jsonb_object_agg(a.level, a.codes) FILTER (WHERE a.level IS NOT NULL),
                           '{}') AS areas,
                  coalesce(string_agg(a.roles, '、'), '') AS roles
             FROM person p
             LEFT JOIN LATERAL (
                  SELECT r.scope AS level, array_agg(DISTINCT s.scope_code) AS codes,
                         string_agg(DISTINCT r.name, '、') AS roles
                    FROM assignment_standing s
                    JOIN role r ON r.code = s.role AND r.level IS NOT NULL
                   WHERE s.street_code = p.street_code AND s.person_id = p.id
                     AND s.valid @> %(at)s::timestamptz
                     AND (p.left_at IS NULL OR p.left_at > %(at)s)
                   GROUP BY r.scope) a ON true
            WHERE p.street_code = %(s)s AND p.name = %(n)s
            GROUP BY p.id, p.name, p.left_at ORDER BY p.id""",
        {"s": scope.street_code, "n": name, "at": at},
    ).fetchall()


# The page's rows: the newest ``limit`` of the alternatives' own newest (``tops``), then what
# the page shows of those rows only (lookups, light, place names).
_SELECT = """SELECT i.id, i.kind, k.name AS kind_name,
                    coalesce(cat.name, i.category) AS category_name, i.status,
                    s.name AS status_name, s.is_final, i.title, i.occurred_at,
                    i.due_at, i.closed_at, c.light, c.days_left, i.reported_by,
                    i.package_area_code, i.village_code, v.name AS village_name,
                    i.grid_code, g.name AS grid_name, i.unit_code,
                    ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, {flags}
               FROM (SELECT id FROM ({tops}) found
                      ORDER BY occurred_at DESC, id DESC LIMIT %(limit)s) top
               JOIN incident i ON i.street_code = %(s)s AND i.id = top.id
               JOIN incident_kind k ON k.code = i.kind
               JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
               LEFT JOIN incident_category cat ON cat.kind = i.kind AND cat.code = i.category
               LEFT JOIN grid g ON g.id = i.grid_id
               LEFT JOIN village v ON v.id = g.village_id
              CROSS JOIN LATERAL gm_clock(i.status_since, i.due_at, i.closed_at, %(now)s) c
              ORDER BY i.occurred_at DESC, i.id DESC"""
_TOP = """(SELECT i.id, i.occurred_at FROM incident i WHERE {allowed} AND {arm}
            ORDER BY i.occurred_at DESC, i.id DESC LIMIT %(limit)s)"""
_CAPPED = "{name} AS MATERIALIZED (SELECT i.id FROM incident i WHERE {allowed} AND {arm}"
_CAPPED += " LIMIT %(cap)s)"
# Words no index can find (under three characters: no trigram) are read in the newest
# ``recent`` cases of the scope only, once, a read bounded whatever the record's size; the
# cases found then stand for the words in the page's query and its count.
_RECENT = """SELECT i.id FROM (SELECT i.id, i.title, i.description FROM incident i
                                WHERE {allowed} ORDER BY i.occurred_at DESC
                                LIMIT %(recent)s) i
              WHERE {words} LIMIT %(cap)s"""


def find(
    conn: psycopg.Connection,
    scope: Scope,
    wanted: Wanted,
    now: datetime,
    limit: int = 200,
    cap: int = 1_001,
) -> tuple[list[dict], int, bool]:
    """The scope's cases that ``wanted`` names, newest first (at most ``limit``), how many
    there are, and whether there are ``cap`` or more (then the count is where it stopped).
    Each row has its state and light at ``now``, its village and grid by name (of its own
    division), its snapshot codes and reporter, and ``m_text`` (the words matched, in the
    newest ``wanted.recent`` cases if so limited),
    ``party_roles`` (the roles of the parties so named) and ``acted_by`` (the people found
    who made a step or wrote a note of it).

    Each alternative is asked on its own, for its own newest ``limit`` (an index in time
    order where it has one, such as a grid's; its own bitmap where it is rare), and the page
    is the newest of those: OR-ed in one condition, the planner fetched every matching row of
    a village to sort them. Counted the same way, each alternative up to ``cap``."""
    arms, params = _arms(wanted, scope.street_code)
    if not arms:
        return [], 0, False
    allowed, scope_params = scope.where("i")
    params.update(scope_params, now=now, limit=limit, cap=cap, recent=wanted.recent)
    flags = sql.SQL(", ").join(sql.SQL(f) for f in _flags(wanted, arms))
    if "text" in arms and wanted.recent:
        recent = sql.SQL(_RECENT).format(allowed=allowed, words=sql.SQL(arms["text"]))
        params["recent_ids"] = [r["id"] for r in conn.execute(recent, params, prepare=False)]
        arms["text"] = "(i.street_code = %(s)s AND i.id = ANY(%(recent_ids)s))"
    tops = sql.SQL(" UNION ").join(
        sql.SQL(_TOP).format(allowed=allowed, arm=sql.SQL(a)) for a in arms.values()
    )
    rows = conn.execute(
        sql.SQL(_SELECT).format(flags=flags, tops=tops), params, prepare=False
    ).fetchall()
    if len(rows) < limit:
        return rows, len(rows), False
    names = [sql.Identifier(f"a_{n}") for n in range(len(arms))]
    capped = sql.SQL(", ").join(
        sql.SQL(_CAPPED).format(name=name, allowed=allowed, arm=sql.SQL(a))
        for name, a in zip(names, arms.values(), strict=True)
    )
    union = sql.SQL(" UNION ").join(sql.SQL("SELECT id FROM {}").format(n) for n in names)
    most = sql.SQL(", ").join(sql.SQL("(SELECT count(*) FROM {})").format(n) for n in names)
    counted = conn.execute(
        sql.SQL(
            "WITH {capped} SELECT (SELECT count(*) FROM ({union}) u)::int AS n,"
            " GREATEST({most})::int AS most"
        ).format(capped=capped, union=union, most=most),
        params,
        prepare=False,
    ).fetchone()
    return rows, counted["n"], counted["most"] >= cap


def _arms(wanted: Wanted, street: str) -> tuple[dict[str, str], dict]:
    """One condition per alternative, each led by the street so that it can go by an index of
    its own (an area's level, the people's reports and steps each one), and their
    parameters."""
    params: dict = {"s": street}
    arms: dict[str, str] = {}
    if wanted.case_id is not None:
        params["case_id"] = wanted.case_id
        arms["case"] = "(i.street_code = %(s)s AND i.id = %(case_id)s)"
    if wanted.words:
        words = []
        for n, word in enumerate(wanted.words):
            params[f"w{n}"] = like_pattern(word)
            # Case matters only to letters: Chinese is compared as it is (LIKE, cheaper
            # for the rows read one by one), a word with letters without case (ILIKE).
            like = "LIKE" if word.lower() == word.upper() else "ILIKE"
            words.append(f"{TEXT} {like} %(w{n})s")
        arms["text"] = "(" + " AND ".join(words) + ")"
    arms.update(_in_areas("a", wanted.areas, params))
    if wanted.party_name:
        params["party"] = wanted.party_name
        arms["party"] = """(i.street_code = %(s)s AND i.id = ANY(ARRAY(
            SELECT pa.incident_id FROM incident_party pa
             WHERE pa.street_code = %(s)s AND pa.name = %(party)s)))"""
    if wanted.people:
        arms["reported"] = (
            "(i.street_code = %(s)s AND "
            + _one_of("i.reported_by", "people", wanted.people, params)
            + ")"
        )
        params["people_all"] = list(wanted.people)
        arms["acted"] = f"(i.street_code = %(s)s AND i.id = ANY(ARRAY({_ACTED})))"
    arms.update(_in_areas("p", wanted.people_areas, params))
    return arms, params


# The cases the people found made a step of (a transition, an extension) or wrote a note on.
_ACTED = """SELECT e.incident_id FROM incident_event e
             WHERE e.street_code = %(s)s AND e.by_person = ANY(%(people_all)s)
            UNION SELECT n.incident_id FROM incident_note n
             WHERE n.street_code = %(s)s AND n.by_person = ANY(%(people_all)s)"""


def _one_of(column: str, name: str, values, params: dict) -> str:
    """``column = value`` for one value (an index then gives its rows in time order), else
    ``= ANY``."""
    values = sorted(values)
    if len(values) == 1:
        params[name] = values[0]
        return f"{column} = %({name})s"
    params[name] = values
    return f"{column} = ANY(%({name})s)"


def _in_areas(prefix: str, areas: dict[str, tuple[str, ...]], params: dict) -> dict[str, str]:
    """An alternative per level of ``areas``: the cases placed in them (their snapshot
    codes). A village's and a grid's through their own index in time order; a unit through
    its village's (a unit's code begins with its village's); a package area is a sixth of
    the street, whose newest are read in time order."""
    arms = {}
    for level, column in AREA_COLUMNS.items():
        codes = areas.get(level, ())
        if not codes:
            continue
        name = f"{prefix}_{level}"
        test = _one_of(f"i.{column}", name, codes, params)
        if level == "unit":
            villages = {code[:12] for code in codes}
            test = _one_of("i.village_code", f"{name}_v", villages, params) + " AND " + test
        arms[name] = f"(i.street_code = %(s)s AND {test})"
    return arms


def _flags(wanted: Wanted, arms: dict[str, str]) -> list[str]:
    """What each row reports of why it matched (false or empty where not asked)."""
    flags = [f"{arms['text']} AS m_text" if "text" in arms else "false AS m_text"]
    if wanted.party_name:
        flags.append(
            """ARRAY(SELECT DISTINCT pa.role FROM incident_party pa
                      WHERE pa.street_code = i.street_code AND pa.incident_id = i.id
                        AND pa.name = %(party)s ORDER BY pa.role) AS party_roles"""
        )
    else:
        flags.append("'{}'::text[] AS party_roles")
    if wanted.people:
        flags.append(
            """ARRAY(SELECT e.by_person FROM incident_event e
                      WHERE e.street_code = i.street_code AND e.incident_id = i.id
                        AND e.by_person = ANY(%(people_all)s)
                     UNION SELECT n.by_person FROM incident_note n
                      WHERE n.street_code = i.street_code AND n.incident_id = i.id
                        AND n.by_person = ANY(%(people_all)s)) AS acted_by"""
        )
    else:
        flags.append("'{}'::int[] AS acted_by")
    return flags
