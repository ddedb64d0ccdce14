"""Checking, rebalancing and publishing plans (issue 10).

    .venv/bin/python bench/planner.py [--repeat 5] [--publish-incidents 1000000]
                                      [--publish-repeat 3] [--open-share 0.05] [--explain]
                                      [--skip-publish | --skip-checks]

Checking: gridmap.planner.check.check_village for one village, for the whole demo street village by
village, and for a synthetic district of 10,000 grids; next to each, in the same run, the bare
GEOS coverage test of the same units (shapely.coverage_is_valid), the least any check of a
coverage costs. Then the suggested rebalance (gridmap.planner.rebalance) of a village of 30 and of
300 units, next to the plan check of the same village. Targets: one village under 50 ms, so that it
can run on every click; a rebalance of 300 units under 3 s.

Publishing: bench/planner_publish.py (run from here; its figures follow these).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.planner_publish import publish_bench  # noqa: E402
from gridmap.planner.check import Band, check_village  # noqa: E402
from gridmap.planner.rebalance import neighbours, suggest  # noqa: E402

BAND = Band(30, 500)
WEIGHTS = {"dispute": 5.0, "petition": 10.0, "mediation": 5.0, "enforcement": 3.0}


def best_ms(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000


def villages_of(units):
    """Each village's edge, its units (with no incidents) and its grids."""
    out = []
    for code, rows in units.groupby("village_code", sort=True):
        rows = rows.assign(incidents=[{}] * len(rows))
        edge = shapely.coverage_union_all(rows.geometry.values)
        grids = {g: {"name": g, "members": ["（示意）"]} for g in sorted(set(rows["grid_code"]))}
        out.append((code, edge, rows, grids))
    return out


def run(label: str, units, repeat: int) -> None:
    parts = villages_of(units)
    each = [
        best_ms(repeat, lambda p=p: check_village(p[1], p[2], p[3], BAND, 0.15, WEIGHTS))
        for p in parts
    ]
    bare = [
        best_ms(repeat, lambda p=p: shapely.coverage_is_valid(p[2].geometry.values)) for p in parts
    ]
    sizes = [len(p[2]) for p in parts]
    span = f"{min(sizes)}–{max(sizes)} a village"
    print(f"{label}: {len(parts)} villages, {len(units):,} units ({span})")
    print(
        f"  one village: median {np.median(each):6.2f} ms, slowest {max(each):6.2f} ms"
        f"   bare coverage test: median {np.median(bare):6.2f} ms"
        f"   ({np.median(each) / np.median(bare):.1f}x)"
    )
    print(
        f"  every village: {sum(each):8.1f} ms   bare coverage test {sum(bare):8.1f} ms"
        f"   ({sum(each) / sum(bare):.1f}x)"
    )


def rebalance(cols: int, rows: int, grids: int, repeat: int) -> None:
    """A village of cols × rows square units in ``grids`` stripes, the first carrying twice its
    share; the suggestion's time next to the plan check's of the same village, and the units
    moved next to the fewest any suggestion could move (each unit moved carries at most the
    heaviest unit's workload out of an overloaded grid)."""
    import geopandas as gpd

    s = 0.002
    cells = [(c, r) for r in range(rows) for c in range(cols)]
    geoms = [shapely.box(c * s, r * s, (c + 1) * s, (r + 1) * s) for c, r in cells]
    assignment = [f"G{c * grids // cols + 1:02d}" for c, _r in cells]
    rng = np.random.default_rng(7)
    workload = rng.integers(20, 60, size=len(cells)).astype(float)
    workload[[a == "G01" for a in assignment]] *= 2.0
    tolerance = 0.15
    adjacent = neighbours(geoms)
    took = best_ms(repeat, lambda: suggest(workload, assignment, neighbours(geoms), tolerance))
    result = suggest(workload, assignment, adjacent, tolerance)
    units = gpd.GeoDataFrame(
        {
            "code": [f"U{i}" for i in range(len(cells))],
            "grid_code": assignment,
            "households": workload.astype(int),
            "population": 0,
            "geometry": geoms,
        }
    )
    plan = {g: {"members": ["某"]} for g in sorted(set(assignment))}
    edge = shapely.box(0, 0, cols * s, rows * s)
    check = best_ms(repeat, lambda: check_village(edge, units, plan, BAND, tolerance, {}))
    target = workload.sum() / grids
    loads = [workload[[a == g for a in assignment]].sum() for g in plan]
    least = sum(int(np.ceil(max(0, v - (1 + tolerance) * target) / workload.max())) for v in loads)
    print(
        f"rebalance, {len(cells)} units in {grids} grids: {took:7.1f} ms"
        f" (the plan check of that village {check:6.1f} ms, {took / check:.1f}x);"
        f" {len(result.moves)} units moved (at least {least} needed);"
        f" every grid within {tolerance:.0%}: {result.within}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--publish-incidents", type=int, default=1_000_000, help="0: the demo's incidents only"
    )
    parser.add_argument("--publish-repeat", type=int, default=3)
    parser.add_argument(
        "--open-share", type=float, default=0.05, help="share of the added incidents left open"
    )
    parser.add_argument("--skip-publish", action="store_true")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="one more publish at the largest size under auto_explain: the costliest statements",
    )
    parser.add_argument("--skip-checks", action="store_true", help="the publish bench only")
    parser.add_argument("--port", type=int, default=54397)
    args = parser.parse_args(argv)
    from bench.attribution import synthetic_frames
    from gridmap.demo import build

    print(f"# bench/planner.py — {time.strftime('%Y-%m-%d %H:%M')}")
    if not args.skip_checks:
        run("demo street", build().units, args.repeat)
        _pa, _villages, _grids, units = synthetic_frames()
        run("synthetic district, 10,000 grids", units, max(1, args.repeat // 2))
        rebalance(6, 5, 3, args.repeat)
        rebalance(20, 15, 10, max(1, args.repeat // 2))
        print("targets: one village under 50 ms; a rebalance of 300 units under 3 s")
    if not args.skip_publish:
        publish_bench(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
