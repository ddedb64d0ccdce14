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

With ``--guards`` it measures instead what the database guards of issue 17 cost (migration
0021 and the repeatable files it changed): state changes, pins and the bulk load, each with the
guards and without them, in the same database, rounds alternated::

    .venv/bin/python bench/writes.py --guards [--incidents 1000000] [--rounds 5] [--per-round 200]

"Without" is the database as it stood at commit 652a84f for these writes: the owner applies
that commit's 04_workflow.sql, 05_integrity.sql and 09_bulk_loads.sql again (CREATE OR REPLACE,
their triggers dropped and created), disables the triggers 13_guards.sql and 09_bulk_loads.sql
added, and drops migration 0021's CHECK on the incident (incident_due_in_step); "with" applies
the current files again and puts all of it back. Printed: medians of the rounds and the ratio
with / without (target of the issue: at most 1.15) for

* a state change as the app makes it (gridmap.cases.service.move as the demo's center account,
  its own transaction), and incident_transition() alone with the same person;
* a pin through the API (POST /api/incidents, a Flask test client signed in as the demo's grid
  member: the handler of bench/pins.py without the network), and the pin's row inserted again
  by a bare INSERT (its checks and triggers alone, as bench/pins.py's baseline);
* the bulk load of ``--incidents`` rows (gridmap.intake.load.load, the load's transaction; the
  fold into the tally afterwards does not depend on the guards and is left out), after a
  TRUNCATE and a CHECKPOINT outside the clock, ``--load-rounds`` rounds.

Benchmarks are not tests: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
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
import pins as pins_bench  # noqa: E402

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
    parser.add_argument("--guards", action="store_true", help="the guards of issue 17, on/off")
    parser.add_argument("--rounds", type=int, default=5, help="--guards: rounds of each")
    parser.add_argument("--per-round", type=int, default=200, help="--guards: calls a round")
    parser.add_argument("--load-rounds", type=int, default=3, help="--guards: bulk loads each")
    args = parser.parse_args(argv)
    if args.guards:
        return guards_bench(args)
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


# --- the guards of issue 17, with and without --------------------------------------------

BEFORE = "652a84f"  # the last commit before the guards
CHANGED = ("04_workflow.sql", "05_integrity.sql", "09_bulk_loads.sql")
ADDED_TRIGGERS = (
    ("assignment", "assignment_area"),
    ("account", "account_insert_guard"),
    ("account", "account_change_guard"),
    ("audit_log", "audit_log_insert_guard"),
    ("incident_note", "incident_note_follow_up"),
    ("incident_photo", "incident_photo_follow_up"),
    ("bulk_index_rebuild", "bulk_index_rebuilt"),
)
ADDED_CHECK = "incident_due_in_step"
MODES = ("with", "without")
# A state change with nothing but the database: the same call workflow.transition makes.
BARE_TRANSITION = "SELECT incident_transition(%s, %s, %s, now(), %s, '', NULL)"


class Guards:
    """Switches the guards on and off in the sandbox, as its owner (see the docstring)."""

    def __init__(self, owner):
        self.owner = owner
        folder = ROOT / "gridmap" / "migrations" / "repeatable"
        self.now = [(folder / name).read_text() for name in CHANGED]
        self.before = [
            subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{BEFORE}:gridmap/migrations/repeatable/{name}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            for name in CHANGED
        ]
        self.check = owner.execute(
            "SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conname = %s",
            (ADDED_CHECK,),
        ).fetchone()["d"]

    def set(self, mode: str) -> None:
        on = mode == "with"
        with self.owner.transaction():
            self.owner.execute("SET LOCAL check_function_bodies = off")
            for text in self.now if on else self.before:
                self.owner.execute(text)
            for table, trigger in ADDED_TRIGGERS:
                state = "ENABLE" if on else "DISABLE"
                self.owner.execute(f"ALTER TABLE {table} {state} TRIGGER {trigger}")
            self.owner.execute(f"ALTER TABLE incident DROP CONSTRAINT IF EXISTS {ADDED_CHECK}")
            if on:
                self.owner.execute(
                    f"ALTER TABLE incident ADD CONSTRAINT {ADDED_CHECK} {self.check}"
                )
        # The switch took: the point's check is in the insert check exactly when the guards are.
        covers = self.owner.execute(
            "SELECT strpos(prosrc, 'ST_Covers') > 0 AS c FROM pg_proc WHERE proname = %s",
            ("incident_check_insert",),
        ).fetchone()["c"]
        assert covers == on, (mode, covers)


def movable(conn, wanted: int) -> list[tuple[int, str]]:
    """Open cases with a step the center may make without a reason: (id, next state), in an
    order spread over the street."""
    rows = conn.execute(
        """SELECT DISTINCT ON (i.id) i.id, t.to_status
             FROM incident i JOIN workflow_transition t
               ON t.kind = i.kind AND t.from_status = i.status AND NOT t.reason_required
              AND 'center' = ANY(t.roles)
            WHERE i.street_code = %s AND i.closed_at IS NULL
            ORDER BY i.id, t.to_status""",
        (STREET,),
    ).fetchall()
    order = np.random.default_rng(5).permutation(len(rows))
    jobs = [(rows[k]["id"], rows[k]["to_status"]) for k in order]
    if len(jobs) < wanted:
        raise SystemExit(f"only {len(jobs):,} movable cases, {wanted:,} wanted")
    return jobs[:wanted]


def timed(calls) -> list[float]:
    """Each call's wall time, in ms."""
    out = []
    for call in calls:
        t = time.perf_counter()
        call()
        out.append((time.perf_counter() - t) * 1000)
    return out


def moves(settings, actor, jobs) -> list[float]:
    """State changes as the app makes them: service.move, each in its own transaction."""
    from gridmap.cases import service

    with db.connect(settings) as conn:

        def move(incident_id: int, to_status: str):
            def call():
                service.move(conn, actor, incident_id, to_status)
                conn.commit()

            return call

        return timed(move(i, s) for i, s in jobs)


def bare_moves(settings, person: int, jobs) -> list[float]:
    with db.connect(settings, autocommit=True) as conn:
        return timed(
            (lambda i=i, s=s: conn.execute(BARE_TRANSITION, (STREET, i, s, person)))
            for i, s in jobs
        )


def signed_in(app, username: str):
    """A Flask test client signed in through the sign-in form, and its CSRF token."""
    from gridmap.demo import accounts as demo_accounts

    client = app.test_client()
    token = re.compile(r'name="csrf_token" value="([^"]+)"')
    page = client.get("/signin").get_data(as_text=True)
    form = {"username": username, "password": demo_accounts.PASSWORD}
    answer = client.post("/signin", data={**form, "csrf_token": token.search(page).group(1)})
    assert answer.status_code == 302, answer.status_code
    page = client.get("/account/password").get_data(as_text=True)
    return client, token.search(page).group(1)


def pins(client, token: str, points, made: list[int]) -> list[float]:
    """Pins through the API, one after the other; the incidents made are added to ``made``."""
    import uuid

    def pin(k: int, lon: float, lat: float):
        body = {
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "category": "neighbour",
            "title": f"压测上报 {k}",
            "description": "bench/writes.py --guards",
            "lon": lon,
            "lat": lat,
            "crs": "wgs84",
            "position": "manual",
        }

        def call():
            answer = client.post("/api/incidents", json=body, headers={"X-CSRFToken": token})
            assert answer.status_code == 201, answer.get_data(as_text=True)[:200]
            made.append(answer.get_json()["id"])

        return call

    return timed(pin(k, lon, lat) for k, (lon, lat) in enumerate(points))


def checkpoint(settings) -> None:
    """CHECKPOINT needs the private cluster's superuser (the owner may not)."""
    from gridmap.store import cluster

    with psycopg.connect(cluster.from_config(settings).url_for(cluster.ADMIN)) as admin:
        admin.autocommit = True
        admin.execute("CHECKPOINT")


def bulk_load(settings, conn, owner, guards: Guards, mode: str, text) -> float:
    from gridmap.intake import fold

    attribution.truncate_incidents(owner)
    guards.set(mode)
    checkpoint(settings)
    keep, fold.worth_keeping = fold.worth_keeping, lambda frame: False
    try:
        t = time.perf_counter()
        incidents.load(conn, Placement(), STREET, text, source="bench")
        return time.perf_counter() - t
    finally:
        fold.worth_keeping = keep


def alternated(guards: Guards, rounds: int, measure) -> dict[str, list[float]]:
    """``measure(mode, round)`` → one figure, for each mode in every round; the modes' order
    turns each round, so that the machine's drift falls on both alike."""
    figures: dict[str, list[float]] = {m: [] for m in MODES}
    for r in range(rounds):
        for mode in MODES if r % 2 == 0 else MODES[::-1]:
            guards.set(mode)
            figures[mode].append(measure(mode, r))
    return figures


def print_guards(name: str, unit: str, figures: dict[str, list[float]]) -> None:
    w, o = (statistics.median(figures[m]) for m in MODES)
    runs = " ".join(
        f"{a / b:.2f}" for a, b in zip(figures["with"], figures["without"], strict=True)
    )
    print(f"{name:<44} {w:>9.2f} {o:>9.2f} {unit:<3} {w / o:>6.2f}×   {runs}")


def guards_bench(args) -> int:
    from datetime import UTC, datetime

    from gridmap import create_app
    from gridmap.accounts.policy import Actor
    from gridmap.center.stats import weights
    from gridmap.data import accounts

    print(
        f"gridmap guards benchmark (issue 17), {time.strftime('%Y-%m-%d %H:%M')},"
        f" {platform.node()}, {os.cpu_count()} cores; {args.rounds} rounds of"
        f" {args.per_round} calls, {args.load_rounds} bulk loads of {args.incidents:,} each"
    )
    n = args.rounds * args.per_round
    with (
        sandbox.database(args.port, prefix="gridmap-bench-") as settings,
        db.connect(settings, autocommit=True) as conn,
        db.connect_owner(settings, autocommit=True) as owner,
    ):
        attribution.build_demo(owner)
        division = attribution.division_of(conn, "demo street", STREET)
        ref = incident_data.reference(conn)
        # Open cases to move: a small load of the street's kinds and states.
        incidents.load(
            conn,
            Placement(),
            STREET,
            attribution.as_text(attribution.random_rows(division, ref, 12 * n, seed=11)),
            source="bench",
        )
        owner.execute("VACUUM ANALYZE incident")
        center = accounts.by_username(conn, STREET, "center")
        assert center["person_id"] is not None  # the person the new check looks up
        actor = Actor.of(center, accounts.scope_of(conn, center, datetime.now(UTC)))
        jobs = movable(conn, 4 * n + 20)
        points = pins_bench.points_in(conn, 2 * n, seed=1)
        app = create_app({**settings, "DEMO": True})
        weights.warm_up()
        client, token = signed_in(app, "gridmember")
        guards = Guards(owner)
        made: dict[str, list[int]] = {m: [] for m in MODES}
        k = args.per_round

        def part(offset: int, mode: str, r: int) -> slice:
            base = (2 * r + MODES.index(mode)) * k
            return slice(offset + base, offset + base + k)

        # One round of each first, outside the figures: caches, plans, the pool.
        moves(settings, actor, jobs[4 * n :])
        pins(client, token, points[-20:], [])
        results = {}
        results["state change, service.move (the app's path)"] = alternated(
            guards,
            args.rounds,
            lambda m, r: statistics.median(moves(settings, actor, jobs[part(0, m, r)])),
        )
        results["state change, incident_transition() alone"] = alternated(
            guards,
            args.rounds,
            lambda m, r: statistics.median(
                bare_moves(settings, center["person_id"], jobs[part(2 * n, m, r)])
            ),
        )
        results["pin, POST /api/incidents (test client)"] = alternated(
            guards,
            args.rounds,
            lambda m, r: statistics.median(pins(client, token, points[part(0, m, r)], made[m])),
        )
        results["pin's row, bare INSERT (its checks alone)"] = alternated(
            guards,
            args.rounds,
            lambda m, r: float(
                np.median(pins_bench.bare_inserts(settings, made[m][r * k : (r + 1) * k], 1)) * 1000
            ),
        )
        text = attribution.as_text(attribution.random_rows(division, ref, args.incidents, seed=7))
        loads: dict[str, list[float]] = {m: [] for m in MODES}
        for r in range(args.load_rounds):
            for mode in MODES if r % 2 == 0 else MODES[::-1]:
                loads[mode].append(bulk_load(settings, conn, owner, guards, mode, text))
                print(f"  bulk load {mode} the guards: {loads[mode][-1]:.2f} s", flush=True)
        guards.set("with")
    print()
    print(
        f"{'median of the rounds (p50 of each round)':<44} {'with':>9} {'without':>9}"
        f" {'':<3} {'ratio':>7}   ratio of each round"
    )
    for name, figures in results.items():
        print_guards(name, "ms", figures)
    print_guards(f"bulk load of {args.incidents:,} (its transaction)", "s", loads)
    print("target (issue 17): each within 1.15× of the run without the guards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
