"""incident_tally stays equal to a count of the incidents, whatever writes them."""

from __future__ import annotations

import pandas as pd

from gridmap import incidents
from tests import small_street as st

TALLY = """SELECT grid_code, month, kind, category, closed, n FROM incident_tally
            WHERE street_code = %(s)s ORDER BY 1, 2, 3, 4, 5"""
COUNT = """SELECT i.grid_code,
                  (date_trunc('month', i.occurred_at AT TIME ZONE 'Asia/Shanghai'))::date AS month,
                  i.kind, i.category, coalesce(s.is_final, false) AS closed, count(*)::int AS n
             FROM incident i LEFT JOIN incident_status s ON s.kind = i.kind AND s.code = i.status
            WHERE i.street_code = %(s)s GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""


def same(conn) -> bool:
    tally = conn.execute(TALLY, {"s": st.CODE}).fetchall()
    counted = conn.execute(COUNT, {"s": st.CODE}).fetchall()
    return tally == counted


def test_tally_follows_loads_updates_and_deletes(conn, placement):
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
    march = conn.execute(
        "SELECT sum(n) AS n FROM incident_tally WHERE street_code = %s AND month = '2021-03-01'",
        (st.CODE,),
    ).fetchone()["n"]
    assert march == 2  # 23:30 on 31 March, Beijing time, is still March
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
        "SELECT sum(n)::int AS n FROM incident_tally WHERE street_code = %s", ("420114004",)
    ).fetchone()["n"]
    count = conn.execute(
        "SELECT count(*)::int AS n FROM incident WHERE street_code = %s", ("420114004",)
    ).fetchone()["n"]
    assert tally == count
