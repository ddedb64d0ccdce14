"""Benchmark: printing and exporting the center's view of the demo street.

Run from the project folder::

    .venv/bin/python bench/export.py [--repeat 5]

In a private database it loads the demo street and asks, as the signed-in center (the app's
test client: server time, no network), for ``/center/export.pdf``, ``.png``, ``.xlsx`` and
``.csv`` of the page's opening view (the twelve months up to the newest incident), and of the
five years up to today with every kind (the largest view a filter allows). It prints the
first answer (matplotlib's import and first font load included), then the median and the
slowest of the warm ones, and each file's size, next to ``/center/`` itself for scale.
Benchmarks are not tests: nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridmap import create_app  # noqa: E402
from gridmap.data import incidents  # noqa: E402
from gridmap.demo import accounts as demo_accounts  # noqa: E402
from gridmap.demo import load as demo  # noqa: E402
from gridmap.store import db, sandbox  # noqa: E402

PATHS = ("/center/", "/center/export.pdf", "/center/export.png", "/center/export.xlsx")
PATHS += ("/center/export.csv",)


def signed_in(client, username: str = "center"):
    form = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    r = client.post(
        "/signin",
        data={"username": username, "password": demo_accounts.PASSWORD, "csrf_token": token},
    )
    assert r.status_code == 302, r.status_code
    return client


def timed(client, path: str, query: str) -> tuple[float, int]:
    t = time.perf_counter()
    r = client.get(f"{path}?{query}")
    body = r.get_data()
    elapsed = time.perf_counter() - t
    if r.status_code != 200:
        raise SystemExit(f"{path}?{query}: {r.status_code} {body[:300]!r}")
    return elapsed, len(body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    today = date.today()
    print(f"# bench/export.py — {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores\n")
    with sandbox.database(port=54397, prefix="gridmap-bench-") as settings:
        with db.connect_owner(settings) as owner:
            demo.load_demo(owner)
        with db.connect(settings) as conn:
            kinds = incidents.reference(conn)["kinds"]
        long = f"from={today - timedelta(days=1800)}&to={today}"
        views = {
            "opening view": "",
            "five years, every kind": long + "".join(f"&kind={k}" for k in kinds),
        }
        app = create_app({**settings, "TESTING": True})
        client = signed_in(app.test_client())
        head = f"{'view':<24} {'request':<20} {'first s':>8} {'p50 s':>7} {'max s':>7} {'KB':>7}"
        print(head)
        for name, query in views.items():
            for path in PATHS:
                first, size = timed(client, path, query)
                warm = [timed(client, path, query)[0] for _ in range(args.repeat)]
                print(
                    f"{name:<24} {path:<20} {first:>8.2f} {statistics.median(warm):>7.2f}"
                    f" {max(warm):>7.2f} {size / 1024:>7.0f}"
                )
        db.close(app)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
