"""Benchmark: the center working its cases at 1M incidents (issue 18), four clients at once.

Run from the project folder::

    .venv/bin/python bench/command.py [--size 1000000] [--clients 4] [--rounds 25]

In a private database it loads the demo street and adds ``--size`` incidents over the twelve
months before today (bench/center.py's generator: most closed, the recent ones partly open, so
that some are overdue), supervises a few hundred of the overdue ones, and measures the server
time of each question with ``--clients`` threads, each a signed-in center account on its own
test client (warm: every request is asked once before timing), p50 and p99 of all rounds:

* ``/center/`` opening view; a filter change (``?kind=dispute&state=open``);
* a search (``/cases/search?q=…``, a party's whole name and words of a title), when the
  search route is present;
* the overdue board (督办台) as the page reads it (gridmap.data.board.overdue);
* the 大屏 refresh (``/center/board?wall=1``).

The baseline, in the same run on the same data, is each question counted straight from the
incidents (no tally, no index made for it): a GROUP BY of the year by grid for the opening view
and the filter, an ILIKE over titles and descriptions for the search, the overdue cases sorted
by deadline for the board, and the headline counts for the 大屏. Targets: opening view under
200 ms, a filter under 150 ms, a search under 100 ms, the board under 50 ms, the 大屏 under
200 ms. Benchmarks are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import threading
import time
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridmap import create_app  # noqa: E402
from gridmap.accounts.scope import Scope  # noqa: E402
from gridmap.center.stats import weights  # noqa: E402
from gridmap.core import clock  # noqa: E402
from gridmap.data import board  # noqa: E402
from gridmap.demo import load as demo  # noqa: E402
from gridmap.store import db, sandbox  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_center", ROOT / "bench" / "center.py")
base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(base)

STREET = base.STREET
SCOPE = Scope.street(STREET)
GZIP = {"Accept-Encoding": "gzip, deflate"}

BASELINES = {
    "opening view": """SELECT grid_code, count(*) FROM incident WHERE street_code = %(s)s
                        AND occurred_at >= now() - interval '12 months' GROUP BY 1""",
    "filter change": """SELECT grid_code, count(*) FROM incident WHERE street_code = %(s)s
                         AND occurred_at >= now() - interval '12 months' AND kind = 'dispute'
                         AND closed_at IS NULL GROUP BY 1""",
    "search": """SELECT count(*) FROM incident WHERE street_code = %(s)s
                  AND (title ILIKE '%%' || %(q)s || '%%'
                       OR description ILIKE '%%' || %(q)s || '%%')""",
    "overdue board": """SELECT id FROM incident WHERE street_code = %(s)s AND closed_at IS NULL
                         AND due_at < now() ORDER BY due_at LIMIT 50""",
    "大屏 refresh": """SELECT count(*) FILTER (WHERE closed_at IS NULL),
                              count(*) FILTER (WHERE closed_at IS NULL AND due_at < now()),
                              count(*) FILTER (WHERE closed_at >= date_trunc('month', now())),
                              count(*) FILTER (WHERE reported_at >= date_trunc('day', now()))
                         FROM incident WHERE street_code = %(s)s""",
}


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def crowd(make_call, clients: int, rounds: int) -> list[float]:
    """``rounds`` calls by each of ``clients`` threads at once; every call's seconds."""
    out: list[float] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        call = make_call(i)
        call()  # warm
        mine = [timed(call) for _ in range(rounds)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def supervise_some(settings, n: int = 300) -> int:
    """督办 a few hundred overdue cases, as a duty officer's month would."""
    with db.connect_owner(settings) as owner:
        account = owner.execute(
            "SELECT id FROM account WHERE street_code = %s AND username = 'center'", (STREET,)
        ).fetchone()["id"]
        done = owner.execute(
            """INSERT INTO incident_supervision (street_code, incident_id, kind, note, answer_by,
                                                 by_account)
               SELECT street_code, id, 'supervise', '请尽快办理并反馈',
                      now() + interval '2 days', %s
                 FROM incident WHERE street_code = %s AND closed_at IS NULL AND due_at < now()
                ORDER BY due_at LIMIT %s""",
            (account, STREET, n),
        ).rowcount
        owner.commit()
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args(argv)
    print(
        f"# bench/command.py — {time.strftime('%Y-%m-%d %H:%M')}, {args.size:,} incidents, "
        f"{args.clients} clients × {args.rounds} rounds\n"
    )
    with sandbox.database(port=54397, prefix="gridmap-bench-") as settings:
        with db.connect_owner(settings) as owner:
            demo.load_demo(owner)
        with db.connect(settings) as conn:
            wkt = conn.execute(
                "SELECT ST_AsText(boundary) AS wkt FROM division WHERE street_code = %s"
                " AND upper_inf(valid)",
                (STREET,),
            ).fetchone()["wkt"]
            load_s = base.add_incidents(conn, shapely.from_wkt(wkt), args.size, seed=18)
            conn.execute("ANALYZE incident")
            conn.commit()
            party = conn.execute(
                "SELECT name FROM incident_party WHERE street_code = %s LIMIT 1", (STREET,)
            ).fetchone()
        print(f"loaded {args.size:,} in {load_s:.0f} s; supervised {supervise_some(settings)}")
        app = create_app({**settings, "TESTING": True})
        weights.warm_up()
        has_search = any(r.rule == "/cases/search" for r in app.url_map.iter_rules())
        words = party["name"] if party else "纠纷"
        pages = {
            "opening view": "/center/",
            "filter change": "/center/?kind=dispute&state=open",
            "大屏 refresh": "/center/board?wall=1",
        }
        if has_search:
            pages["search"] = f"/cases/search?q={words}"

        def page_call(path):
            def make(_i):
                client = base.signed_in(app.test_client())

                def call():
                    r = client.get(path, headers=GZIP)
                    assert r.status_code == 200, (path, r.status_code)
                    r.get_data()

                return call

            return make

        def board_call(_i):
            conn = db.connect(settings)
            return lambda: board.overdue(conn, SCOPE, clock.now())

        measured = {
            name: crowd(page_call(path), args.clients, args.rounds) for name, path in pages.items()
        }
        measured["overdue board"] = crowd(board_call, args.clients, args.rounds)

        def baseline_call(sql_text):
            def make(_i):
                conn = db.connect(settings)
                return lambda: conn.execute(sql_text, {"s": STREET, "q": words}).fetchall()

            return make

        baselines = {
            name: crowd(baseline_call(sql_text), args.clients, max(5, args.rounds // 5))
            for name, sql_text in BASELINES.items()
        }
        db.close(app)
    targets = {
        "opening view": 200,
        "filter change": 150,
        "search": 100,
        "overdue board": 50,
        "大屏 refresh": 200,
    }
    print(
        f"{'question':<16} {'p50 ms':>8} {'p99 ms':>8} {'target':>7}   "
        f"{'baseline p50':>12} {'ours/base':>9}"
    )
    for name in targets:
        if name not in measured:
            print(f"{name:<16} {'—':>8} (no search route in this build)")
            continue
        ours, theirs = measured[name], baselines[name]
        print(
            f"{name:<16} {p(ours, 0.5):>8.1f} {p(ours, 0.99):>8.1f} {targets[name]:>7}   "
            f"{p(theirs, 0.5):>12.1f} {p(ours, 0.5) / max(p(theirs, 0.5), 1e-6):>8.1f}×"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
