"""incident_tally stays equal to a count of the incidents, whatever writes them, and writers
never wait for one another on it."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import psycopg
import pytest

from gridmap.accounts.scope import Scope
from gridmap.center.filters import Filters
from gridmap.core.clock import LOCAL
from gridmap.data import incidents as incident_data
from gridmap.data import tally as tally_data
from gridmap.data import tally_upkeep, workflow
from gridmap.intake import fold as tally
from gridmap.intake import load as incidents
from gridmap.store import db
from tests import small_street as st

# What the tally says (its appended rows summed), and what the incidents say, for the tallied.
TALLY = """SELECT package_area_code, village_code, grid_code, month, kind, category, closed,
                  sum(n)::int AS n, round(sum(sum_lon)::numeric, 9) AS lon,
                  round(sum(sum_lat)::numeric, 9) AS lat
             FROM incident_tally_monthly WHERE street_code = %(s)s
            GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7"""
COUNT = """SELECT i.package_area_code, i.village_code, i.grid_code,
                  gm_month(i.occurred_at) AS month, i.kind, i.category,
                  i.closed_at IS NOT NULL AS closed, count(*)::int AS n,
                  round(sum(ST_X(i.geom))::numeric, 9) AS lon,
                  round(sum(ST_Y(i.geom))::numeric, 9) AS lat
             FROM incident i
             LEFT JOIN load_batch b ON b.street_code = i.street_code AND b.id = i.batch_id
            WHERE i.street_code = %(s)s AND coalesce(b.tallied, true)
            GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7"""
CLOSED_TALLY = """SELECT grid_code, month, kind, category, sum(n)::int AS n
                    FROM incident_closed_monthly WHERE street_code = %(s)s
                   GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4"""
CLOSED_COUNT = """SELECT i.grid_code, gm_month(i.closed_at) AS month, i.kind, i.category,
                         count(*)::int AS n
                    FROM incident i
                    LEFT JOIN load_batch b ON b.street_code = i.street_code AND b.id = i.batch_id
                   WHERE i.street_code = %(s)s AND coalesce(b.tallied, true)
                     AND i.closed_at IS NOT NULL
                   GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"""
# After compaction: one row per key, no cell that sums to nothing.
ROWS = """SELECT count(*) - count(DISTINCT (measure, grid_code, kind, category, closed, year))
                 AS repeated, count(*) FILTER (WHERE 0 = ANY (n)) AS empty
            FROM incident_tally WHERE street_code = %(s)s"""
BINS_ROWS = """SELECT count(*) AS n, count(*) - count(DISTINCT (kind, year, month)) AS repeated
                 FROM incident_bins WHERE street_code = %(s)s"""


BINS_COUNT = """SELECT i.kind, gm_month(i.occurred_at) AS month, gm_bin_x(i.geom) AS ix,
                       gm_bin_y(i.geom) AS iy, count(*)::int AS n
                  FROM incident i
                  LEFT JOIN load_batch b ON b.street_code = i.street_code AND b.id = i.batch_id
                 WHERE i.street_code = %(s)s AND coalesce(b.tallied, true)
                 GROUP BY 1, 2, 3, 4"""


def bins_of(conn) -> dict:
    """incident_bins summed cell by cell (its packed cells: migration 0013)."""
    out: dict = {}
    for r in conn.execute(
        "SELECT kind, make_date(year, month, 1) AS month, cells FROM incident_bins"
        " WHERE street_code = %(s)s",
        {"s": st.CODE},
    ):
        for ix, iy, n in np.frombuffer(r["cells"], dtype=">i4").reshape(-1, 3).tolist():
            k = (r["kind"], r["month"], ix, iy)
            out[k] = out.get(k, 0) + n
    return {k: n for k, n in out.items() if n}


ROLLUP = """SELECT grid_code, make_date(year, c.m, 1) AS month, kind, sum(c.n)::int AS n
              FROM incident_tally CROSS JOIN LATERAL unnest(months, n) AS c(m, n)
             WHERE street_code = %(s)s AND measure = 'occurred_all'
             GROUP BY 1, 2, 3 HAVING sum(c.n) <> 0 ORDER BY 1, 2, 3"""
ROLLUP_COUNT = """SELECT i.grid_code, gm_month(i.occurred_at) AS month, i.kind, count(*)::int AS n
                    FROM incident i
                    LEFT JOIN load_batch b ON b.street_code = i.street_code AND b.id = i.batch_id
                   WHERE i.street_code = %(s)s AND coalesce(b.tallied, true)
                   GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""


def same(conn) -> bool:
    key = {"s": st.CODE}
    if conn.execute(ROLLUP, key).fetchall() != conn.execute(ROLLUP_COUNT, key).fetchall():
        return False
    bins = {
        (r["kind"], r["month"], r["ix"], r["iy"]): r["n"]
        for r in conn.execute(BINS_COUNT, key).fetchall()
    }
    return (
        conn.execute(TALLY, key).fetchall() == conn.execute(COUNT, key).fetchall()
        and conn.execute(CLOSED_TALLY, key).fetchall() == conn.execute(CLOSED_COUNT, key).fetchall()
        and bins_of(conn) == bins
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


FRAME = pd.DataFrame(
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
        "closed_at": [None, "2021-04-02 10:00", None, None],
    }
)


def ids(conn, result) -> list[int]:
    return list(incidents.incident_ids(conn, st.CODE, result))


@pytest.mark.parametrize("large", [False, True], ids=["inline", "left out, then folded"])
def test_tally_follows_loads_transitions_edits_and_deletes(
    conn, owner, placement, monkeypatch, large
):
    st.create(owner, app=conn)
    if large:  # the path a million-row load takes, on four rows
        monkeypatch.setattr(tally, "DEFER_FROM", 1)
        monkeypatch.setattr(tally, "AT_MOST", 10.0)
    first = incidents.load(conn, placement, st.CODE, FRAME, source="t")
    assert first.tallied and same(conn)
    # A second batch adds to keys already there, and opens a new year.
    again = pd.concat(
        [
            FRAME.iloc[:2],
            FRAME.iloc[:1].assign(occurred_at="2022-12-31 23:59", reported_at="2023-01-01 08:00"),
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
    # State changes through the workflow, closing cases in later months, and reopening one.
    found = ids(conn, first)[0]
    workflow.transition(conn, st.CODE, found, "resolved", at=at("2021-06-15 09:00"))
    assert same(conn)
    workflow.transition(conn, st.CODE, found, "mediating", at=at("2021-07-01 09:00"), reason="反复")
    assert same(conn)
    # A category corrected; a note edited (which writes nothing to the tally).
    conn.execute(
        "UPDATE incident SET category = 'neighbour' WHERE street_code = %s AND id = %s",
        (st.CODE, ids(conn, first)[3]),
    )
    assert same(conn)
    rows = tally_upkeep.rows(conn, st.CODE)
    conn.execute("UPDATE incident SET description = '补充说明' WHERE street_code = %s", (st.CODE,))
    assert tally_upkeep.rows(conn, st.CODE) == rows
    conn.commit()
    # The owner removes incidents that have no history yet.
    owner.execute("DELETE FROM incident i WHERE street_code = %s AND kind = 'petition'", (st.CODE,))
    owner.commit()
    assert same(conn)
    tally_upkeep.compact(conn, st.CODE)
    assert same(conn) and conn.execute(ROWS, {"s": st.CODE}).fetchone() == {
        "repeated": 0,
        "empty": 0,
    }
    assert conn.execute(BINS_ROWS, {"s": st.CODE}).fetchone()["repeated"] == 0
    st.create(owner, app=conn)  # purges the street
    assert tally_upkeep.rows(conn, st.CODE) == 0
    assert conn.execute(BINS_ROWS, {"s": st.CODE}).fetchone()["n"] == 0


def test_a_compaction_never_loses_or_doubles_a_write_it_does_not_see(
    conn, owner, placement, settings
):
    """The bins' compaction counts its merged rows again from the incidents: a write committed
    after its snapshot keeps its own appended rows, and a write before it is in the count."""
    st.create(owner, app=conn)
    incidents.load(conn, placement, st.CODE, FRAME, source="t")
    incidents.load(conn, placement, st.CODE, FRAME.iloc[:2], source="t")
    conn.commit()
    with db.connect(settings) as writer:
        incidents.load(writer, placement, st.CODE, FRAME.iloc[:1], source="late")  # not committed
        assert tally_upkeep.compact(conn, st.CODE) > 0
        conn.commit()
        writer.commit()
    assert same(conn)
    assert tally_upkeep.compact(conn, st.CODE) > 0
    conn.commit()
    assert same(conn) and conn.execute(BINS_ROWS, {"s": st.CODE}).fetchone()["repeated"] == 0


def test_a_row_inserted_without_the_loader_is_tallied(conn, owner, placement):
    st.create(owner, app=conn)
    conn.execute(
        """INSERT INTO incident (street_code, kind, category, status, geom, occurred_at,
                                 reported_at, status_since, due_at, division_id, unit_id, grid_id,
                                 unit_code, grid_code, village_code, package_area_code)
           SELECT u.street_code, 'dispute', 'land', 'found',
                  ST_SetSRID(ST_MakePoint(114.005, 30.005), 4326), '2021-05-01 10:00+08',
                  '2021-05-01 11:00+08', '2021-05-01 11:00+08',
                  gm_due(u.street_code, 'dispute', 'found', '2021-05-01 11:00+08',
                         '2021-05-01 11:00+08'),
                  u.division_id, u.id, g.id, u.code, g.code, v.code, p.code
             FROM unit u JOIN grid g ON g.id = u.grid_id JOIN village v ON v.id = u.village_id
             JOIN package_area p ON p.id = v.package_area_id
            WHERE u.street_code = %s AND u.code = %s""",
        (st.CODE, st.U1),
    )
    assert same(conn) and len(conn.execute(TALLY, {"s": st.CODE}).fetchall()) == 1
    # … with its step's deadline by the street's rules (5 working days, gm_due).
    due = conn.execute("SELECT due_at FROM incident WHERE street_code = %s", (st.CODE,)).fetchone()[
        "due_at"
    ]
    # 1–5 May 2021 were the Labour Day holiday and Saturday 8 May a working day: 6, 7, 8, 10, 11.
    assert due == at("2021-05-12 00:00")
    conn.rollback()


def test_counts_as_of_a_month_end(conn, owner, placement):
    """A case closed in June was open at the end of May, and not at the end of June."""
    st.create(owner, app=conn)
    result = incidents.load(conn, placement, st.CODE, FRAME, source="t")
    found = ids(conn, result)[0]  # G1, occurred 1 March 2021
    workflow.transition(conn, st.CODE, found, "resolved", at=at("2021-06-20 09:00"))

    def open_at(month):
        end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=LOCAL)
        rows = tally_data.read(
            conn,
            "open",
            tally_data.Period(end, end),
            tally_data.Kinds(("dispute", "petition")),
            Scope.street(st.CODE),
        )
        return {r["grid_code"]: r["n"] for r in rows}

    def direct(month):
        after = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=LOCAL)
        rows = conn.execute(
            """SELECT grid_code, count(*)::int AS n FROM incident
                WHERE street_code = %s AND kind IN ('dispute', 'petition')
                  AND occurred_at < %s AND (closed_at IS NULL OR closed_at >= %s)
                GROUP BY 1""",
            (st.CODE, after, after),
        ).fetchall()
        return {r["grid_code"]: r["n"] for r in rows}

    for month in [date(2021, m, 1) for m in range(2, 8)]:
        assert open_at(month) == direct(month), month
    assert open_at(date(2021, 5, 1))[st.G1] == 1  # still open at the end of May
    assert st.G1 not in open_at(date(2021, 6, 1))  # closed on 20 June
    conn.rollback()


def test_the_demo_tally_matches_its_incidents(conn, demo_loaded):
    tally_n = conn.execute(
        "SELECT sum(n)::int AS n FROM incident_tally_monthly WHERE street_code = %s",
        ("420114004",),
    ).fetchone()["n"]
    count = conn.execute(
        "SELECT count(*)::int AS n FROM incident WHERE street_code = %s", ("420114004",)
    ).fetchone()["n"]
    assert tally_n == count


def scattered(n: int, seed: int) -> pd.DataFrame:
    """Incidents spread over every grid and month of two years: hardly two share a cell."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 730 * 1440, n), "min")
    status = rng.choice(["found", "resolved"], n)
    return pd.DataFrame(
        {
            "kind": "dispute",
            "status": status,
            "category": rng.choice(["land", "family", "neighbour"], n),
            "lon": rng.uniform(114.0005, 114.0195, n),
            "lat": rng.uniform(30.0005, 30.0195, n),
            "occurred_at": day.strftime("%Y-%m-%d %H:%M"),
            "reported_at": (day + pd.Timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
            "closed_at": np.where(
                status == "resolved", (day + pd.Timedelta(days=2)).strftime("%Y-%m-%d %H:%M"), None
            ),
        }
    )


def direct(conn, f: Filters) -> tuple[list, list]:
    """What the center reads, computed from the incidents themselves."""
    months = conn.execute(
        """SELECT grid_code, gm_month(occurred_at) AS month, count(*)::int AS n
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
        for r in tally_data.read(
            conn, "occurred", f.period, f, Scope.street(st.CODE), by="grid_month", now=now
        )
    )
    grids = sorted(
        (r["grid_code"], r["n"], round(r["lon"], 9))
        for r in tally_data.read(
            conn,
            "occurred",
            f.period,
            f,
            Scope.street(st.CODE),
            by="grid_position",
            now=now,
            bbox=bbox,
        )
    )
    return months, grids


def test_a_batch_that_would_not_aggregate_is_counted_directly(conn, owner, placement, monkeypatch):
    st.create(owner, app=conn)
    incidents.load(conn, placement, st.CODE, scattered(40, seed=1), source="dense")
    monkeypatch.setattr(tally, "DEFER_FROM", 10)
    thin = incidents.load(conn, placement, st.CODE, scattered(40, seed=2), source="thin")
    assert not thin.tallied  # 40 incidents, ~70 tally rows: left out for good
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
    # Workflow changes to the left-out incidents leave the tally alone; reads stay exact.
    for incident_id in ids(conn, thin)[:10]:
        row = incident_data.get(conn, Scope.street(st.CODE), incident_id)
        if row["status"] == "found":
            workflow.transition(conn, st.CODE, incident_id, "resolved")
    assert same(conn)
    months, _ = read(conn, f, bbox)
    assert months == [(r["grid_code"], r["month"], r["n"]) for r in direct(conn, f)[0]]
    conn.rollback()


def test_state_changes_in_two_grids_in_opposite_order_never_deadlock(
    settings, conn, owner, placement
):
    """Two transactions each close a case in grid G1 and one in G2, in opposite order: with
    the tally's rows upserted this ended in "deadlock detected"; appended, neither waits."""
    st.create(owner, app=conn)
    cases = FRAME.iloc[[0, 0, 3, 3]].reset_index(drop=True)  # two in G1, two in G2
    cases["lon"] = [114.005, 114.006, 114.015, 114.016]
    cases["lat"] = [30.005, 30.006, 30.005, 30.006]
    result = incidents.load(conn, placement, st.CODE, cases, source="t")
    conn.commit()
    g1a, g1b, g2a, g2b = ids(conn, result)
    barrier = threading.Barrier(2, timeout=20)
    errors: list[BaseException] = []

    def worker(order):
        try:
            with db.connect(settings) as c:
                c.execute("SET lock_timeout = '10s'")
                for n, incident_id in enumerate(order):
                    workflow.transition(c, st.CODE, incident_id, "resolved")
                    if n == 0:
                        barrier.wait()  # both hold their first change before the second
                c.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=([g1a, g2a],)),
        threading.Thread(target=worker, args=([g2b, g1b],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert same(conn)


def test_the_app_cannot_write_the_tally(conn, owner):
    st.create(owner, app=conn)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "INSERT INTO incident_tally VALUES (%s, 'occurred', 'p', 'v', 'g', 'dispute', '',"
            " false, 2021, '{1}', '{100}', '{0}', '{0}')",
            (st.CODE,),
        )
    conn.rollback()
