"""Benchmark: attributing incidents to grids, against GeoPandas' ``sjoin``, and the whole load.

Run from the project folder::

    .venv/bin/python bench/attribution.py [--sizes 10000,100000,1000000] [--repeat 3]

It starts a private embedded PostgreSQL + PostGIS cluster in a temporary folder (unless
``GRIDMAP_DATABASE_URL`` is set), migrates it, builds two divisions (the demo street and a
synthetic district of 10,000 grids) and, for every size N, measures on N random points inside
each division:

* ``sjoin``: ``geopandas.sjoin(points, grids, predicate="within")`` onto the grid polygons. The
  points GeoDataFrame is built before the clock starts (a user who already has it), and the
  grids' spatial index is built by a warm-up join first, as gridmap's is.
* ``place``: gridmap's attribution step, ``Placement().place(conn, street, lon, lat, at)``, with
  the division's index already built (one warm-up call; the cold build is reported apart).
* ``load``: the whole bulk load, ``gridmap.intake.load.load(...)``, from a pandas frame of raw rows
  to committed rows (validation, attribution, COPY and commit all inside the clock). The raw
  frame is what ``gridmap load-incidents`` reads from a CSV file: every column text, times in
  Beijing time without a zone. Rows come in random time order ("shuffled") and, separately,
  sorted by time as ledgers usually are ("chrono"). The breakdown of the shuffled load:
  prepare (validation and types), place, and write (batch row, COPY, commit).
* ``prep typed``: ``prepare`` alone on the same rows already typed (floats, datetimes).

Every figure is the best of ``--repeat`` runs. Before each load the incident table is truncated
and a checkpoint is taken (outside the clock), so sizes do not accumulate and runs compare.
Benchmarks are not tests: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely

from gridmap.data import incidents as incident_data
from gridmap.data import streets, tally_upkeep
from gridmap.geo.placement import Placement
from gridmap.intake import load as incidents
from gridmap.planner import planning
from gridmap.store import db, sandbox

SYNTHETIC_CODE = "420114990"
SYNTHETIC_FROM = pd.Timestamp("2021-01-01T00:00+08:00")
CENTRE = (114.0, 30.5)  # lon, lat: Caidian district, Wuhan
AREA_KM2 = 1100.0  # Caidian is about 1,100 km²
LATTICE = 100  # 100 × 100 = 10,000 grids, one unit each
VILLAGE_BLOCK = (4, 5)  # lattice rows × columns per village: 20 grids, 500 villages
PACKAGE_AREAS = 8
TARGETS = {"ratio": 1.0, "load_1m": 10.0}
TITLES = [
    "邻里纠纷",
    "土地纠纷",
    "宅基地界址争议",
    "婚姻家庭纠纷",
    "劳资纠纷",
    "合同纠纷",
    "征拆还纠纷",
    "损害赔偿纠纷",
    "噪音扰民",
    "排水纠纷",
    "山林权属争议",
    "法律咨询",
]
DESCRIPTIONS = [
    "",
    "",
    "网格员走访时发现，已登记。",
    "当事人来电反映，待核实。",
    "双方就相邻通道使用发生争执，村调解委员会已介入。",
    "群众反映施工占用集体道路，影响通行，请求协调处理。",
]


@dataclass
class Division:
    label: str
    street_code: str
    division_id: int
    valid_from: pd.Timestamp
    boundary: shapely.Geometry
    grids: gpd.GeoDataFrame  # code, geometry


# --- the database --------------------------------------------------------------------------


@contextlib.contextmanager
def database(port: int):
    """Settings of a migrated database: a private cluster unless GRIDMAP_DATABASE_URL is set."""
    private = not os.environ.get("GRIDMAP_DATABASE_URL")
    with sandbox.database(port, prefix="gridmap-bench-", use_url=True) as values:
        yield values, private


def truncate_incidents(owner) -> None:
    """Empty the incident table (and what hangs off it): the owner's right, not the app's."""
    owner.execute("TRUNCATE incident CASCADE")


# --- the divisions -------------------------------------------------------------------------


def synthetic_frames(seed: int = 1):
    """10,000 grids (one unit each) over ~1,100 km²: Voronoi cells of a jittered lattice.

    Cells of one diagram clipped by a rectangle form a valid coverage. Villages are blocks of
    4 × 5 lattice cells (20 grids), package areas bands of villages.
    """
    rng = np.random.default_rng(seed)
    lon0, lat0 = CENTRE
    side = AREA_KM2**0.5
    h = side / 111.32
    w = side / (111.32 * np.cos(np.radians(lat0)))
    frame = shapely.box(lon0 - w / 2, lat0 - h / 2, lon0 + w / 2, lat0 + h / 2)
    n = LATTICE
    row, col = (a.ravel() for a in np.meshgrid(np.arange(n), np.arange(n), indexing="ij"))
    x = lon0 - w / 2 + (col + 0.5 + rng.uniform(-0.35, 0.35, n * n)) * w / n
    y = lat0 - h / 2 + (row + 0.5 + rng.uniform(-0.35, 0.35, n * n)) * h / n
    seeds = shapely.multipoints(np.column_stack([x, y]))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=frame, ordered=True))
    cells = shapely.intersection(cells, frame)
    if not shapely.coverage_is_valid(cells):
        raise SystemExit("synthetic units do not form a valid coverage")

    br, bc = VILLAGE_BLOCK
    per_row = n // bc
    village_no = (row // br) * per_row + col // bc  # 0 … 499
    villages_n = village_no.max() + 1
    village_codes = np.array([f"{SYNTHETIC_CODE}{v + 1:03d}" for v in range(villages_n)])
    # serial of each cell inside its village, 1 … 20
    serial = (row % br) * bc + col % bc + 1
    grid_codes = np.array(
        [f"{village_codes[v]}{s:03d}" for v, s in zip(village_no, serial, strict=True)]
    )
    pa_codes = [f"{SYNTHETIC_CODE}-P{p + 1}" for p in range(PACKAGE_AREAS)]
    package_areas = pd.DataFrame(
        {"code": pa_codes, "name": [f"片区{p + 1}" for p in range(PACKAGE_AREAS)]}
    )
    village_col = np.arange(villages_n) % per_row
    villages = pd.DataFrame(
        {
            "code": village_codes,
            "name": [f"第{v + 1}村" for v in range(villages_n)],
            "kind": np.where(np.arange(villages_n) % 10 == 0, "社区", "村"),
            "package_area_code": [pa_codes[c * PACKAGE_AREAS // per_row] for c in village_col],
        }
    )
    grids = pd.DataFrame(
        {
            "code": grid_codes,
            "name": [f"网格{s}" for s in serial],
            "village_code": village_codes[village_no],
        }
    )
    units = gpd.GeoDataFrame(
        {
            "code": grid_codes,  # unit and grid codes share one format; one unit per grid
            "name": [f"第{s}组" for s in serial],
            "kind": "村民小组",
            "village_code": village_codes[village_no],
            "grid_code": grid_codes,
            "households": rng.integers(20, 80, n * n),
            "population": rng.integers(60, 300, n * n),
            "geometry": cells,
        },
        crs=4326,
    )
    return package_areas, villages, grids, units


def build_synthetic(conn) -> float:
    """Replace the synthetic street and its one published division; returns seconds taken."""
    started = time.perf_counter()
    frames = synthetic_frames()
    with conn.transaction():
        streets.purge(conn, SYNTHETIC_CODE)
        streets.upsert(conn, SYNTHETIC_CODE, "合成区（基准测试）", synthetic=True)
        division = planning.load_draft(
            conn, SYNTHETIC_CODE, "合成区划：10,000 个网格", *frames, note="基准测试用的合成数据"
        )
        planning.publish(conn, division, SYNTHETIC_FROM.to_pydatetime())
    return time.perf_counter() - started


def build_demo(conn) -> str | None:
    """Load the demo street; its code, or None (with a note) when the demo is not ready."""
    try:
        from gridmap.demo import build  # noqa: F401
    except ImportError as exc:
        print(f"note: demo street skipped: gridmap.demo.build is not available ({exc})")
        return None
    from gridmap.demo.catalogue import STREET_CODE
    from gridmap.demo.load import load_demo

    started = time.perf_counter()
    figures = load_demo(conn)
    print(
        f"demo street {STREET_CODE} loaded in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in figures.items())
    )
    return STREET_CODE


def division_of(conn, label: str, street_code: str) -> Division:
    """The division in force now, with its outline and its grid polygons."""
    row = conn.execute(
        "SELECT id, lower(valid) AS valid_from, ST_AsBinary(boundary) AS wkb FROM division"
        " WHERE street_code = %s AND status = 'published' AND upper_inf(valid)",
        (street_code,),
    ).fetchone()
    grids = conn.execute(
        "SELECT code, ST_AsBinary(geom) AS wkb FROM grid WHERE division_id = %s ORDER BY code",
        (row["id"],),
    ).fetchall()
    frame = gpd.GeoDataFrame(
        {"code": [g["code"] for g in grids]},
        geometry=shapely.from_wkb([bytes(g["wkb"]) for g in grids]),
        crs=4326,
    )
    return Division(
        label,
        street_code,
        row["id"],
        pd.Timestamp(row["valid_from"]),
        shapely.from_wkb(bytes(row["wkb"])),
        frame,
    )


# --- the points ----------------------------------------------------------------------------


def random_rows(division: Division, ref: dict, n: int, seed: int) -> pd.DataFrame:
    """Typed incident rows: uniform points in the street, valid kinds, states and categories,
    times uniform over the division's validity (Beijing wall time, no zone), in random order."""
    rng = np.random.default_rng(seed)
    lon, lat = points_inside(division.boundary, n, rng)
    pairs = list(ref["statuses"])
    pick = rng.integers(0, len(pairs), n)
    kind = np.array([k for k, _ in pairs], dtype=object)[pick]
    status = np.array([s for _, s in pairs], dtype=object)[pick]
    cats_of: dict[str, list[str]] = {}
    for k, c in ref["categories"]:
        cats_of.setdefault(k, []).append(c)
    category = np.full(n, "", dtype=object)
    for k, codes in cats_of.items():
        rows = np.flatnonzero(kind == k)
        category[rows] = np.array(codes, dtype=object)[rng.integers(0, len(codes), rows.size)]
    start = division.valid_from.value
    end = pd.Timestamp.now(tz="UTC").value - 3 * 86_400 * 10**9
    occurred = pd.to_datetime(rng.integers(start, end, n) // 10**9 * 10**9, utc=True)
    # A case in a final state was closed (a day or two later); the others are open.
    final = np.array([ref["statuses"][p]["is_final"] for p in pairs])[pick]
    closed = occurred + pd.to_timedelta(rng.integers(3_600, 2 * 86_400, n), unit="s")
    closed = pd.Series(closed).where(final)
    return pd.DataFrame(
        {
            "kind": kind,
            "status": status,
            "category": category,
            "title": np.array(TITLES, dtype=object)[rng.integers(0, len(TITLES), n)],
            "description": np.array(DESCRIPTIONS, dtype=object)[
                rng.integers(0, len(DESCRIPTIONS), n)
            ],
            "lon": lon,
            "lat": lat,
            "occurred_at": occurred.tz_convert("Asia/Shanghai").tz_localize(None),
            "closed_at": closed.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None),
        }
    )


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows as ``gridmap load-incidents`` reads them from a CSV file: every column text,
    an empty field missing."""

    def text_times(col):
        seconds = frame[col].to_numpy().astype("datetime64[s]")
        when = np.strings.replace(np.datetime_as_string(seconds), "T", " ").astype(object)
        when[frame[col].isna().to_numpy()] = None
        return when

    text = frame.assign(
        lon=frame["lon"].map(repr),
        lat=frame["lat"].map(repr),
        occurred_at=text_times("occurred_at"),
        closed_at=text_times("closed_at"),
    )
    return text.astype(object).where(text.notna(), None)


def points_inside(boundary: shapely.Geometry, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in a polygon by rejection sampling from its bounding box."""
    shapely.prepare(boundary)
    x0, y0, x1, y1 = boundary.bounds
    lon, lat = np.empty(0), np.empty(0)
    while lon.size < n:
        want = int((n - lon.size) * 1.3) + 100
        x, y = rng.uniform(x0, x1, want), rng.uniform(y0, y1, want)
        keep = shapely.contains_xy(boundary, x, y)
        lon, lat = np.concatenate([lon, x[keep]]), np.concatenate([lat, y[keep]])
    return lon[:n], lat[:n]


# --- the measurements ----------------------------------------------------------------------


def best(runs: int, fn, before=None) -> tuple[float, object]:
    """Best wall time of ``runs`` calls of ``fn`` (``before`` runs untimed before each)."""
    times, result = [], None
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


class Breakdown:
    """Times the steps of one ``incidents.load`` call by wrapping the functions it calls."""

    def __init__(self, placement: Placement):
        self.placement = placement
        self.seconds: dict[str, float] = {"tally": 0.0}

    def _timed(self, name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] = time.perf_counter() - started

        return wrapper

    @contextlib.contextmanager
    def active(self):
        saved = (
            incidents.prepare,
            incident_data.copy_in,
            incident_data.create_indexes,
            tally_upkeep.fold,
        )
        incidents.prepare = self._timed("prepare", saved[0])
        incident_data.copy_in = self._timed("copy", saved[1])
        incident_data.create_indexes = self._timed("index", saved[2])
        tally_upkeep.fold = self._timed("tally", saved[3])
        self.placement.place = self._timed("place", Placement.place.__get__(self.placement))
        try:
            yield self
        finally:
            (
                incidents.prepare,
                incident_data.copy_in,
                incident_data.create_indexes,
                tally_upkeep.fold,
            ) = saved
            del self.placement.place


# The owner's connection: emptying the table, checkpoints, switching constraints off and on.
# The loads themselves run as the app's role, as `gridmap load-incidents` does.
OWNER: psycopg.Connection | None = None


def prepare_for_load(_conn=None) -> None:
    truncate_incidents(OWNER)
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):  # on a shared server
        OWNER.execute("CHECKPOINT")


def timed_loads(
    conn, division: Division, placement: Placement, frame: pd.DataFrame, repeat: int
) -> dict:
    """Best of ``repeat`` whole loads of ``frame``, with the breakdown of that run."""
    loads = []

    def one_load():
        breakdown = Breakdown(placement)
        with breakdown.active():
            started = time.perf_counter()
            result = incidents.load(conn, placement, division.street_code, frame, "bench")
            conn.commit()
            total = time.perf_counter() - started
        loads.append({"load": total, **breakdown.seconds, "tallied": result.tallied})

    best(repeat, one_load, before=lambda: prepare_for_load(conn))
    stored = conn.execute("SELECT count(*) AS n FROM incident").fetchone()["n"]
    if stored != len(frame):
        raise SystemExit(f"expected {len(frame)} stored incidents, found {stored}")
    return min(loads, key=lambda r: r["load"])


def measure_attribution(
    conn, division: Division, placement: Placement, typed: pd.DataFrame, repeat: int
) -> tuple[float, float, float]:
    """Best times of sjoin and of gridmap's place on the same points, and their agreement."""
    n = len(typed)
    points = gpd.GeoDataFrame(
        {"row": np.arange(n)}, geometry=gpd.points_from_xy(typed["lon"], typed["lat"]), crs=4326
    )
    grids = division.grids
    t_sjoin, joined = best(repeat, lambda: gpd.sjoin(points, grids, predicate="within"))
    lon, lat = typed["lon"].to_numpy(), typed["lat"].to_numpy()
    at = typed["occurred_at"].dt.tz_localize("+08:00").dt.tz_convert("UTC")
    t_place, placed = best(
        repeat, lambda: placement.place(conn, division.street_code, lon, lat, at)
    )
    return t_sjoin, t_place, agreement(joined, placed, n)


def measure(conn, division: Division, placement: Placement, ref: dict, n: int, repeat: int) -> dict:
    typed = random_rows(division, ref, n, seed=n)
    t_sjoin, t_place, agree = measure_attribution(conn, division, placement, typed, repeat)
    t_prep_typed, _ = best(repeat, lambda: incidents.prepare(typed, ref, "wgs84"))
    text = as_text(typed)
    shuffled = timed_loads(conn, division, placement, text, repeat)
    # A ledger in time order, read from its file: rows (and their strings) in that order.
    del text
    text = as_text(typed.sort_values("occurred_at", kind="stable").reset_index(drop=True))
    chrono = timed_loads(conn, division, placement, text, repeat)
    return {
        "division": division.label,
        "n": n,
        "sjoin": t_sjoin,
        "place": t_place,
        "ratio": t_place / t_sjoin,
        "load": shuffled["load"],
        "chrono": chrono["load"],
        "prepare": shuffled["prepare"],
        "place_in_load": shuffled["place"],
        "write": shuffled["load"] - shuffled["prepare"] - shuffled["place"],
        "copy": shuffled["copy"],
        "index": shuffled.get("index", 0.0),
        "tally": shuffled["tally"],
        "tallied": shuffled["tallied"],
        "prep_typed": t_prep_typed,
        "agree": agree,
    }


# The constraints of migration 0009, by the name the bench switches them off with: the row
# CHECKs, and the statement-level check of new rows (kinds, states, snapshot, street, …).
CHECKS = ("incident_times_in_order", "incident_text_limits", "incident_source_key")
STATEMENT_CHECK = "incident_a_check_insert"
VARIANTS = {
    "none": (),
    "row CHECKs": ("checks",),
    "statement check": ("trigger",),
    "all (as shipped)": ("checks", "trigger"),
}


@contextlib.contextmanager
def only(parts: tuple[str, ...]):
    """The incident table with just these of the 0009 constraints (restored on exit)."""
    definitions = {
        r["name"]: r["definition"]
        for r in OWNER.execute(
            "SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conrelid = 'incident'::regclass AND conname = ANY(%s)",
            (list(CHECKS),),
        ).fetchall()
    }
    if "checks" not in parts:
        for name in definitions:
            OWNER.execute(f"ALTER TABLE incident DROP CONSTRAINT {name}")
    if "trigger" not in parts:
        OWNER.execute(f"ALTER TABLE incident DISABLE TRIGGER {STATEMENT_CHECK}")
    try:
        yield
    finally:
        truncate_incidents(OWNER)
        OWNER.execute(f"ALTER TABLE incident ENABLE TRIGGER {STATEMENT_CHECK}")
        for name, definition in definitions.items():
            if "checks" not in parts:
                OWNER.execute(f"ALTER TABLE incident ADD CONSTRAINT {name} {definition}")


def measure_constraints(conn, division, placement, ref, n: int, repeat: int) -> list[dict]:
    """The same n-row load with none, some and all of the constraints, runs interleaved (so
    that the machine's drift falls on every variant alike); best of ``repeat`` each."""
    from gridmap.intake import fold as tally

    text = as_text(random_rows(division, ref, n, seed=n))
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    # The load's own transaction only: the fold into the tally afterwards is the same whatever
    # the constraints, so it is left out here (the main table reports it).
    keep, tally.worth_keeping = tally.worth_keeping, lambda frame: False
    for _ in range(repeat):
        for name, parts in VARIANTS.items():
            with only(parts):
                prepare_for_load()
                started = time.perf_counter()
                incidents.load(conn, placement, division.street_code, text, "bench")
                times[name].append(time.perf_counter() - started)
            print(f"  {name:<18} {times[name][-1]:.2f} s", flush=True)
    tally.worth_keeping = keep
    base = min(times["none"])
    return [
        {"variant": name, "best": min(t), "ratio": min(t) / base, "runs": t, "n": n}
        for name, t in times.items()
    ]


def print_constraints(rows: list[dict]) -> None:
    n = rows[0]["n"]
    print(f"\n{n:,}-row loads on the demo street, with and without the 0009 constraints")
    print(f"{'constraints':<20} {'best s':>8} {'vs none':>8}   runs")
    for r in rows:
        runs = " ".join(f"{t:.2f}" for t in r["runs"])
        print(f"{r['variant']:<20} {r['best']:>8.2f} {r['ratio']:>7.1%}   {runs}")
    total = rows[-1]["ratio"] - 1
    print(f"\ntarget: at most 15 % more than without them; measured {total:+.1%}")


def agreement(joined: gpd.GeoDataFrame, placed: pd.DataFrame, n: int) -> float:
    """Share of points on which sjoin's grid and gridmap's grid agree (edges aside)."""
    theirs = pd.Series(joined["code"].to_numpy(), index=joined["row"].to_numpy())
    theirs = theirs[~theirs.index.duplicated()].reindex(range(n))
    return float((theirs.to_numpy() == placed["grid_code"].to_numpy()).mean())


# --- the report ----------------------------------------------------------------------------


def print_table(results: list[dict]) -> None:
    head = (
        f"{'division':<20} {'N':>9} {'sjoin s':>8} {'place s':>8} {'ratio':>6} │ "
        f"{'load s':>7} {'chrono s':>8} │ {'prepare':>7} {'place':>6} {'write':>6} "
        f"{'(COPY':>6} {'index':>6} {'tally)':>7} │ {'prep typed':>10} {'agree':>7}"
    )
    print(head)
    print("─" * len(head))
    for r in results:
        print(
            f"{r['division']:<20} {r['n']:>9,} {r['sjoin']:>8.3f} {r['place']:>8.3f} "
            f"{r['ratio']:>6.2f} │ {r['load']:>7.2f} {r['chrono']:>8.2f} │ "
            f"{r['prepare']:>7.2f} {r['place_in_load']:>6.2f} {r['write']:>6.2f} "
            f"{r['copy']:>6.2f} {r['index']:>6.2f} {tally_cell(r):>7} │ "
            f"{r['prep_typed']:>10.2f} {r['agree']:>7.2%}"
        )
    big = [r for r in results if r["n"] == 1_000_000]
    print()
    print(
        f"targets at 1M: attribution ratio ≤ {TARGETS['ratio']:.1f}, "
        f"whole load < {TARGETS['load_1m']:.0f} s"
    )
    for r in big:
        verdict = {True: "met", False: "NOT met"}
        print(
            f"  {r['division']}: ratio {r['ratio']:.2f} "
            f"({verdict[r['ratio'] <= TARGETS['ratio']]}); load {r['load']:.2f} s shuffled "
            f"({verdict[r['load'] < TARGETS['load_1m']]}), {r['chrono']:.2f} s chronological "
            f"({verdict[r['chrono'] < TARGETS['load_1m']]})"
        )
    if not big:
        print("  (no 1M run)")
    print(
        "\nwrite = batch row, COPY (encoding hidden behind the server's work), index rebuild "
        '(large batches),\nincident_tally ("—": the batch would not aggregate and is counted '
        "directly; see migration 0007), ANALYZE, commit"
    )


def tally_cell(r: dict) -> str:
    return f"{r['tally']:.2f}" if r["tallied"] else "—"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000,1000000",
        help="comma-separated numbers of points (default: %(default)s)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure, best kept")
    parser.add_argument("--port", type=int, default=54397, help="port of the private cluster")
    parser.add_argument("--only", choices=["demo", "synthetic"], help="bench one division")
    parser.add_argument(
        "--constraints",
        type=int,
        default=0,
        metavar="N",
        help="instead: N-row loads on the demo street with and without the integrity "
        "constraints of migration 0009, side by side",
    )
    parser.add_argument(
        "--yes-wipe-incidents",
        action="store_true",
        help="allow TRUNCATE incident on the GRIDMAP_DATABASE_URL database",
    )
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if os.environ.get("GRIDMAP_DATABASE_URL") and not args.yes_wipe_incidents:
        print(
            "GRIDMAP_DATABASE_URL is set: this benchmark truncates the incident table and"
            " replaces the demo and synthetic streets there. Pass --yes-wipe-incidents."
        )
        return 2

    print(
        f"gridmap attribution benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, geopandas {gpd.__version__}, shapely {shapely.__version__}"
    )
    results, constraints = [], []
    global OWNER
    with database(args.port) as (values, private):
        print(
            "database:",
            "private embedded cluster (temporary)" if private else "GRIDMAP_DATABASE_URL",
        )
        with (
            db.connect(values, autocommit=True) as conn,
            db.connect_owner(values, autocommit=True) as OWNER,
        ):
            ref = incident_data.reference(conn)
            divisions = []
            if args.only in (None, "demo"):
                code = build_demo(OWNER)
                if code:
                    divisions.append(division_of(conn, "demo street", code))
            if args.only in (None, "synthetic"):
                seconds = build_synthetic(OWNER)
                print(
                    f"synthetic division ({LATTICE**2:,} grids) built and published in "
                    f"{seconds:.1f} s"
                )
                divisions.append(division_of(conn, "synthetic 10k grids", SYNTHETIC_CODE))
            truncate_incidents(OWNER)
            for division in divisions:
                placement = Placement()
                started = time.perf_counter()
                placement.index(conn, division.division_id)
                cold = time.perf_counter() - started
                print(
                    f"{division.label}: {len(division.grids):,} grids; cold index build "
                    f"{cold * 1000:.0f} ms (read units + STRtree + prepare)"
                )
                warm = division.boundary.representative_point()
                placement.place(
                    conn, division.street_code, [warm.x], [warm.y], [pd.Timestamp.now(tz="UTC")]
                )
                gpd.sjoin(
                    gpd.GeoDataFrame(geometry=[warm], crs=4326), division.grids, predicate="within"
                )  # builds the grids' sindex, untimed
                if args.constraints and division is divisions[0]:
                    constraints = measure_constraints(
                        conn, division, placement, ref, args.constraints, args.repeat
                    )
                    continue
                for n in sizes:
                    result = measure(conn, division, placement, ref, n, args.repeat)
                    results.append(result)
                    print(
                        f"  N={n:>9,}: sjoin {result['sjoin']:.3f} s, place "
                        f"{result['place']:.3f} s, load {result['load']:.2f} s shuffled, "
                        f"{result['chrono']:.2f} s chronological",
                        flush=True,
                    )
                    truncate_incidents(OWNER)
    if constraints:
        print_constraints(constraints)
        return 0
    print()
    print_table(results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"\npeak memory (this process): {peak:.1f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
