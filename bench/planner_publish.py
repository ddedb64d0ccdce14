"""Publishing a street-wide plan, for bench/planner.py (issue 10).

Publishing (target: a street-wide plan under 10 s with a million incidents stored). In a
private database (port 54397) it loads the demo street and makes one plan that changes every
one of its 55 villages: in each, one boundary unit moves to a neighbouring grid of the same
village (a unit whose grid stays whole and non-empty without it; a village where no unit can
move has a grid renamed instead), saved through gridmap.planner.plans.content and save as the demo's
planner. The publish (gridmap.planner.release.publish, as the planner, the street's PLAN_* rules)
then composes a whole new division and hands over the open cases of the moved units. It is
timed at the demo's own incidents and again after adding ``--publish-incidents`` (a million)
uniform over the street and its division's validity (six years), every kind, category and
state, of which ``--open-share`` are open (closed_at NULL), loaded with gridmap.intake.load.load.
Each run is one transaction, rolled back after the clock stops, so the plan stays a draft and
the division chain stays as it was; the deferred constraints (division_chain) are fired inside
the clock (SET CONSTRAINTS ALL IMMEDIATE), so only the commit's WAL flush is left out; before each
run the owner vacuums the incident table, outside the clock, so that no run reads the rows the
rolled-back handovers before it left behind. The
figure is the median of ``--publish-repeat`` runs, with the cases handed over and where the
time went (Python-side steps of plan_release.publish, inclusive, nested). At the end a copy of
the plan (plan_release.duplicate) is published for real, commit included, as a check of the
rolled-back figure. ``--explain`` adds one publish under auto_explain (EXPLAIN ANALYZE of every
statement over 5 ms, those inside plan_hand_over and the triggers' times included; it needs the
private cluster's superuser) and prints the costliest statements.

The baseline, in the same run: the bare SQL copy of the division in force, the least any
publish must write: a draft division row and one INSERT … SELECT each of its package areas,
villages, grids and units (the tables' own triggers and indexes included), also rolled back.
It does not grow with the incidents, so at a million incidents the ratio says how much of the
publish is work that the incidents cost; one count of the street's incidents (``SELECT count(*)
FROM incident WHERE street_code = …``) is printed beside it as the price of a single pass over
them.
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.publish_setup import SCOPE, STREET, add_incidents, street_plan  # noqa: E402
from gridmap.accounts.policy import Actor  # noqa: E402

# --- publishing a street-wide plan --------------------------------------------------------

PUBLISH_TARGET_S = 10.0
# The least a publish writes: a new division with every area of the one in force, one
# INSERT … SELECT per table (what gridmap.data.plan_publish.compose_division does when no
# village is replaced).
BARE_COPY = [
    """INSERT INTO package_area (division_id, street_code, code, name, geom)
       SELECT %(new)s, street_code, code, name, geom FROM package_area
        WHERE division_id = %(base)s""",
    """INSERT INTO village (division_id, street_code, package_area_id, code, name, kind, geom)
       SELECT %(new)s, v.street_code, np.id, v.code, v.name, v.kind, v.geom
         FROM village v JOIN package_area op ON op.id = v.package_area_id
         JOIN package_area np ON np.division_id = %(new)s AND np.code = op.code
        WHERE v.division_id = %(base)s""",
    """INSERT INTO grid (division_id, street_code, village_id, code, name, geom)
       SELECT %(new)s, g.street_code, nv.id, g.code, g.name, g.geom
         FROM grid g JOIN village ov ON ov.id = g.village_id
         JOIN village nv ON nv.division_id = %(new)s AND nv.code = ov.code
        WHERE g.division_id = %(base)s""",
    """INSERT INTO unit (division_id, street_code, village_id, grid_id, code, name, kind,
                         households, population, geom)
       SELECT %(new)s, u.street_code, nv.id, ng.id, u.code, u.name, u.kind, u.households,
              u.population, u.geom
         FROM unit u JOIN village ov ON ov.id = u.village_id JOIN grid og ON og.id = u.grid_id
         JOIN village nv ON nv.division_id = %(new)s AND nv.code = ov.code
         JOIN grid ng ON ng.division_id = %(new)s AND ng.code = og.code
        WHERE u.division_id = %(base)s""",
    "UPDATE division SET boundary = (SELECT boundary FROM division WHERE id = %(base)s)"
    " WHERE id = %(new)s",
]


class Steps:
    """Wall time of plan_release.publish's steps (inclusive, nested by caller), by wrapping the
    functions it calls, as bench/attribution.py times the loader."""

    def __init__(self):
        from gridmap.data import audit, divisions
        from gridmap.data import plan_publish as publishing
        from gridmap.planner import planning, plans, workload
        from gridmap.planner import release as plan_release

        self.targets = [
            (plan_release, "villages", "villages (the drafts)"),
            (plans, "draft", "plans.draft"),
            (plan_release, "_base", "_base"),
            (plan_release, "_refuse_problems", "_refuse_problems (checks)"),
            (workload, "of_villages", "workload.of_villages (a year of incidents)"),
            (plans, "check", "plans.check"),
            (plan_release, "_refuse_overtaken", "_refuse_overtaken"),
            (plan_release, "diff", "diff"),
            (divisions, "create_draft", "divisions.create_draft"),
            (publishing, "compose_division", "compose_division"),
            (planning, "check_publishable", "planning.check_publishable"),
            (divisions, "latest_incident_time", "latest_incident_time"),
            (publishing, "publish", "plan_publish (division_guard's checks)"),
            (plan_release, "_assign", "_assign (grid members)"),
            (audit, "record", "audit.record"),
            (publishing, "hand_over", "hand_over (plan_hand_over)"),
        ]
        self.stack: list[str] = []
        self.times: dict[tuple[str, ...], list[float]] = {}  # path → this run's calls
        self.order: list[tuple[str, ...]] = []

    def _wrap(self, name: str, fn):
        def wrapper(*args, **kwargs):
            with self.step(name):
                return fn(*args, **kwargs)

        return wrapper

    @contextlib.contextmanager
    def step(self, name: str):
        self.stack.append(name)
        path = tuple(self.stack)
        if path not in self.order:
            self.order.append(path)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.times.setdefault(path, []).append(time.perf_counter() - started)
            self.stack.pop()

    @contextlib.contextmanager
    def active(self):
        """Time the steps of the calls made inside; returns nothing, fills ``times``."""
        self.times = {}
        # A step renamed in the core drops out of the breakdown rather than stopping the bench.
        targets = [t for t in self.targets if hasattr(t[0], t[1])]
        saved = [(module, attr, getattr(module, attr)) for module, attr, _ in targets]
        for (module, attr, name), (_m, _a, fn) in zip(targets, saved, strict=True):
            setattr(module, attr, self._wrap(name, fn))
        try:
            yield
        finally:
            for module, attr, fn in saved:
                setattr(module, attr, fn)


def publish_once(conn, plan_id: int, account: dict, rules, steps: Steps) -> tuple[float, dict]:
    """One publish of the plan, rolled back once timed (``conn`` in autocommit: the outer
    transaction is ours, the publish's own is a savepoint inside it)."""
    from gridmap.planner import release as plan_release

    with conn.transaction(force_rollback=True), steps.active():
        started = time.perf_counter()
        result = plan_release.publish(conn, Actor.of(account, SCOPE), plan_id, None, rules)
        with steps.step("deferred constraints (at commit)"):
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        took = time.perf_counter() - started
    return took, result


def bare_copy(conn) -> float:
    """The baseline: the division in force copied in SQL (BARE_COPY), rolled back once timed."""
    with conn.transaction(force_rollback=True):
        started = time.perf_counter()
        base = conn.execute(
            "SELECT id FROM division WHERE street_code = %s AND status = 'published'"
            " AND upper_inf(valid)",
            (STREET,),
        ).fetchone()["id"]
        new = conn.execute(
            "INSERT INTO division (street_code, name, note) VALUES (%s, '基准：区划复制', '')"
            " RETURNING id",
            (STREET,),
        ).fetchone()["id"]
        for sql in BARE_COPY:
            conn.execute(sql, {"base": base, "new": new})
        return time.perf_counter() - started


def count_scan(conn) -> float:
    started = time.perf_counter()
    conn.execute("SELECT count(*) FROM incident WHERE street_code = %s", (STREET,)).fetchone()
    return time.perf_counter() - started


def measure_publish(
    conn, owner, label: str, plan_id: int, account: dict, rules, repeat: int
) -> dict:
    """``repeat`` publishes, each next to a baseline copy and a count (interleaved). Before
    each, outside the clock, the owner vacuums what a rolled-back publish leaves behind (the
    handover's updated rows, which would otherwise linger in the open cases' indexes)."""
    steps = Steps()
    stored = conn.execute(
        "SELECT count(*) AS n, count(*) FILTER (WHERE closed_at IS NULL) AS open FROM incident"
        " WHERE street_code = %s",
        (STREET,),
    ).fetchone()
    runs, copies, scans, handed, breakdown = [], [], [], set(), {}
    for _ in range(repeat):
        owner.execute("VACUUM incident, incident_handover, division, unit, grid, village")
        copies.append(bare_copy(conn))
        scans.append(count_scan(conn))
        took, result = publish_once(conn, plan_id, account, rules, steps)
        runs.append(took)
        handed.add(result["handed_over"])
        for path, calls in steps.times.items():
            breakdown.setdefault(path, []).append((sum(calls), len(calls)))
    return {
        "label": label,
        "incidents": stored["n"],
        "open": stored["open"],
        "runs": runs,
        "publish": statistics.median(runs),
        "copy": statistics.median(copies),
        "scan": statistics.median(scans),
        "handed": sorted(handed),
        "units_moved": result["units_moved"],
        "breakdown": {
            p: (statistics.median(s for s, _ in v), v[0][1]) for p, v in breakdown.items()
        },
        "order": steps.order,
    }


def committed_publish(conn, plan_id: int, account: dict, rules) -> tuple[float, int]:
    """A copy of the plan published for real, commit included (the check that the rolled-back
    runs time what a planner waits for); seconds and cases handed over."""
    from gridmap.planner import release as plan_release

    copy = plan_release.duplicate(
        conn, Actor.of(account, SCOPE), plan_id, "基准：全街道网格调整（提交）"
    )
    started = time.perf_counter()
    result = plan_release.publish(conn, Actor.of(account, SCOPE), copy, None, rules)
    return time.perf_counter() - started, result["handed_over"]


def explained_publish(settings, plan_id: int, account: dict, rules, top: int = 10) -> None:
    """One more publish (rolled back) under auto_explain: every statement, those inside
    plan_hand_over and the triggers included, with its plan and its triggers' times. It needs
    the cluster's superuser (LOAD), then runs as the app's role. Prints the costliest
    statements; the plans go to a file."""
    import re
    import tempfile

    import psycopg
    from psycopg.rows import dict_row

    from gridmap.store import cluster, db

    logs: list[str] = []
    url = cluster.from_config(settings).url_for(cluster.ADMIN)
    with psycopg.connect(url, row_factory=dict_row, autocommit=True) as conn:
        conn.add_notice_handler(lambda d: logs.append(d.message_primary or ""))
        conn.execute("LOAD 'auto_explain'")
        for name, value in [
            ("log_min_duration", "5"),
            ("log_analyze", "on"),
            ("log_nested_statements", "on"),
            ("log_triggers", "on"),
            ("log_buffers", "on"),
        ]:
            conn.execute(f"SET auto_explain.{name} = {value}")
        conn.execute("SET client_min_messages = log")
        conn.execute(f"SET ROLE {db.app_role(settings)}")
        took, result = publish_once(conn, plan_id, account, rules, Steps())
    statements: dict[str, list[float]] = {}
    triggers: dict[str, list[float]] = {}
    found = []
    for message in logs:
        duration = re.match(r"duration: ([\d.]+) ms", message)
        if not duration:
            continue
        found.append((float(duration.group(1)), message))
        text = re.search(r"Query Text: (.*)", message)
        key = re.sub(r"\s+", " ", text.group(1) if text else message)[:90]
        statements.setdefault(key, []).append(float(duration.group(1)))
        for name, ms in re.findall(r"Trigger (?:for constraint )?(\S+): time=([\d.]+)", message):
            triggers.setdefault(f"{name} (in: {key[:40]})", []).append(float(ms))
    path = Path(tempfile.mkstemp(prefix="planner-explain-", suffix=".txt")[1])
    path.write_text("\n\n".join(m for _d, m in sorted(found, key=lambda x: -x[0])))
    print(
        f"  EXPLAIN ANALYZE of one more publish (auto_explain, statements over 5 ms; the"
        f" instrumentation slows it): {took:.2f} s, {result['handed_over']:,} handed over;"
        f" plans in {path}"
    )
    print("  statements, nested ones counted inside their caller too (total ms, calls):")
    for key, times in sorted(statements.items(), key=lambda kv: -sum(kv[1]))[:top]:
        print(f"    {sum(times):9.1f} {len(times):>5}x  {key}")
    for key, times in sorted(triggers.items(), key=lambda kv: -sum(kv[1]))[: top // 2]:
        print(f"    {sum(times):9.1f} {len(times):>5}x  trigger {key}")


def print_publish(plan: dict, results: list[dict], repeat: int) -> None:
    print(
        f"publishing a street-wide plan: {plan['villages']} villages changed"
        f" ({plan['moved']} with a unit moved to a neighbouring grid, {plan['renamed']} with a"
        f" grid renamed); median of {repeat}"
    )
    for problem in plan["fixed"]:
        print(f"  the demo's draft had a blocking problem, mended in the plan: {problem}")
    for r in results:
        runs = " ".join(f"{t:.2f}" for t in r["runs"])
        handed = "/".join(f"{h:,}" for h in r["handed"])
        print(
            f"  {r['label']:<26} {r['incidents']:>9,} incidents ({r['open']:>7,} open):"
            f" publish {r['publish']:6.2f} s (runs {runs}); {handed} open cases handed over"
        )
        print(
            f"  {'':<26} baseline, bare SQL copy of the division {r['copy'] * 1000:7.1f} ms:"
            f" publish / copy {r['publish'] / r['copy']:6.0f}x;"
            f" one count of the incidents {r['scan'] * 1000:6.1f} ms"
        )
    print("  where the time went (median s; calls in brackets):")
    paths = []
    for r in results:
        paths += [p for p in r["order"] if p not in paths]
    head = "".join(f"{r['label'][:22]:>24}" for r in results)
    print(f"    {'':<50}{head}")
    for path in paths:
        name = "  " * (len(path) - 1) + path[-1]
        cells = ""
        for r in results:
            s, calls = r["breakdown"].get(path, (None, 0))
            cells += f"{'':>24}" if s is None else f"{s:>15.3f} ({calls:>4})  "
        print(f"    {name:<50}{cells}".rstrip())
    last = results[-1]
    verdict = "met" if last["publish"] < PUBLISH_TARGET_S else "missed"
    print(
        f"target: publish under {PUBLISH_TARGET_S:.0f} s with {last['incidents']:,} incidents"
        f" stored: {last['publish']:.2f} s ({verdict}); {last['publish'] / last['copy']:.0f}x the"
        " bare copy of the division"
    )


def publish_bench(args) -> None:
    from gridmap.data import accounts
    from gridmap.demo import load as demo
    from gridmap.planner import plans
    from gridmap.store import db, sandbox

    with sandbox.database(port=args.port, prefix="gridmap-bench-") as settings:
        with db.connect_owner(settings) as owner:
            demo.load_demo(owner)  # the reload purges the street: the owner's door
        rules = plans.rules(settings)
        with db.connect(settings, autocommit=True) as conn:
            account = accounts.by_username(conn, STREET, "planner")
        with db.connect(settings) as conn:
            plan = street_plan(conn, account, rules)
        results = []
        with (
            db.connect(settings, autocommit=True) as conn,
            db.connect_owner(settings, autocommit=True) as owner,
        ):
            results.append(
                measure_publish(
                    conn, owner, "demo street", plan["plan_id"], account, rules, args.publish_repeat
                )
            )
        if args.publish_incidents:
            with db.connect(settings) as conn:
                took = add_incidents(conn, args.publish_incidents, args.open_share)
            print(f"  (added {args.publish_incidents:,} incidents in {took:.1f} s)")
            with (
                db.connect(settings, autocommit=True) as conn,
                db.connect_owner(settings, autocommit=True) as owner,
            ):
                results.append(
                    measure_publish(
                        conn,
                        owner,
                        f"+ {args.publish_incidents:,}",
                        plan["plan_id"],
                        account,
                        rules,
                        args.publish_repeat,
                    )
                )
        print_publish(plan, results, args.publish_repeat)
        if args.explain:
            explained_publish(settings, plan["plan_id"], account, rules)
        with db.connect(settings) as conn:
            took, handed = committed_publish(conn, plan["plan_id"], account, rules)
        print(
            f"  a copy of the plan published for real, commit included: {took:.2f} s,"
            f" {handed:,} open cases handed over"
        )
