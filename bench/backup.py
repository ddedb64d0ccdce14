"""Benchmark: backing up and restoring the embedded cluster (pgBackRest) at a million incidents.

Run from the project folder::

    .venv/bin/python bench/backup.py [--incidents 1000000]

In a private database it loads the demo street and adds N incidents (as bench/writes.py does,
through the bulk loader), then gives the cluster a backup folder and restarts it (archiving on).
Printed, side by side in one run:

* ``gridmap db backup --type full`` (gridmap.store.backup.backup: stanza-create, the backup
  with lz4 and 2 processes, expiry, the secrets copied), then an incremental one after 1,000 more
  incidents; the repository's size;
* ``gridmap db restore --at-backup-end`` into a fresh folder (the files, the WAL replayed, the
  restored cluster started, read for its street and schema, and stopped), and ``--to`` a moment
  after the incremental backup (the WAL of those 1,000 incidents replayed as well);
* the baseline: a plain ``pg_basebackup -Ft -X fetch`` (an uncompressed tar of the data folder
  with its WAL), and its restore (tar extracted, the server started and stopped).

The target of issue 17 is a restore in under 2 minutes. Benchmarks are not tests: nothing here
asserts a timing.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import attribution  # noqa: E402

from gridmap.data import incidents as incident_data  # noqa: E402
from gridmap.geo.placement import Placement  # noqa: E402
from gridmap.intake import load as incidents  # noqa: E402
from gridmap.store import backup, cluster, db, sandbox  # noqa: E402

STREET = "420114004"


def size(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True).stdout
    return int(out.split()[0]) if out else 0


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def timed(call) -> tuple[float, object]:
    t = time.perf_counter()
    result = call()
    return time.perf_counter() - t, result


def add(settings, n: int, seed: int) -> float:
    with db.connect(settings, autocommit=True) as conn:
        division = attribution.division_of(conn, "demo street", STREET)
        ref = incident_data.reference(conn)
        rows = attribution.as_text(attribution.random_rows(division, ref, n, seed=seed))
        seconds, _ = timed(
            lambda: incidents.load(conn, Placement(), STREET, rows, source=f"bench-{seed}")
        )
    return seconds


def basebackup(c: cluster.Cluster, folder: Path) -> float:
    """pg_basebackup of the data folder into ``folder`` (tar, WAL fetched), as the server's
    user with the superuser's password in a passfile of its own."""
    folder.mkdir()
    c.give(folder)
    passfile = c.socket_dir / "bench-pgpass"
    passfile.write_text(f"*:*:*:{cluster.ADMIN}:{c.passwords()[cluster.ADMIN]}\n")
    c.give(passfile, mode=0o600)
    cmd = [
        "env",
        f"PGPASSFILE={passfile}",
        str(c.bin_dir / "pg_basebackup"),
        "-h",
        str(c.socket_dir),
        "-p",
        str(c.port),
        "-U",
        cluster.ADMIN,
        "-D",
        str(folder),
        "-Ft",
        "-X",
        "fetch",
        "-c",
        "fast",
    ]
    try:
        seconds, result = timed(lambda: subprocess.run(c.command(cmd), capture_output=True))
    finally:
        passfile.unlink()
    if result.returncode:
        raise SystemExit(result.stderr.decode())
    return seconds


def untar(c: cluster.Cluster, tar: Path, into: Path) -> float:
    """The baseline's restore: the tar extracted into a fresh folder, the server started
    (crash recovery from the fetched WAL) and stopped."""
    fresh = replace(
        c,
        data_dir=into / "pgdata",
        socket_dir=into / "pgsocket",
        log_file=into / "pgsocket" / "postgres.log",
        backup_dir=None,
        recovering=True,
    )
    into.mkdir()
    into.chmod(0o755)
    shutil.copyfile(c.secrets_file, fresh.secrets_file)

    def run() -> None:
        for folder in (fresh.data_dir, fresh.socket_dir):
            folder.mkdir()
            c.give(folder)
        subprocess.run(
            c.command(["tar", "-xf", str(tar / "base.tar"), "-C", str(fresh.data_dir)]),
            check=True,
        )
        fresh.start()
        fresh.stop()

    return timed(run)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=54397)
    args = parser.parse_args(argv)
    print(
        f"gridmap backup benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, "
        f"{os.cpu_count()} cores, demo street + {args.incidents:,} incidents"
    )
    work = Path(tempfile.mkdtemp(prefix="gridmap-bench-backup-"))
    work.chmod(0o755)
    try:
        with sandbox.database(args.port, prefix="gridmap-bench-") as settings:
            with db.connect_owner(settings, autocommit=True) as owner:
                attribution.OWNER = owner
                attribution.build_demo(owner)
            print(
                f"loaded {args.incidents:,} incidents in {add(settings, args.incidents, 7):.1f} s"
            )
            settings = {**settings, "BACKUP_DIR": str(work / "repo")}
            c = cluster.from_config(settings)
            c.stop()
            c.start()  # archiving on, as with BACKUP_DIR set
            data = size(c.data_dir)
            full_s, full = timed(lambda: backup.backup(c, "full"))
            repo_full = size(work / "repo")
            print(f"1,000 more incidents in {add(settings, 1000, 8):.1f} s")
            incr_s, incr = timed(lambda: backup.backup(c, "incr"))
            time.sleep(1.1)
            moment = datetime.now(UTC)
            time.sleep(0.2)
            with db.connect_owner(settings) as owner:  # a commit after the moment, to stop at
                owner.execute("ANALYZE street")
                owner.execute("UPDATE street SET name = name WHERE code = %s", (STREET,))
            backup.verify(c)  # the WAL up to now archived
            base_s = basebackup(c, work / "base")
            tar_size = size(work / "base")
            at_end_s, _ = timed(lambda: backup.restore(c, STREET, work / "r-end", "immediate"))
            to_s, _ = timed(lambda: backup.restore(c, STREET, work / "r-to", moment))
            untar_s = untar(c, work / "base", work / "r-tar")

        print()
        print(
            f"data folder {mib(data)}; repository after the full backup {mib(repo_full)}, "
            f"after the incremental {mib(size(work / 'repo'))}; pg_basebackup tar "
            f"{mib(tar_size)}"
        )
        print()
        print(f"{'':44} {'seconds':>8}")
        rows = [
            (f"gridmap db backup --type full ({full.label})", full_s),
            (f"gridmap db backup --type incr ({incr.label[-16:]})", incr_s),
            ("baseline: pg_basebackup -Ft -X fetch", base_s),
            ("gridmap db restore --at-backup-end", at_end_s),
            ("gridmap db restore --to (after the incr)", to_s),
            ("baseline: tar -x + start + stop", untar_s),
        ]
        for name, seconds in rows:
            print(f"{name:44} {seconds:8.1f}")
        print()
        print(
            f"backup / baseline {full_s / base_s:.2f}; restore / baseline "
            f"{at_end_s / untar_s:.2f}; restore target: under 120 s "
            f"({'met' if max(at_end_s, to_s) < 120 else 'NOT met'})"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
