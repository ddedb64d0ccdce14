"""Incidents per ~100 m cell, for the center's fishnet and heat surface (migration 0013).

Read from incident_bins (kind × month), with the part months and the batches the tally leaves
out counted directly, the way gridmap.data.center reads the tally.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import psycopg
from psycopg import sql

from gridmap.accounts.scope import Scope
from gridmap.center.filters import Filters
from gridmap.data import center
from gridmap.data import periods as periodparts
from gridmap.data import tally as tally_data


@dataclass(frozen=True)
class Bins:
    """Incidents per cell of the fixed lattice of migration 0013 (cells with none left out)."""

    ix: np.ndarray  # columns: floor(lon / dlon)
    iy: np.ndarray  # rows: floor(lat / dlat)
    n: np.ndarray
    dlon: float  # the cell, in degrees
    dlat: float


def bins(conn: psycopg.Connection, scope: Scope, f: Filters, now: datetime) -> Bins:
    """Incidents per ~100 m cell (for densities and the fishnet).

    Read from incident_bins (kind × month), with the part months and the batches it leaves out
    counted directly, like the tally (``_tally``). Asked by category, state, area or deadline
    (which the bins do not keep), or for under half a month, the incidents are counted."""
    plan = periodparts.split(f.start, f.end)
    narrowed = f.overdue or f.categories or f.state != "all" or f.package_area or f.village
    cells = "gm_bin_x(i.geom) AS ix, gm_bin_y(i.geom) AS iy"
    if narrowed or not plan.tallied or not scope.whole:
        where, params = center.filter_where(scope, f, now)
        rows = conn.execute(
            sql.SQL("SELECT {}, count(*)::int AS n FROM incident i WHERE {} GROUP BY 1, 2").format(
                sql.SQL(cells), where
            ),
            params,
            prepare=False,
        ).fetchall()
        return _bins(rows, [_lattice(conn)])
    params = {
        "street": scope.street_code,
        "kinds": list(f.kinds),
        "first": plan.first,
        "last": plan.last,
        "first_year": plan.first.year,
        "last_year": plan.last.year,
        "inner_start": plan.tally_start,
        "inner_end": plan.tally_end,
    }
    stored = conn.execute(  # with the lattice's size, in one round trip
        """SELECT s.dlon, s.dlat, b.cells FROM gm_bin_size() s
             LEFT JOIN incident_bins b
               ON b.street_code = %(street)s AND b.year BETWEEN %(first_year)s AND %(last_year)s
              AND make_date(b.year, b.month, 1) BETWEEN %(first)s AND %(last)s
              AND b.kind = ANY(%(kinds)s)""",
        params,
        prepare=False,
        binary=True,  # the packed cells as they lie, not as hex
    ).fetchall()
    arms = []
    untallied = tally_data.untallied_batches(conn, scope.street_code)
    if untallied:
        params["untallied"] = untallied
        arms.append(
            f"SELECT {cells}, 1 AS n FROM incident i WHERE i.street_code = %(street)s"
            " AND i.kind = ANY(%(kinds)s) AND i.batch_id = ANY(%(untallied)s) AND " + center.INNER
        )
    for k, piece in enumerate(plan.pieces):
        params.update({f"p{k}_start": piece.start, f"p{k}_end": piece.end})
        arms.append(
            f"SELECT {cells}, {piece.sign} AS n FROM incident i"
            " WHERE i.street_code = %(street)s AND i.kind = ANY(%(kinds)s)"
            f" AND i.occurred_at >= %(p{k}_start)s AND i.occurred_at < %(p{k}_end)s"
        )
    counted = []
    if arms:
        counted = conn.execute(
            "SELECT ix, iy, sum(n)::int AS n FROM (" + " UNION ALL ".join(arms) + ") c"
            " GROUP BY 1, 2",
            params,
            prepare=False,
        ).fetchall()
    return _bins(counted, stored)


def _lattice(conn: psycopg.Connection) -> dict:
    return conn.execute("SELECT dlon, dlat, NULL::bytea AS cells FROM gm_bin_size()").fetchone()


def _bins(rows: list[dict], stored: list[dict]) -> Bins:
    """Sum the cells of counted rows and of stored rows (packed: see migration 0013; each
    stored row carries the lattice's size, and at least one row is given)."""
    size = stored[0]
    blob = b"".join(r["cells"] for r in stored if r["cells"] is not None)
    packed = np.frombuffer(blob, dtype=">i4").reshape(-1, 3).T.astype(np.int64)
    counted = np.array([(r["ix"], r["iy"], r["n"]) for r in rows], dtype=np.int64).reshape(-1, 3)
    x, y, c = np.concatenate([packed, counted.T], axis=1)
    if len(x):
        x0, y0 = x.min(), y.min()
        height = int(y.max() - y0) + 1
        total = np.bincount((x - x0) * height + (y - y0), weights=c)
        cell = np.flatnonzero(total)
        x, y, c = cell // height + x0, cell % height + y0, total[cell].astype(np.int64)
    return Bins(x, y, c, float(size["dlon"]), float(size["dlat"]))
