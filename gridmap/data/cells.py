"""The ~100 m cells of the center's fishnet and heat surface, read from incident_bins (migration
0013: incidents per cell of a fixed lattice, kind and month, packed), for gridmap.data.tally's
reader, which decides whether the bins can answer and passes what they leave to count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import sql

from gridmap.data import periods

CELLS = "gm_bin_x(i.geom) AS ix, gm_bin_y(i.geom) AS iy"


@dataclass(frozen=True)
class Bins:
    """Incidents per cell of the fixed lattice of migration 0013 (cells with none left out)."""

    ix: np.ndarray  # columns: floor(lon / dlon)
    iy: np.ndarray  # rows: floor(lat / dlat)
    n: np.ndarray
    dlon: float  # the cell, in degrees
    dlat: float


def counted(conn: psycopg.Connection, where: sql.Composable, params: dict) -> Bins:
    """The incidents matching ``where`` (on ``i``), counted per cell."""
    rows = conn.execute(
        sql.SQL("SELECT {}, count(*)::int AS n FROM incident i WHERE {} GROUP BY 1, 2").format(
            sql.SQL(CELLS), where
        ),
        params,
        prepare=False,
    ).fetchall()
    return _bins(rows, [_lattice(conn)])


def from_bins(
    conn: psycopg.Connection,
    plan: periods.Plan,
    kinds: list[str],
    street_code: str,
    untallied: list[int],
) -> Bins:
    """The bins of the whole months, with the batches they leave out and the part months
    counted (signed) per cell."""
    params = {
        "street": street_code,
        "kinds": kinds,
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
    if untallied:
        params["untallied"] = untallied
        arms.append(
            f"SELECT {CELLS}, 1 AS n FROM incident i WHERE i.street_code = %(street)s"
            " AND i.kind = ANY(%(kinds)s) AND i.batch_id = ANY(%(untallied)s)"
            " AND i.occurred_at >= %(inner_start)s AND i.occurred_at < %(inner_end)s"
        )
    for k, piece in enumerate(plan.pieces):
        params.update({f"p{k}_start": piece.start, f"p{k}_end": piece.end})
        arms.append(
            f"SELECT {CELLS}, {piece.sign} AS n FROM incident i"
            " WHERE i.street_code = %(street)s AND i.kind = ANY(%(kinds)s)"
            f" AND i.occurred_at >= %(p{k}_start)s AND i.occurred_at < %(p{k}_end)s"
        )
    found = []
    if arms:
        found = conn.execute(
            "SELECT ix, iy, sum(n)::int AS n FROM (" + " UNION ALL ".join(arms) + ") c"
            " GROUP BY 1, 2",
            params,
            prepare=False,
        ).fetchall()
    return _bins(found, stored)


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
