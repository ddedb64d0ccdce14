"""Benchmark: everyday writes — concurrent state changes on top of a million incidents.

Run from the project folder::

    .venv/bin/python bench/writes.py [--incidents 1000000] [--changes 10000] [--writers 8]

In a private database it loads the demo street and adds N incidents (uniform over the street
and six years, every kind and state, closed cases with their closing times), as the bulk loader
does. It then takes open cases in the few grids that have the most and makes ``--changes``
state changes on them from ``--writers`` connections at once, each change one transaction
through ``incident_transition`` (the one call that checks the workflow, writes the event and
updates the case), as the app's role. Every writer works on cases of the same grids, so their
tally rows are the same; with the tally's rows upserted (migration 0007) this deadlocked.

Printed, side by side in one run:

* the state changes as shipped: throughput, p50 / p99 latency, deadlocks and other errors;
* the same state changes on other cases of the same grids with the tally's update trigger
  disabled: the baseline, so the ratio is what keeping the tally costs;
* a plain single-row UPDATE of each case's description from as many writers (what "a plain
  update" costs on this machine);
* afterwards, the tally against a direct count of the incidents (it must be equal), and the
  time to compact it;
* before the writes, the everyday queries of bench/center.py on these incidents, spread over
  six years as the issue measured them (bench/center.py has a million in one year).

Benchmarks are not tests: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import attribution  # noqa: E402
import center as center_bench  # noqa: E402

from gridmap.data import incidents as incident_data  # noqa: E402
from gridmap.data import tally_upkeep  # noqa: E402
from gridmap.geo.placement import Placement  # noqa: E402
from gridmap.intake import load as incidents  # noqa: E402
from gridmap.store import db, sandbox  # noqa: E402

STREET = "420114004"
TRANSITION = "SELECT incident_transition(%s, %s, %s)"
PLAIN = "UPDATE incident SET description = description || '。' WHERE street_code = %s AND id = %s"
# The direct count and the tally, per grid, month, kind, category and state.
DIRECT = """SELECT grid_code, gm_month(occurred_at) AS month, kind, category,
                   closed_at IS NOT NULL AS closed, count(*)::int AS n
              FROM incident i WHERE street_code = %(s)s AND NOT EXISTS (
                   SELECT FROM load_batch b WHERE b.street_code = i.street_code
                      AND b.id = i.batch_id AND NOT b.tallied)
             GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""
TALLIED = """SELECT grid_code, month, kind, category, closed, sum(n)::int AS n
               FROM incident_tally_monthly WHERE street_code = %(s)s
              GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5"""


def open_cases(conn, wanted: int) -> tuple[list[tuple[int, str]], list[str]]:
    """``wanted`` open cases with a next step that needs no reason, from the fewest grids that
    hold that many: (id, next state), and the grids."""
    grids = conn.execute(
        """SELECT grid_code, count(*) AS n FROM incident
            WHERE street_code = %s AND closed_at IS NULL GROUP BY 1 ORDER BY 2 DESC""",
        (STREET,),
    ).fetchall()
    chosen, total = [], 0
    for g in grids:
        chosen.append(g["grid_code"])
        total += g["n"]
        if total >= wanted * 1.3:
            break
    rows = conn.execute(
        """SELECT DISTINCT ON (i.id) i.id, t.to_status
             FROM incident i JOIN workflow_transition t
               ON t.kind = i.kind AND t.from_status = i.status AND NOT t.reason_required
            WHERE i.street_code = %s AND i.grid_code = ANY(%s) AND i.closed_at IS NULL
            ORDER BY i.id, t.to_status""",
        (STREET, chosen),
    ).fetchall()
    return [(r["id"], r["to_status"]) for r in rows[:wanted]], chosen


def run(settings, jobs: list[tuple[int, str]], writers: int, plain: bool = False) -> dict:
    """The jobs from ``writers`` connections at once, one transaction each."""
    slices = [jobs[w::writers] for w in range(writers)]
    latencies: list[list[float]] = [[] for _ in range(writers)]
    errors: list[list[str]] = [[] for _ in range(writers)]
    start = threading.Barrier(writers + 1)

    def writer(w: int) -> None:
        with db.connect(settings, autocommit=True) as conn:
            start.wait()
            for incident_id, to_status in slices[w]:
                t = time.perf_counter()
                try:
                    if plain:
                        conn.execute(PLAIN, (STREET, incident_id))
                    else:
                        conn.execute(TRANSITION, (STREET, incident_id, to_status))
                except psycopg.Error as exc:
                    errors[w].append(exc.sqlstate or type(exc).__name__)
                latencies[w].append(time.perf_counter() - t)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    lat = np.array([x for part in latencies for x in part]) * 1000
    errs = [e for part in errors for e in part]
    return {
        "n": len(lat),
        "per_s": len(lat) / elapsed,
        "p50": float(np.percentile(lat, 50)),
        "p99": float(np.percentile(lat, 99)),
        "deadlocks": errs.count("40P01"),
        "errors": len(errs) - errs.count("40P01"),
        "kinds": sorted(set(errs)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--port", type=int, default=54398)
    args = parser.parse_args(argv)
    print(
        f"gridmap writes benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
        f"{os.cpu_count()} cores, {args.writers} writers, {args.changes:,} state changes on "
        f"{args.incidents:,} incidents"
    )
    with sandbox.database(args.port, prefix="gridmap-bench-") as settings:
        with (
            db.connect(settings, autocommit=True) as conn,
            db.connect_owner(settings, autocommit=True) as owner,
        ):
            attribution.OWNER = owner
            attribution.build_demo(owner)
            division = attribution.division_of(conn, "demo street", STREET)
            ref = incident_data.reference(conn)
            rows = attribution.as_text(
                attribution.random_rows(division, ref, args.incidents, seed=7)
            )
            t = time.perf_counter()
            result = incidents.load(conn, Placement(), STREET, rows, source="bench")
            print(
                f"loaded {result.rows:,} incidents in {time.perf_counter() - t:.1f} s "
                f"({'tallied' if result.tallied else 'left out of the tally'})"
            )
            center_bench.SETTINGS = settings
            queries = center_bench.query_timings(conn)
            direct = center_bench.direct_timings(conn)
            jobs, grids = open_cases(conn, 3 * args.changes)
            print(f"{len(jobs):,} open cases in {len(grids)} grids: {', '.join(grids)}")
            shipped, baseline, plain = (
                jobs[0::3][: args.changes],
                jobs[1::3][: args.changes],
                jobs[2::3][: args.changes],
            )
            results = {"as shipped": run(settings, shipped, args.writers)}
            same = (
                conn.execute(TALLIED, {"s": STREET}).fetchall()
                == conn.execute(DIRECT, {"s": STREET}).fetchall()
            )
            rows_before = tally_upkeep.rows(conn, STREET)
            t = time.perf_counter()
            tally_upkeep.compact(conn, STREET)
            compact_s = time.perf_counter() - t
            rows_after = tally_upkeep.rows(conn, STREET)
            same_after = (
                conn.execute(TALLIED, {"s": STREET}).fetchall()
                == conn.execute(DIRECT, {"s": STREET}).fetchall()
            )
            owner.execute("ALTER TABLE incident DISABLE TRIGGER incident_tally_update")
            try:
                results["tally trigger off"] = run(settings, baseline, args.writers)
            finally:
                owner.execute("ALTER TABLE incident ENABLE TRIGGER incident_tally_update")
            results["plain UPDATE"] = run(settings, plain, args.writers, plain=True)
    print()
    head = (
        f"{'':<20} {'changes':>8} {'per s':>8} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'deadlocks':>9} {'errors':>6}"
    )
    print(head)
    print("─" * len(head))
    for name, r in results.items():
        print(
            f"{name:<20} {r['n']:>8,} {r['per_s']:>8.0f} {r['p50']:>7.2f} {r['p99']:>7.2f}"
            f" {r['deadlocks']:>9} {r['errors']:>6} {' '.join(r['kinds'])}"
        )
    a, b, c = results["as shipped"], results["tally trigger off"], results["plain UPDATE"]
    print(
        f"\nkeeping the tally: throughput {a['per_s'] / b['per_s']:.2f}× the baseline, p50 "
        f"{a['p50'] / b['p50']:.2f}×, p99 {a['p99'] / b['p99']:.2f}×; a state change costs "
        f"{a['p50'] / c['p50']:.2f}× a plain single-row UPDATE (p50)"
    )
    print(
        f"tally equal to a direct count after the run: {same}; {rows_before:,} rows, compacted "
        f"to {rows_after:,} in {compact_s:.2f} s (still equal: {same_after})"
    )
    print("targets: 0 deadlocks, 0 errors, the tally equal to a direct count")
    center_bench.print_queries([(args.incidents, None, None, None, None, queries)])
    center_bench.print_direct(queries, direct)
    return 0


if __name__ == "__main__":
    sys.exit(main())
