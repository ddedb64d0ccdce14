"""Benchmark: the governance center's page and data requests against a plain Folium map.

Run from the project folder::

    .venv/bin/python bench/center.py [--sizes 10000,100000,1000000] [--baseline-max 100000]

In a private database it loads the demo street, then for every size N adds N incidents inside
the street (2023, conflict kinds) and measures, with the app's test client (server time, no
network; every request asks for gzip as a browser does):

* the page's first view: ``GET /center/`` plus every asset it loads and its first data request
  (markers for the initial view), in bytes transferred, and the page's server time;
* each data request: ``/api/hotspots``, ``/api/incidents`` for the whole street (zoomed out:
  counts per grid) and for a street corner zoomed in (the incidents themselves);
* the baseline: a plain Folium map embedding the same N incidents as MarkerCluster markers,
  its build+render time and its size (raw and gzip). Above ``--baseline-max`` it is not run
  (10k took 11 s and 7.9 MB here before; 1M would take about half an hour) and the figure is
  extrapolated linearly from the largest size run, and marked so.

Then Gi* with FDR for 10,000 and 100,000 cells against esda's G_Local with 999 permutations,
and the cost of the imports a request must never pay. Targets (issue 3, at 1M incidents): first
view under 2 MB transferred, data requests under 300 ms each; Gi* + FDR for 100k cells under 1 s.
Benchmarks are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import sys
import time
from pathlib import Path

import folium
import numpy as np
import pandas as pd
import shapely
from folium.plugins import MarkerCluster

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridmap import create_app  # noqa: E402
from gridmap.accounts.scope import Scope  # noqa: E402
from gridmap.center.stats import gistar, weights  # noqa: E402
from gridmap.demo import load as demo  # noqa: E402
from gridmap.geo.placement import Placement  # noqa: E402
from gridmap.intake import load as incidents  # noqa: E402
from gridmap.store import db, sandbox  # noqa: E402

STREET = "420114004"
SCOPE = Scope.street(STREET)  # the bench asks as the governance center
SETTINGS: dict = {}
GZIP = {"Accept-Encoding": "gzip, deflate"}
OPEN = {
    "dispute": "found",
    "petition": "registered",
    "mediation": "accepted",
    "enforcement": "opened",
}
KINDS = [
    ("dispute", "resolved"),
    ("petition", "closed"),
    ("mediation", "agreement"),
    ("enforcement", "closed"),
]


def best(fn, runs: int = 3):
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def add_incidents(conn, boundary, n: int, seed: int) -> float:
    """n conflict incidents over the twelve months before today (the center's default view),
    as the bulk loader takes them: most closed a few days after they happened, the most
    recent ones still open (their deadlines from the street's rules)."""
    rng = np.random.default_rng(seed)
    lon, lat = [], []
    x0, y0, x1, y1 = boundary.bounds
    shapely.prepare(boundary)
    while sum(map(len, lon)) < n:
        x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        keep = shapely.contains_xy(boundary, x, y)
        lon.append(x[keep])
        lat.append(y[keep])
    lon, lat = np.concatenate(lon)[:n], np.concatenate(lat)[:n]
    pick = rng.integers(0, len(KINDS), n)
    now = pd.Timestamp.now(tz="Asia/Shanghai").floor("min")
    occurred = now - pd.to_timedelta(rng.uniform(0.2, 364, n), unit="D")
    age = (now - occurred) / pd.Timedelta(days=1)
    still_open = (age < 20) & (rng.random(n) < 0.5)
    closed = (occurred + pd.to_timedelta(rng.uniform(0.1, 12, n), unit="D")).where(
        ~still_open & (occurred + pd.Timedelta(days=12) < now), occurred + pd.Timedelta(hours=1)
    )
    frame = pd.DataFrame(
        {
            "kind": [KINDS[i][0] for i in pick],
            "status": [
                OPEN[KINDS[i][0]] if o else KINDS[i][1]
                for i, o in zip(pick, still_open, strict=True)
            ],
            "lon": lon,
            "lat": lat,
            "occurred_at": occurred,
            "reported_at": occurred + pd.Timedelta(minutes=30),
            "closed_at": pd.Series(closed).where(~still_open),
        }
    )
    t = time.perf_counter()
    incidents.load(conn, Placement(), STREET, frame, source="bench")
    conn.commit()
    return time.perf_counter() - t


def query_timings(conn) -> dict[str, tuple[float, float]]:
    """The everyday queries that scanned every incident (issue 7): best of 3 on a fresh
    connection each ("cold"), and the 12th call on one connection ("warm": psycopg prepares a
    statement after five calls, and PostgreSQL may then switch to a generic plan)."""
    from datetime import date, datetime

    from gridmap.center.filters import Filters
    from gridmap.core.clock import LOCAL
    from gridmap.data import cases, center, divisions, tally
    from gridmap.data import incidents as incident_data

    now = datetime.now(LOCAL)
    today = now.date()
    year = Filters(date(today.year - 1, today.month, 1), today)
    part = Filters(date(today.year - 1, today.month, 5), today.replace(day=1))
    division = conn.execute(
        "SELECT id FROM division WHERE street_code = %s AND upper_inf(valid)", (STREET,)
    ).fetchone()["id"]
    batch = conn.execute(  # a day's ledger among the million (the demo's current year)
        "SELECT id FROM load_batch WHERE street_code = %s AND rows < 10000 ORDER BY id DESC"
        " LIMIT 1",
        (STREET,),
    ).fetchone()["id"]
    busiest = conn.execute(
        "SELECT grid_code FROM incident WHERE street_code = %s AND closed_at IS NULL"
        " GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        (STREET,),
    ).fetchone()["grid_code"]

    def months(c, f, at):
        return tally.read(c, "occurred", f.period, f, SCOPE, by="grid_month", now=at)

    calls = {
        "part-month period": lambda c: months(c, part, now),
        "100 m bins (a year)": lambda c: tally.read(
            c, "cells", year.period, year, SCOPE, by="cell", now=now
        ),
        "overdue": lambda c: months(c, Filters(year.date_from, year.date_to, overdue=True), now),
        "a grid's open cases": lambda c: cases.open_in_grids(c, SCOPE, [busiest], now),
        "closed in a period": lambda c: tally.read(
            c, "closed", part.period, tally.Kinds(("dispute", "petition")), SCOPE, by="grid"
        ),
        "newest of a division": lambda c: divisions.latest_incident_time(c, division),
        "a batch's ids": lambda c: incident_data.ids_of_batch(c, STREET, batch),
        "markers, zoomed in": lambda c: center.in_view(
            c, SCOPE, year, now, (113.834, 30.438, 113.842, 30.445), 501
        ),
    }
    out = {}
    for name, call in calls.items():
        cold = []
        for _ in range(3):
            with db.connect(SETTINGS) as fresh:
                t = time.perf_counter()
                call(fresh)
                cold.append(time.perf_counter() - t)
        with db.connect(SETTINGS) as same:
            for _ in range(11):
                call(same)
            t = time.perf_counter()
            call(same)
            warm = time.perf_counter() - t
        out[name] = (min(cold), warm)
    return out


# The same questions counted from the incidents, as the code before issue 7 asked them: the
# baseline of the same run, so that a slow machine shows as a slow machine.
DIRECT = {
    "part-month period": """SELECT grid_code, gm_month(occurred_at), count(*) FROM incident
        WHERE street_code = %(s)s AND occurred_at >= %(ps)s AND occurred_at < %(pe)s
          AND kind = ANY(%(k)s) GROUP BY 1, 2""",
    "100 m bins (a year)": """SELECT floor(ST_X(geom) / 0.001)::int,
               floor(ST_Y(geom) / 0.0009)::int, count(*) FROM incident
        WHERE street_code = %(s)s AND occurred_at >= %(ys)s AND occurred_at < %(ye)s
          AND kind = ANY(%(k)s) GROUP BY 1, 2""",
    "closed in a period": """SELECT grid_code, count(*) FROM incident
        WHERE street_code = %(s)s AND closed_at >= %(ps)s AND closed_at < %(pe)s
          AND kind = ANY(%(ck)s) GROUP BY 1""",
}


def direct_timings(conn) -> dict[str, float]:
    """Best of 3 cold (fresh connections) for each DIRECT query."""
    from datetime import date, datetime

    from gridmap.center.filters import Filters
    from gridmap.core.clock import LOCAL

    today = datetime.now(LOCAL).date()
    year = Filters(date(today.year - 1, today.month, 1), today)
    part = Filters(date(today.year - 1, today.month, 5), today.replace(day=1))
    args = {
        "s": STREET,
        "ps": part.start,
        "pe": part.end,
        "ys": year.start,
        "ye": year.end,
        "k": list(year.kinds),
        "ck": ["dispute", "petition"],
    }
    out = {}
    for name, query in DIRECT.items():
        times = []
        for _ in range(3):
            with db.connect(SETTINGS) as fresh:
                t = time.perf_counter()
                fresh.execute(query, args, prepare=False).fetchall()
                times.append(time.perf_counter() - t)
        out[name] = min(times)
    return out


def print_direct(queries: dict, direct: dict) -> None:
    print("\nThe same questions counted from the incidents (as before issue 7), same run, cold:")
    for name, before in direct.items():
        now = queries[name][0]
        print(
            f"  {name:<22} counted {before * 1000:7.1f} ms   now {now * 1000:6.1f} ms"
            f"   {before / now:5.1f}× faster"
        )


def print_queries(results) -> None:
    print("\nEveryday queries (ms): cold = best of 3 on fresh connections, warm = 12th call on one")
    names = list(results[0][5])
    print(f"{'N':>9} | " + " | ".join(f"{n[:18]:>18}" for n in names))
    for n, *_rest, queries in results:
        cells = " | ".join(f"{c * 1000:>8.1f} {w * 1000:>8.1f}" for c, w in queries.values())
        print(f"{n:>9,} | {cells}")
    slowest = max(max(c, w) for c, w in results[-1][5].values())
    print(f"target at the largest N: each under 50 ms; slowest {slowest * 1000:.0f} ms")


def get(client, url: str):
    r = client.get(url, headers=GZIP)
    assert r.status_code == 200, (url, r.status_code)
    return r


def signed_in(client, username: str = "center"):
    """Sign the client in through the sign-in form, as a browser does (issue 8)."""
    from gridmap.demo import accounts as demo_accounts

    form = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post(
        "/signin",
        data={"username": username, "password": demo_accounts.PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 302, r.status_code
    return client


def first_view(client) -> dict:
    t, page = best(lambda: get(client, "/center/"))
    html = (
        gzip.decompress(page.data).decode()
        if page.headers.get("Content-Encoding")
        else page.get_data(as_text=True)
    )
    assets = sorted(set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html)))
    asset_bytes = 0
    for url in assets:
        r = get(client, url)
        asset_bytes += len(r.data)
        r.close()
    return {
        "page_s": t,
        "page_bytes": len(page.data),
        "assets": len(assets),
        "asset_bytes": asset_bytes,
    }


def data_requests(client, bbox) -> dict:
    west, south, east, north = bbox
    urls = {
        "hotspots": "/api/hotspots",
        "markers_wide": f"/api/incidents?bbox={west},{south},{east},{north}&zoom=12",
        "markers_close": "/api/incidents?bbox=113.834,30.438,113.842,30.445&zoom=16",
    }
    out = {}
    for name, url in urls.items():
        t, r = best(lambda u=url: get(client, u))
        out[name] = (t, len(r.data))
    return out


def baseline(points: np.ndarray) -> tuple[float, int, int]:
    """A plain Folium map that embeds every incident as a clustered marker."""
    t = time.perf_counter()
    m = folium.Map(location=[30.44, 113.84], zoom_start=12, tiles=None, max_zoom=18)
    MarkerCluster(locations=points.tolist()).add_to(m)
    html = m.get_root().render().encode()
    return time.perf_counter() - t, len(html), len(gzip.compress(html, 6))


def street_points(conn) -> np.ndarray:
    rows = conn.execute(
        "SELECT ST_Y(geom) AS lat, ST_X(geom) AS lon FROM incident WHERE street_code = %s",
        (STREET,),
    ).fetchall()
    return np.array([[r["lat"], r["lon"]] for r in rows])


def gi_star_timings() -> list[tuple]:
    import esda
    import libpysal

    rows = []
    for side in (100, 316):
        n = side * side
        y = np.random.default_rng(n).poisson(3.0, n).astype(float)
        w_csr = weights.lattice_sparse(side, side)
        t_ours, spots = best(lambda w=w_csr, v=y: gistar.hotspots(v, w), runs=5)
        w = libpysal.weights.lat2W(side, side, rook=False)
        t = time.perf_counter()
        g = esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=1, n_jobs=1)
        t_esda = time.perf_counter() - t
        same = float(np.max(np.abs(g.Zs - spots["z"].to_numpy())))
        rows.append((n, t_ours, t_esda, same))
    return rows


def import_cost(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--baseline-max", type=int, default=100_000)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"# bench/center.py — {time.strftime('%Y-%m-%d %H:%M')}, {sys.platform}, "
        f"{__import__('os').cpu_count()} cores\n"
    )
    results, last_baseline = [], None
    global SETTINGS
    with sandbox.database(port=54396, prefix="gridmap-bench-") as settings:
        SETTINGS = settings
        with db.connect_owner(settings) as owner:
            demo.load_demo(owner)  # the reload purges the street: the owner's door
        with db.connect(settings) as conn:
            row = conn.execute(
                "SELECT ST_AsText(boundary) AS wkt FROM division WHERE street_code = %s", (STREET,)
            ).fetchone()
            boundary = shapely.from_wkt(row["wkt"])
        app = create_app({**settings, "TESTING": True})
        weights.warm_up()
        client = signed_in(app.test_client())  # every request as a signed-in center user
        loaded = 0
        for n in sizes:
            with db.connect(settings) as conn:
                load_s = add_incidents(conn, boundary, n - loaded, seed=n)
                loaded = n
                points = street_points(conn) if n <= args.baseline_max else None
            view = first_view(client)
            data = data_requests(client, boundary.bounds)
            with db.connect(settings) as conn:
                queries = query_timings(conn)
                direct = direct_timings(conn) if n == sizes[-1] else None
            if points is not None:
                last_baseline = (n, *baseline(points))
                base = last_baseline[1:] + ("",)
            else:
                k = n / last_baseline[0]
                base = (
                    last_baseline[1] * k,
                    last_baseline[2] * k,
                    last_baseline[3] * k,
                    "≈ extrapolated",
                )
            results.append((n, load_s, view, data, base, queries))
            print(f"  N={n:>9,}: loaded in {load_s:.1f} s; page {view['page_s'] * 1000:.0f} ms")
        print("  esda imported by the app:", "esda" in sys.modules and "(by this bench)" or "no")
    print_results(results)
    print_queries(results)
    print_direct(results[-1][5], direct)
    print("\nGi* with FDR (gridmap, sparse product) vs esda.G_Local, 999 permutations")
    print(f"{'cells':>9} {'gridmap s':>10} {'esda s':>9} {'ratio':>7} {'max |Δz|':>10}")
    for n, ours, theirs, same in gi_star_timings():
        print(f"{n:>9,} {ours:>10.4f} {theirs:>9.2f} {theirs / ours:>7.0f}× {same:>10.1e}")
    print("\nImport costs, paid once at start-up and never inside a request (fresh process):")
    for module in ("libpysal", "esda", "gridmap.center.stats.gistar"):
        print(f"  import {module:<22} {import_cost(module):.2f} s")
    print("  gridmap serve imports libpysal before listening; esda is never imported by gridmap.")
    return 0


def print_results(results) -> None:
    print("\nFirst view and data requests (server time, bytes as sent with gzip)")
    head = (
        f"{'N':>9} | {'page ms':>7} {'page KB':>7} {'+assets KB':>10} {'first view KB':>13}"
        f" | {'hotspots ms/KB':>14} {'wide ms/KB':>11} {'close ms/KB':>11}"
        f" | {'Folium+MC s':>11} {'MB raw':>7} {'MB gz':>6}"
    )
    print(head)
    print("-" * len(head))
    for n, _load, view, data, base, _queries in results:
        first = view["page_bytes"] + view["asset_bytes"] + data["markers_wide"][1]
        cells = " ".join(f"{t * 1000:>6.0f}/{b / 1024:<5.0f}" for t, b in data.values())
        print(
            f"{n:>9,} | {view['page_s'] * 1000:>7.0f} {view['page_bytes'] / 1024:>7.0f}"
            f" {view['asset_bytes'] / 1024:>10.0f} {first / 1024:>13.0f} | {cells}"
            f" | {base[0]:>11.1f} {base[1] / 2**20:>7.1f} {base[2] / 2**20:>6.1f} {base[3]}"
        )
    n, _load, view, data, _base, _queries = results[-1]
    first = view["page_bytes"] + view["asset_bytes"] + data["markers_wide"][1]
    slowest = max(t for t, _ in data.values())
    print(
        f"\nTargets at N={n:,}: first view {first / 2**20:.2f} MB (target < 2 MB); "
        f"slowest data request {slowest * 1000:.0f} ms (target < 300 ms)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
