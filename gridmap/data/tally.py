"""The tally's one reader, and the calls that keep the tally (migrations 0011, 0013, 0014).

Every count of incidents that gridmap reads by period goes through :func:`read`: the center's
months per grid and grids in a map view, the ~100 m cells of its fishnet and heat surface, the
cases closed in a period, the cases open at a month's end, and the reports to come. It decides
once (:func:`answerable`) whether the tallies can answer, and reads them the same way for every
measure:

* whole months from the tally (``incident_tally`` for occurrences and closings,
  ``incident_bins`` for cells; the tally's coarser level when every category and state is asked);
* the incidents of batches the tally leaves out (a large load that would not aggregate), one
  by one, in those months;
* the part months at either end, through the time index: counted when short, or taken from the
  tally less the days left out when long (gridmap.data.periods), so that no more than half a
  month is counted directly at either end.

Where the tally cannot answer (a period inside less than half a month, a deadline test — overdue
depends on the moment of asking —, a scope of units, which the tally does not keep, or, for the
cells, anything the bins do not keep), the incidents are counted, with the same filters.

The database keeps the tallies itself, by triggers, whoever writes; nothing here writes a count
of its own (gridmap.data.tally_upkeep asks it to fold a batch in, and to merge appended rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.core.clock import LOCAL
from gridmap.data import cells, periods

MEASURES = {
    "occurred": "incidents by when they occurred",
    "closed": "cases by when they were closed",
    "open": "cases open at the period's end (occurred before it, not closed by then)",
    "cells": "incidents by when they occurred, per ~100 m cell",
}
BY = {"grid_month", "grid", "grid_position", "cell"}


class Which(Protocol):
    """What is counted besides the period (gridmap.center.filters.Filters is one)."""

    kinds: tuple[str, ...]
    categories: tuple[str, ...]
    package_area: str
    village: str
    state: str  # all, open, closed
    overdue: bool


@dataclass(frozen=True)
class Kinds:
    """Every incident of some kinds, anywhere in the scope: a :class:`Which` for counts that
    are not the center's filters (the reports' 办结数, 积案)."""

    kinds: tuple[str, ...]
    categories: tuple[str, ...] = ()
    package_area: str = ""
    village: str = ""
    state: str = "all"
    overdue: bool = False


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive


Bins = cells.Bins  # per ~100 m cell (gridmap.data.cells)


def answerable(measure: str, period: Period, which: Which, scope: Scope) -> bool:
    """Whether the tallies can answer: the one rule."""
    if which.overdue or scope.by_unit:
        return False
    if measure == "open":  # summed from the first month to the last: its end on a month's edge
        return periods.month_start(period.end.astimezone(LOCAL).date()) == period.end
    if not periods.split(period.start, period.end).tallied:
        return False
    if measure == "cells":  # the bins keep kind and month only, for the whole street
        return scope.whole and not (
            which.categories or which.state != "all" or which.package_area or which.village
        )
    return True


def read(
    conn: psycopg.Connection,
    measure: str,
    period: Period,
    which: Which,
    scope: Scope,
    *,
    by: str = "grid",
    now: datetime | None = None,
    bbox: tuple[float, float, float, float] | None = None,
):
    """Counts of ``measure`` in ``period`` for ``which`` within ``scope``.

    ``by``: ``grid_month`` (rows of grid_code, month, n), ``grid`` (grid_code, n),
    ``grid_position`` (grid_code, n and the mean lon, lat, for grids seen in ``bbox``) or, for
    the cells, ``cell`` (a :class:`Bins`). ``now`` is the moment of asking (an overdue test).
    """
    if measure not in MEASURES or by not in BY or (measure == "cells") != (by == "cell"):
        raise ValueError(f"no such count: {measure} by {by}")
    if measure == "cells":
        return _cells(conn, period, which, scope, now)
    if not answerable(measure, period, which, scope):
        return _counted(conn, measure, period, which, scope, by, now, bbox)
    if measure == "open":
        return _open_from_tally(conn, period, which, scope)
    return _from_tally(conn, measure, period, which, scope, by, bbox)


# --- counted one by one ----------------------------------------------------------------------


def incident_where(
    scope: Scope, period: Period, which: Which, now: datetime | None, measure: str = "occurred"
) -> tuple[sql.Composable, dict]:
    """The WHERE clause on incidents (``i``) of a count: what is allowed (the scope), then what
    was asked (the period by the measure's time, the kinds, categories, areas, state)."""
    allowed, params = scope.where("i")
    time = {"occurred": "i.occurred_at", "cells": "i.occurred_at", "closed": "i.closed_at"}
    if measure == "open":
        parts = ["i.occurred_at < %(end)s", "(i.closed_at IS NULL OR i.closed_at >= %(end)s)"]
    else:
        parts = [f"{time[measure]} >= %(start)s", f"{time[measure]} < %(end)s"]
    parts.append("i.kind = ANY(%(kinds)s)")
    params.update(
        {
            "street": scope.street_code,
            "start": period.start,
            "end": period.end,
            "kinds": list(which.kinds),
            "now": now,
        }
    )
    _narrow(parts, params, which, "i")
    # A case is closed exactly when it has a closing time (migration 0009 keeps it so), which
    # the partial indexes of open cases can use.
    if which.state == "open" or which.overdue:
        parts.append("i.closed_at IS NULL")
    if which.state == "closed":
        parts.append("i.closed_at IS NOT NULL")
    if which.overdue:
        parts.append("i.due_at < %(now)s")
    return sql.SQL(" AND ").join([allowed, sql.SQL(" AND ".join(parts))]), params


def _narrow(parts: list[str], params: dict, which: Which, alias: str) -> None:
    """The conditions of the categories and the area asked for, on incident rows or tally
    rows (``alias``), which name them alike."""
    for name, column, value in (
        ("categories", "category", list(which.categories)),
        ("package_area", "package_area_code", which.package_area),
        ("village", "village_code", which.village),
    ):
        if value:
            test = "= ANY(%({})s)" if name == "categories" else "= %({})s"
            parts.append(f"{alias}.{column} " + test.format(name))
            params[name] = value


_COUNTED = {
    "grid_month": "SELECT i.grid_code, gm_month(i.{time}) AS month, count(*)::int AS n"
    " FROM incident i WHERE {{}} GROUP BY 1, 2",
    "grid": "SELECT i.grid_code, count(*)::int AS n FROM incident i WHERE {{}} GROUP BY 1",
    "grid_position": "SELECT i.grid_code, count(*) AS n, avg(ST_X(i.geom)) AS lon,"
    " avg(ST_Y(i.geom)) AS lat FROM incident i WHERE {{}} AND i.geom && ST_MakeEnvelope("
    "%(west)s, %(south)s, %(east)s, %(north)s, 4326) GROUP BY i.grid_code",
}


def _counted(conn, measure, period, which, scope, by, now, bbox) -> list[dict]:
    where, params = incident_where(scope, period, which, now, measure)
    time = "closed_at" if measure == "closed" else "occurred_at"
    query = sql.SQL(_COUNTED[by].format(time=time)).format(where)
    if by == "grid_position":
        params.update(_box(bbox))
    return conn.execute(query, params, prepare=False).fetchall()


def _box(bbox) -> dict:
    west, south, east, north = bbox or (-180.0, -90.0, 180.0, 90.0)
    return {"west": west, "south": south, "east": east, "north": north}


# --- from the tally --------------------------------------------------------------------------


def _from_tally(conn, measure, period, which, scope, by, bbox) -> list[dict]:
    positions = by == "grid_position"
    source, where, params = _arms(conn, measure, period, which, scope, positions)
    if by == "grid_month":
        query = sql.SQL(
            "SELECT t.grid_code, t.month, sum(t.n)::int AS n FROM {} t WHERE {} GROUP BY 1, 2"
            " HAVING sum(t.n) <> 0"
        ).format(source, where)
    elif by == "grid":
        query = sql.SQL(
            "SELECT t.grid_code, sum(t.n)::int AS n FROM {} t WHERE {} GROUP BY 1"
            " HAVING sum(t.n) <> 0"
        ).format(source, where)
    else:
        query = sql.SQL(
            "SELECT t.grid_code, sum(t.n)::int AS n, sum(t.sum_lon) / sum(t.n) AS lon,"
            " sum(t.sum_lat) / sum(t.n) AS lat FROM {} t WHERE {}"
            " GROUP BY t.grid_code HAVING sum(t.n) > 0"
            " AND sum(t.sum_lon) / sum(t.n) BETWEEN %(west)s AND %(east)s"
            " AND sum(t.sum_lat) / sum(t.n) BETWEEN %(south)s AND %(north)s"
        ).format(source, where)
        params.update(_box(bbox))
    return conn.execute(query, params, prepare=False).fetchall()


def _arms(
    conn, measure: str, period: Period, which: Which, scope: Scope, positions: bool
) -> tuple[sql.Composable, sql.Composable, dict]:
    """Rows shaped like the tally's monthly rows (a grid, kind, category, state and month a
    row) to count from instead of the incidents, and the filters on them: the tally for the
    months it is read for, the batches it leaves out, and the part months (see above).
    ``positions``: whether the rows carry their sums of longitude and latitude (without them
    the part months read no incident's point)."""
    plan = periods.split(period.start, period.end)
    allowed, scope_params = scope.tally_where("t")
    first = period.start.astimezone(LOCAL)
    last = (period.end - timedelta(microseconds=1)).astimezone(LOCAL)
    # Closings are read per grid only, as the reports count them: their rows carry no month of
    # their own to compute per incident (every arm is inside the period already).
    lean = measure == "closed"
    parts = (
        []
        if lean
        else [
            "t.year BETWEEN %(first_year)s AND %(last_year)s",  # the table's index: whole rows
            "t.month >= %(first_month)s",
            "t.month <= %(last_month)s",
        ]
    )
    parts.append("t.kind = ANY(%(kinds)s)")
    tally_measure = measure
    if measure == "occurred" and not which.categories and which.state == "all":
        tally_measure = "occurred_all"  # every category and state: the coarser level (0014)
    params = {
        **scope_params,
        "street": scope.street_code,
        "first_month": first.date().replace(day=1),
        "last_month": last.date().replace(day=1),
        "first_year": first.year,
        "last_year": last.year,
        "kinds": list(which.kinds),
        "inner_from": plan.first,
        "inner_to": plan.last,
        "measure": tally_measure,
        "inner_from_year": plan.first.year,
        "inner_to_year": plan.last.year,
        "inner_start": plan.tally_start,
        "inner_end": plan.tally_end,
    }
    _narrow(parts, params, which, "t")
    if which.state != "all":
        parts.append("t.closed" if which.state == "closed" else "NOT t.closed")
    time = "i.closed_at" if measure == "closed" else "i.occurred_at"
    lon, lat = ("ST_X(i.geom)", "ST_Y(i.geom)") if positions else ("0", "0")
    sums = (
        "unnest(sum_lon) AS sum_lon, unnest(sum_lat) AS sum_lat"
        if positions
        else "0::float8 AS sum_lon, 0::float8 AS sum_lat"
    )
    arms = [_TALLIED.format(sums=sums)]
    untallied = untallied_batches(conn, scope.street_code)
    if untallied:
        inner = f"{time} >= %(inner_start)s AND {time} < %(inner_end)s"
        year, month = (
            ("NULL::smallint", "NULL::date")
            if lean
            else (f"extract(year FROM gm_local({time}))::smallint", f"gm_month({time})")
        )
        direct = "i.batch_id = ANY(%(untallied)s) AND " + inner
        arms.append(_DIRECT.format(year=year, month=month, lon=lon, lat=lat, range=direct))
        params["untallied"] = untallied
    for k, piece in enumerate(plan.pieces):
        arms.append(_PIECE.format(k=k, sign=piece.sign, lon=lon, lat=lat, time=time))
        params.update(
            {f"p{k}_start": piece.start, f"p{k}_end": piece.end, f"p{k}_month": piece.month}
        )
    source = sql.SQL("(" + " UNION ALL ".join(arms) + ")")
    return source, sql.SQL(" AND ").join([allowed, sql.SQL(" AND ".join(parts))]), params


# The tally's rows of the months it is read for, a month a row (its arrays unnested in the
# select list: a third of the cost of the view's lateral unnest, and only the arrays needed).
# A measure without positions (closings) has no sums: zero stands in.
_TALLIED = """SELECT street_code, package_area_code, village_code, grid_code, year,
           make_date(year, m, 1) AS month, kind, category, closed, n, sum_lon, sum_lat
      FROM (SELECT street_code, package_area_code, village_code, grid_code, year, kind,
                   category, closed, unnest(months) AS m, unnest(n) AS n, {sums}
              FROM incident_tally
             WHERE measure = %(measure)s AND street_code = %(street)s
               AND year BETWEEN %(inner_from_year)s AND %(inner_to_year)s) t
     WHERE make_date(year, m, 1) BETWEEN %(inner_from)s AND %(inner_to)s"""
# Incidents counted one by one, shaped like the tally's rows.
_DIRECT = """SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
           {year}, {month}, i.kind, i.category, i.closed_at IS NOT NULL, 1,
           {lon}::float8, {lat}::float8
      FROM incident i
     WHERE i.street_code = %(street)s AND {range}"""
# A part month's incidents, signed (+1 counted, -1 left out of a tallied month). Its year and
# month are the piece's own: nothing to compute per incident.
_PIECE = """SELECT i.street_code, i.package_area_code, i.village_code, i.grid_code,
           extract(year FROM %(p{k}_month)s::date)::smallint, %(p{k}_month)s::date, i.kind,
           i.category, i.closed_at IS NOT NULL, {sign}, {sign} * {lon}::float8,
           {sign} * {lat}::float8
      FROM incident i
     WHERE i.street_code = %(street)s
       AND {time} >= %(p{k}_start)s AND {time} < %(p{k}_end)s"""


def _open_from_tally(conn, period: Period, which: Which, scope: Scope) -> list[dict]:
    """Open at the end of a month: incidents by the month they occurred minus those by the
    month they were closed, each summed up to that month (every closed case occurred no later
    than it closed, so the difference is exact; a case reopened and closed again counts by its
    last closing), and the batches the tally leaves out counted."""
    allowed, params = scope.tally_where("t")
    direct, direct_params = scope.where("i")
    last = (period.end - timedelta(microseconds=1)).astimezone(LOCAL).date().replace(day=1)
    extra = ""
    if which.categories:
        extra = " AND t.category = ANY(%(categories)s)"
        params["categories"] = list(which.categories)
    query = sql.SQL(
        """SELECT grid_code, sum(n)::int AS n
             FROM (SELECT t.grid_code, t.n FROM incident_tally_monthly t
                    WHERE {a} AND t.kind = ANY(%(k)s) AND t.month <= %(m)s{x}
                   UNION ALL
                   SELECT t.grid_code, -t.n FROM incident_closed_monthly t
                    WHERE {a} AND t.kind = ANY(%(k)s) AND t.month <= %(m)s{x}
                   UNION ALL
                   SELECT i.grid_code, 1 FROM incident i
                    WHERE {d} AND i.kind = ANY(%(k)s) AND i.batch_id = ANY(%(untallied)s)
                      AND i.occurred_at < %(end)s
                      AND (i.closed_at IS NULL OR i.closed_at >= %(end)s){y}) x
            GROUP BY grid_code HAVING sum(n) <> 0"""
    ).format(
        a=allowed,
        d=direct,
        x=sql.SQL(extra),
        y=sql.SQL(extra.replace("t.", "i.")),
    )
    params.update(direct_params)
    params.update(
        {
            "k": list(which.kinds),
            "m": last,
            "end": period.end,
            "untallied": untallied_batches(conn, scope.street_code),
        }
    )
    return conn.execute(query, params, prepare=False).fetchall()


# --- cells -----------------------------------------------------------------------------------


def _cells(conn, period: Period, which: Which, scope: Scope, now) -> Bins:
    """Incidents per ~100 m cell, from incident_bins (kind × month) with the part months and
    the batches it leaves out counted, or counted outright (see :func:`answerable`)."""
    if not answerable("cells", period, which, scope):
        return cells.counted(conn, *incident_where(scope, period, which, now, "cells"))
    plan = periods.split(period.start, period.end)
    untallied = untallied_batches(conn, scope.street_code)
    return cells.from_bins(conn, plan, list(which.kinds), scope.street_code, untallied)


# --- the batches it leaves out --------------------------------------------------------------


def untallied_batches(conn: psycopg.Connection, street_code: str) -> list[int]:
    """Batches whose incidents incident_tally leaves out (counted directly by readers)."""
    rows = conn.execute(
        "SELECT id FROM load_batch WHERE street_code = %s AND NOT tallied ORDER BY id",
        (street_code,),
    ).fetchall()
    return [r["id"] for r in rows]
