"""incident_tally stays equal to a count of the incidents, whatever writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest

from gridmap import incidents, tally
from gridmap.data import center
from gridmap.data import tally as tally_data
from gridmap.filters import Filters
from tests import small_street as st

TALLY = """SELECT package_area_code, village_code, grid_code, month, kind, category, closed, n,
                  round(sum_lon::numeric, 9) AS lon, round(sum_lat::numeric, 9) AS lat
             FROM incident_tally_monthly WHERE street_code = %(s)s ORDER BY 1, 2, 3, 4, 5, 6, 7"""
COUNT = """SELECT i.package_area_code, i.village_code, i.grid_code,
                  (date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date AS month,
                  i.kind, i.category, coalesce(s.is_final, false) AS closed, count(*)::int AS n,
                  round(sum(ST_X(i.geom))::numeric, 9) AS lon,
                  round(sum(ST_Y(i.geom))::numeric, 9) AS lat
             FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
             JOIN load_batch b ON b.street_code = i.street_code AND b.id = i.batch_id
            WHERE i.street_code = %(s)s AND b.tallied
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7"""
# Rows of the table itself: twelve cells each, and none left without an incident.
ROWS = """SELECT count(*) FILTER (WHERE NOT 0 < ANY (n)) AS empty,
                 count(*) FILTER (WHERE cardinality(n) <> 12) AS misshapen
            FROM incident_tally WHERE street_code = %(s)s"""


def same(conn) -> bool:
    tally = conn.execute(TALLY, {"s": st.CODE}).fetchall()
    counted = conn.execute(COUNT, {"s": st.CODE}).fetchall()
    rows = conn.execute(ROWS, {"s": st.CODE}).fetchone()
    return tally == counted and rows == {"empty": 0, "misshapen": 0}


@pytest.mark.parametrize("few", [100, 0], ids=["as parameters", "by COPY"])
def test_tally_follows_loads_updates_and_deletes(conn, placement, monkeypatch, few):
    monkeypatch.setattr(tally_data, "FEW", few)  # both ways of writing a batch's tally
    st.create(conn)
    frame = pd.DataFrame(
        {
            "kind": ["dispute", "dispute", "petition", "dispute"],
            "status": ["found", "resolved", "registered", "found"],
            "category": ["land", "land", "", "family"],
            "lon": [114.005, 114.006, 114.015, 114.015],
            "lat": [30.005, 30.006, 30.015, 30.005],
            "occurred_at": [
                "2021-03-01 10:00",
                "2021-03-31 23:30",
                "2021-04-01 00:10",
                "2021-05-01 08:00",
            ],
            "reported_at": "2021-06-01 00:00",
        }
    )
    incidents.load(conn, placement, st.CODE, frame, source="t")
    assert same(conn)
    # A second batch adds to the cells of rows already there, and opens a new year.
    again = pd.concat(
        [
            frame.iloc[:2],
            frame.iloc[:1].assign(occurred_at="2022-12-31 23:59", reported_at="2023-01-01 08:00"),
        ]
    )
    incidents.load(conn, placement, st.CODE, again, source="t")
    assert same(conn)
    march = conn.execute(
        "SELECT sum(n) AS n FROM incident_tally_monthly WHERE street_code = %s"
        " AND month = '2021-03-01'",
        (st.CODE,),
    ).fetchone()["n"]
    assert march == 4  # 23:30 on 31 March, Beijing time, is still March
    conn.execute(
        "UPDATE incident SET status = 'resolved' WHERE street_code = %s AND status = 'found'",
        (st.CODE,),
    )
    assert same(conn)
    conn.execute("DELETE FROM incident WHERE street_code = %s AND kind = 'petition'", (st.CODE,))
    assert same(conn)
    st.create(conn)  # purges the street
    assert (
        conn.execute(
            "SELECT count(*) AS n FROM incident_tally WHERE street_code = %s", (st.CODE,)
        ).fetchone()["n"]
        == 0
    )
    conn.rollback()


def test_demo_tally_matches_its_incidents(conn, demo_loaded):
    tally = conn.execute(
        "SELECT sum(n)::int AS n FROM incident_tally_monthly WHERE street_code = %s",
        ("420114004",),
    ).fetchone()["n"]
    count = conn.execute(
        "SELECT count(*)::int AS n FROM incident WHERE street_code = %s", ("420114004",)
    ).fetchone()["n"]
    assert tally == count


def scattered(n: int, seed: int) -> pd.DataFrame:
    """Incidents spread over every grid and month of two years: hardly two share a cell."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 730 * 1440, n), "min")
    return pd.DataFrame(
        {
            "kind": "dispute",
            "status": rng.choice(["found", "resolved"], n),
            "category": rng.choice(["land", "family", "neighbour"], n),
            "lon": rng.uniform(114.0005, 114.0195, n),
            "lat": rng.uniform(30.0005, 30.0195, n),
            "occurred_at": day.strftime("%Y-%m-%d %H:%M"),
            "reported_at": "2023-06-01 00:00",
        }
    )


def direct(conn, f: Filters) -> tuple[list, list]:
    """What the center reads, computed from the incidents themselves."""
    months = conn.execute(
        """SELECT grid_code, (date_trunc('month', occurred_at AT TIME ZONE 'Asia/Shanghai'))::date
                  AS month, count(*)::int AS n
             FROM incident WHERE street_code = %s AND kind = ANY(%s)
              AND occurred_at >= %s AND occurred_at < %s GROUP BY 1, 2 ORDER BY 1, 2""",
        (st.CODE, list(f.kinds), f.start, f.end),
    ).fetchall()
    grids = conn.execute(
        """SELECT grid_code, count(*)::int AS n, round(avg(ST_X(geom))::numeric, 9) AS lon
             FROM incident WHERE street_code = %s AND kind = ANY(%s)
              AND occurred_at >= %s AND occurred_at < %s GROUP BY 1 ORDER BY 1""",
        (st.CODE, list(f.kinds), f.start, f.end),
    ).fetchall()
    return months, grids


def read(conn, f: Filters, bbox) -> tuple[list, list]:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    months = sorted(
        (r["grid_code"], r["month"], r["n"])
        for r in center.grid_month_counts(conn, st.CODE, f, now)
    )
    grids = sorted(
        (r["grid_code"], r["n"], round(r["lon"], 9))
        for r in center.grids_in_view(conn, st.CODE, f, now, bbox)
    )
    return months, grids


def test_a_batch_that_would_not_aggregate_is_counted_directly(conn, placement, monkeypatch):
    st.create(conn)
    incidents.load(conn, placement, st.CODE, scattered(40, seed=1), source="dense")
    monkeypatch.setattr(tally, "CHECK_FROM", 10)
    thin = incidents.load(conn, placement, st.CODE, scattered(40, seed=2), source="thin")
    assert (
        not thin.tallied
    )  # 40 incidents, 48 tally rows for 4 grids, 3 categories, 2 states, 2 years
    tallied = conn.execute(
        "SELECT sum(n)::int AS n FROM incident_tally_monthly WHERE street_code = %s", (st.CODE,)
    ).fetchone()["n"]
    assert tallied == 40
    f = Filters(date(2021, 1, 1), date(2022, 12, 31), kinds=("dispute",))
    bbox = (113.9, 29.9, 114.1, 30.1)
    want = direct(conn, f)
    months, grids = read(conn, f, bbox)
    assert months == [(r["grid_code"], r["month"], r["n"]) for r in want[0]]
    assert grids == [(r["grid_code"], r["n"], float(r["lon"])) for r in want[1]]
    assert sum(n for _, _, n in months) == 80
    # Workflow changes to the untallied incidents leave the tally alone; reads stay exact.
    conn.execute(
        "UPDATE incident SET status = 'resolved' WHERE street_code = %s AND batch_id = %s",
        (st.CODE, thin.batch_id),
    )
    conn.execute(
        "DELETE FROM incident WHERE street_code = %s AND id IN (SELECT id FROM incident"
        " WHERE street_code = %s ORDER BY id LIMIT 30)",
        (st.CODE, st.CODE),
    )
    assert same(conn)
    months, _ = read(conn, f, bbox)
    assert months == [(r["grid_code"], r["month"], r["n"]) for r in direct(conn, f)[0]]
    conn.rollback()
