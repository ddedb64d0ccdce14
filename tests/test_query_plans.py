"""The everyday queries that scanned every incident at a million have an index to go by.

Each data-layer call runs on a connection that prints its plans (auto_explain, as notices), with
sequential scans discouraged so that a small test database shows which index a large one would
use. bench/center.py measures the same calls at a million incidents, cold and warm.
"""

from __future__ import annotations

from datetime import date, datetime

import psycopg
import pytest
from psycopg.rows import dict_row

from gridmap.accounts.scope import Scope
from gridmap.center.filters import Filters
from gridmap.core.clock import LOCAL
from gridmap.data import cases, divisions, tally
from gridmap.data import incidents as incident_data
from gridmap.store import cluster

STREET = "420114004"
SCOPE = Scope.street(STREET)
NOW = datetime(2026, 6, 1, tzinfo=LOCAL)


@pytest.fixture()
def explained(settings, demo_loaded):
    """A connection (the cluster's superuser, who may load auto_explain) and its plans."""
    url = cluster.from_config(settings).url_for(cluster.ADMIN)
    plans: list[str] = []
    with psycopg.connect(url, row_factory=dict_row, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_level = notice",
            "SET auto_explain.log_nested_statements = on",
            "SET enable_seqscan = off",
        ):
            conn.execute(setting)
        yield conn, plans


def months(conn, f: Filters) -> list[dict]:
    return tally.read(conn, "occurred", f.period, f, SCOPE, by="grid_month", now=NOW)


def cells(conn, f: Filters):
    return tally.read(conn, "cells", f.period, f, SCOPE, by="cell", now=NOW)


def closed(conn, start, end, kinds) -> dict[str, int]:
    rows = tally.read(
        conn, "closed", tally.Period(start, end), tally.Kinds(tuple(kinds)), SCOPE, by="grid"
    )
    return {r["grid_code"]: r["n"] for r in rows}


def plan_of(plans: list[str], call) -> str:
    plans.clear()
    call()
    return "\n".join(plans)


def test_overdue_cases_use_the_index_of_open_deadlines(explained):
    conn, plans = explained
    f = Filters(date(2026, 1, 1), date(2026, 12, 31), overdue=True)
    text = plan_of(plans, lambda: months(conn, f))
    assert "using incident_open_" in text, text  # either partial index of open cases


def test_a_grid_members_open_cases_use_the_index_of_open_cases_by_grid(explained):
    conn, plans = explained
    grid = conn.execute(
        "SELECT grid_code FROM incident WHERE street_code = %s AND closed_at IS NULL LIMIT 1",
        (STREET,),
    ).fetchone()["grid_code"]
    text = plan_of(plans, lambda: cases.open_in_grids(conn, SCOPE, [grid], NOW))
    assert "using incident_open_" in text and "Function Scan on gm_clock" not in text, text


def test_cases_closed_in_a_period_read_the_tally_and_count_only_its_edges(explained):
    conn, plans = explained
    start, end = datetime(2026, 1, 5, tzinfo=LOCAL), datetime(2026, 5, 20, tzinfo=LOCAL)
    kinds = ["dispute", "petition"]
    text = plan_of(plans, lambda: closed(conn, start, end, kinds))
    assert "incident_tally" in text and "incident_closed_idx" in text, text
    direct = conn.execute(
        """SELECT grid_code, count(*)::int AS n FROM incident WHERE street_code = %s
              AND closed_at >= %s AND closed_at < %s AND kind = ANY(%s) GROUP BY 1""",
        (STREET, start, end, kinds),
    ).fetchall()
    assert direct  # the demo's current year closes cases in those months
    assert closed(conn, start, end, kinds) == {r["grid_code"]: r["n"] for r in direct}


def test_the_newest_incident_of_a_division_walks_the_time_index(explained):
    conn, plans = explained
    division = conn.execute(
        "SELECT id FROM division WHERE street_code = %s AND status = 'published'", (STREET,)
    ).fetchone()["id"]
    text = plan_of(plans, lambda: divisions.latest_incident_time(conn, division))
    assert "incident_time_idx" in text, text


def test_a_batchs_ids_use_the_batch_index(explained):
    conn, plans = explained
    batch = conn.execute(
        "SELECT min(id) AS id FROM load_batch WHERE street_code = %s", (STREET,)
    ).fetchone()["id"]
    text = plan_of(plans, lambda: incident_data.ids_of_batch(conn, STREET, batch))
    assert "incident_batch_idx" in text, text


def test_a_part_month_period_reads_the_tally_and_counts_only_its_edges(explained):
    conn, plans = explained
    f = Filters(date(2026, 3, 5), date(2026, 11, 20))
    text = plan_of(plans, lambda: months(conn, f))
    assert "incident_tally" in text and "incident_time_idx" in text, text
    # … and gives what counting every incident gives.
    direct = conn.execute(
        """SELECT grid_code, gm_month(occurred_at) AS month, count(*)::int AS n FROM incident
            WHERE street_code = %s AND occurred_at >= %s AND occurred_at < %s
              AND kind = ANY(%s) GROUP BY 1, 2""",
        (STREET, f.start, f.end, list(f.kinds)),
    ).fetchall()
    got = months(conn, f)
    assert sorted((r["grid_code"], r["month"], r["n"]) for r in got) == sorted(
        (r["grid_code"], r["month"], r["n"]) for r in direct
    )


def _direct_bins(conn, f: Filters) -> dict[tuple[int, int], int]:
    rows = conn.execute(
        """SELECT gm_bin_x(geom) AS ix, gm_bin_y(geom) AS iy, count(*)::int AS n FROM incident
            WHERE street_code = %s AND occurred_at >= %s AND occurred_at < %s
              AND kind = ANY(%s) GROUP BY 1, 2""",
        (STREET, f.start, f.end, list(f.kinds)),
    ).fetchall()
    return {(r["ix"], r["iy"]): r["n"] for r in rows}


def test_the_bins_of_a_period_are_read_from_incident_bins_and_equal_a_count(explained):
    conn, plans = explained
    f = Filters(date(2026, 1, 20), date(2026, 5, 10))  # a long first and a short last month
    text = plan_of(plans, lambda: cells(conn, f))
    assert "incident_bins" in text and "incident_time_idx" in text, text
    got = cells(conn, f)
    want = _direct_bins(conn, f)
    assert len(want) > 10
    read = zip(got.ix.tolist(), got.iy.tolist(), got.n.tolist(), strict=True)
    assert {(x, y): n for x, y, n in read} == want
    # The lattice: a cell is about 100 m by 100 m here.
    assert 90 < got.dlon * 111_320 * 0.862 < 100 and 95 < got.dlat * 110_574 < 105


def test_bins_asked_by_category_are_counted_from_the_incidents(explained):
    conn, plans = explained
    f = Filters(date(2026, 1, 1), date(2026, 5, 31), categories=("neighbour",))
    text = plan_of(plans, lambda: cells(conn, f))
    assert "incident_bins" not in text, text
