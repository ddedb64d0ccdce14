"""Pins from the field through the API: concurrent signed-in clients against gridmap served by
its production WSGI server (waitress, in a process of its own), with deliberate retries of the
same client ids.

Prints throughput, p50 / p99 latency, and a count proving nothing was lost or doubled; next
to it, in the same run, a bare single-row INSERT of the same rows through psycopg (the
database's own cost of a row, with its triggers). Targets (issue 9) on these 2-core machines:
at least 500 pins per second with p99 under 100 ms, and a pin's server time within 3x the
bare INSERT.

    .venv/bin/python bench/pins.py [--pins 2000] [--clients 8] [--retry 0.1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridmap import create_app  # noqa: E402
from gridmap.demo import accounts as demo_accounts  # noqa: E402
from gridmap.demo import load as demo  # noqa: E402
from gridmap.store import db, sandbox  # noqa: E402

STREET = "420114004"
USER = "gridmember"


class Client:
    """One phone: a keep-alive connection, a signed-in session and its CSRF token."""

    def __init__(self, port: int):
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = ""
        page = self.request("GET", "/signin")[1].decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = f"username={USER}&password={demo_accounts.PASSWORD}&csrf_token={token}"
        status, _body = self.request(
            "POST", "/signin", form.encode(), "application/x-www-form-urlencoded"
        )
        assert status == 302, status
        page = self.request("GET", "/account/password")[1].decode()
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def request(self, method: str, path: str, body: bytes | None = None, kind: str = ""):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if kind:
            headers["Content-Type"] = kind
        if getattr(self, "token", None):
            headers["X-CSRFToken"] = self.token
        self.http.request(method, path, body=body, headers=headers)
        response = self.http.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="):
                self.cookie = value.split(";", 1)[0]
        return response.status, data


def at_once(clients: int, run) -> float:
    """``run(k)`` for each of ``clients`` in a thread of its own, all at once; the wall time."""
    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def points_in(conn, n: int, seed: int) -> list[tuple[float, float]]:
    """Points inside the grid member's grids."""
    from datetime import UTC, datetime

    from gridmap.data import accounts

    scope = accounts.scope_of(conn, accounts.by_username(conn, STREET, USER), datetime.now(UTC))
    rows = conn.execute(
        "SELECT ST_AsText(g.geom) AS wkt FROM grid g JOIN division d ON d.id = g.division_id"
        " WHERE d.street_code = %s AND upper_inf(d.valid) AND g.code = ANY(%s)",
        (STREET, sorted(scope.areas["grid"])),
    ).fetchall()
    area = shapely.union_all([shapely.from_wkt(r["wkt"]) for r in rows])
    shapely.prepare(area)
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = area.bounds
    out: list[tuple[float, float]] = []
    while len(out) < n:
        x, y = rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)
        keep = shapely.contains_xy(area, x, y)
        out += list(zip(x[keep].tolist(), y[keep].tolist(), strict=True))
    return out[:n]


def pins(port: int, points, clients: int, retry: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    bodies = [
        {
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "category": "neighbour",
            "title": f"压测上报 {i}",
            "description": "bench/pins.py",
            "lon": lon,
            "lat": lat,
            "crs": "wgs84",
            "position": "manual",
        }
        for i, (lon, lat) in enumerate(points)
    ]
    # Each body once, and some twice (a phone retrying after a lost answer).
    sends = [b for b in bodies for _ in range(2 if rng.random() < retry else 1)]
    order = rng.permutation(len(sends))
    work = [sends[i] for i in order]
    latencies: list[float] = []
    errors: list[str] = []
    replays = []
    ids: dict[str, set] = {}
    lock = threading.Lock()
    phones = [Client(port) for _ in range(clients)]

    def run(k: int) -> None:
        phone = phones[k]
        for body in work[k::clients]:
            t = time.perf_counter()
            status, data = phone.request(
                "POST", "/api/incidents", json.dumps(body).encode(), "application/json"
            )
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                if status != 201:
                    errors.append(f"{status} {data[:120]!r}")
                    continue
                answer = json.loads(data)
                ids.setdefault(body["client_id"], set()).add(answer["id"])
                replays.append(answer)

    wall = at_once(clients, run)
    return {
        "sent": len(work),
        "unique": len(bodies),
        "wall": wall,
        "latencies": np.array(latencies),
        "errors": errors,
        "ids": ids,
    }


def floor(port: int, clients: int, requests: int) -> dict:
    """The same server answering the least a signed-in phone can ask (a fresh CSRF token,
    GET /field/csrf): what Flask, the session and the account check cost before a pin does
    anything, the ceiling of any endpoint of this stack on this machine."""
    phones = [Client(port) for _ in range(clients)]
    latencies: list[float] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        for _ in range(requests // clients):
            t = time.perf_counter()
            status, _data = phones[k].request("GET", "/field/csrf")
            with lock:
                latencies.append(time.perf_counter() - t)
            assert status == 200, status

    return {"wall": at_once(clients, run), "latencies": np.array(latencies)}


def bare_inserts(settings: dict, ids: list[int], clients: int) -> np.ndarray:
    """The same rows inserted again, one INSERT each, with new client ids, as the app's role."""
    columns = (
        "street_code, kind, category, status, geom, occurred_at, reported_at, status_since,"
        " due_at, division_id, unit_id, grid_id, unit_code, grid_code, village_code,"
        " package_area_code, title, description, reported_by"
    )
    with db.connect(settings) as conn:
        rows = conn.execute(
            f"SELECT {columns} FROM incident WHERE street_code = %s AND id = ANY(%s)",
            (STREET, ids),
        ).fetchall()
    insert = f"INSERT INTO incident ({columns}, client_id) VALUES ({', '.join(['%s'] * 19)}, %s)"
    latencies: list[float] = []
    lock = threading.Lock()

    def run(k: int) -> None:
        with db.connect(settings) as conn:
            conn.autocommit = True
            for r in rows[k::clients]:
                t = time.perf_counter()
                conn.execute(insert, (*r.values(), str(uuid.uuid4())))
                took = time.perf_counter() - t
                with lock:
                    latencies.append(took)

    at_once(clients, run)
    return np.array(latencies)


def serve(settings: dict, port: int, ready) -> None:
    """gridmap as `gridmap serve` runs it (gridmap.web.serving, waitress), in a process of its own:
    the load generator's threads must not share the server's interpreter lock."""
    import logging

    from gridmap.center.stats import weights
    from gridmap.web import serving

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # queueing is what we measure
    app = create_app({**settings, "DEMO": True})
    weights.warm_up()
    server = serving.Server(app, "127.0.0.1", port)
    ready.set()
    server.run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pins", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--retry", type=float, default=0.1, help="share of pins sent twice")
    parser.add_argument("--alone", type=int, default=200, help="pins sent first by one client")
    parser.add_argument("--db-port", type=int, default=54394)
    args = parser.parse_args(argv)
    import multiprocessing

    print(f"# bench/pins.py — {time.strftime('%Y-%m-%d %H:%M')}, {args.clients} clients")
    with sandbox.database(port=args.db_port, prefix="gridmap-pins-") as settings:
        with db.connect_owner(settings) as owner:
            demo.load_demo(owner)
        with db.connect(settings) as conn:
            points = points_in(conn, args.alone + args.pins, seed=1)
        port = free_port()
        ready = multiprocessing.Event()
        server = multiprocessing.Process(target=serve, args=(settings, port, ready), daemon=True)
        server.start()
        if not ready.wait(120):
            raise SystemExit("gridmap did not start")
        time.sleep(0.5)  # listening
        # One phone alone first: a pin's own server time, with no queue in front of it.
        alone = pins(port, points[: args.alone], 1, 0.0, seed=3)
        got = pins(port, points[args.alone :], args.clients, args.retry, seed=2)
        least = floor(port, args.clients, args.pins)
        with db.connect(settings) as conn:
            stored = conn.execute(
                "SELECT count(*) AS n FROM incident WHERE street_code = %s AND client_id = ANY(%s)",
                (STREET, list(got["ids"])),
            ).fetchone()["n"]
        created = sorted({i for s in got["ids"].values() for i in s})
        bare = bare_inserts(settings, created, args.clients)
        alone_ids = sorted({i for s in alone["ids"].values() for i in s})
        bare_alone = bare_inserts(settings, alone_ids, 1)
        server.terminate()
        server.join()
    lat = got["latencies"]
    doubled = sum(1 for s in got["ids"].values() if len(s) > 1)
    rate = got["sent"] / got["wall"]
    p50, p99 = np.percentile(lat, 50) * 1000, np.percentile(lat, 99) * 1000
    b50, b99 = np.percentile(bare, 50) * 1000, np.percentile(bare, 99) * 1000
    print(f"requests {got['sent']:,} ({got['sent'] - got['unique']:,} retries of the same id)")
    print(f"pins:        {rate:7.0f} per s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    print(
        f"bare INSERT: {len(bare) / max(bare.sum() / args.clients, 1e-9):7.0f} per s"
        f"   p50 {b50:6.1f} ms   p99 {b99:6.1f} ms"
    )
    a50 = np.percentile(alone["latencies"], 50) * 1000
    s50 = np.percentile(bare_alone, 50) * 1000
    print(
        f"one client alone: a pin {a50:5.1f} ms, a bare INSERT {s50:5.1f} ms (p50):"
        f" a pin's server time is {a50 / s50:.1f}x the bare INSERT"
    )
    print(f"{args.clients} clients: a pin's latency / a bare INSERT's (p50): {p50 / b50:.1f}x")
    f50 = np.percentile(least["latencies"], 50) * 1000
    f99 = np.percentile(least["latencies"], 99) * 1000
    print(
        f"floor, a signed-in GET /field/csrf: {len(least['latencies']) / least['wall']:7.0f} per s"
        f"   p50 {f50:6.1f} ms   p99 {f99:6.1f} ms (the most this server answers at all)"
    )
    print(
        f"errors {len(got['errors']) + len(alone['errors'])}; stored {stored:,} for"
        f" {got['unique']:,} ids;"
        f" an id answered with two incidents: {doubled}"
    )
    for e in got["errors"][:5]:
        print("  ", e)
    print(
        "targets: >= 500 pins/s, p99 < 100 ms, within 3x the bare INSERT; nothing lost or doubled"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
