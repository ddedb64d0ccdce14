"""Backups of the embedded cluster with pgBackRest: the record survives the machine.

With a backup folder configured (``BACKUP_DIR``, a pgBackRest *repository*), the server runs
with ``wal_level=replica`` and hands every finished WAL segment to ``pgbackrest archive-push``
(continuous archiving). A *backup* copies the data folder (full, or incremental: the files
changed since the previous one); the WAL archived since lets a restore replay the record up to
any moment after a backup's end (point-in-time recovery).

Each backup is annotated with the streets the database holds and the newest migration it has
run (``gridmap-streets``, ``gridmap-schema``), so that a restore can refuse, before it copies
anything, a backup of another street or of a schema newer than this gridmap knows; the restored
cluster is read again before it is accepted. The instance's secrets (``pgpass``: the roles'
passwords, which the restored cluster still expects) and its ``gridmap.toml`` are copied into
the backup folder at each backup, so that the one folder is what must leave the machine.

A restore never touches the running instance: it makes a fresh instance folder
(gridmap.store.restore).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from gridmap.core import clock
from gridmap.core.errors import ConfigError, DatabaseUnavailable, GridmapError
from gridmap.store.cluster import ADMIN, Cluster

STANZA = "gridmap"  # pgBackRest's name for the one cluster a repository holds here
INSTALL_HINT = "请先安装：apt-get install -y pgbackrest"
SECRETS = ("pgpass", "gridmap.toml")  # copied beside the backups: what a restore needs too
ARCHIVE_TIMEOUT = "300"  # a quiet server still archives its last writes within 5 minutes


class BackupError(GridmapError):
    """A backup, restore or check that did not succeed; the message says why, in Chinese."""


@dataclass(frozen=True)
class Backup:
    label: str
    kind: str  # full, incr, diff
    started: datetime
    stopped: datetime
    streets: tuple[str, ...]
    schema: int | None
    size: int  # bytes in the repository


def config_file(c: Cluster) -> Path:
    return c.data_dir.parent / "pgbackrest.conf"


def write_config(c: Cluster) -> Path:
    """pgBackRest's settings for this instance: the repository, the data folder and socket,
    the superuser it connects as. Rewritten at every start and backup (it holds no secret)."""
    _require_pgbackrest()
    folder = repository(c)
    folder.mkdir(parents=True, exist_ok=True)
    c.give(folder, mode=0o750)
    for sub in (c.socket_dir,):
        sub.mkdir(parents=True, exist_ok=True)
        c.give(sub)
    text = "\n".join(
        [
            "# Written by gridmap (gridmap/store/backup.py) at each start and backup.",
            "[global]",
            f"repo1-path={folder}",
            "compress-type=lz4",
            "process-max=2",
            "start-fast=y",
            f"log-path={c.socket_dir}",
            f"lock-path={c.socket_dir}",
            "log-level-console=error",
            "log-level-file=info",
            "",
            f"[{STANZA}]",
            f"pg1-path={c.data_dir}",
            f"pg1-socket-path={c.socket_dir}",
            f"pg1-port={c.port}",
            f"pg1-user={ADMIN}",
            "",
        ]
    )
    path = config_file(c)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)
    return path


def archive_options(c: Cluster) -> dict[str, str]:
    """What the server adds to its settings when it archives into the backup folder."""
    command = f"pgbackrest --config={config_file(c)} --stanza={STANZA} archive-push %p"
    return {
        **archive_options_without_command(),  # max_wal_senders: pg_basebackup, should one want
        "archive_mode": "on",
        "archive_command": command,
        "archive_timeout": ARCHIVE_TIMEOUT,
    }


def recovery_options() -> dict[str, str]:
    """What a restored copy starts with while it replays: a standby needs at least the
    archiving server's WAL level and senders; it archives nothing itself."""
    options = archive_options_without_command()
    return {**options, "archive_mode": "off"}


def archive_options_without_command() -> dict[str, str]:
    return {"wal_level": "replica", "max_wal_senders": "3"}


def backup(c: Cluster, kind: str = "incr", keep_full: int = 2) -> Backup:
    """Make a backup of the running cluster (``full`` or ``incr``; the first is always full),
    annotated with its streets and schema; older full backups beyond ``keep_full`` expire."""
    if kind not in ("full", "incr"):
        raise ConfigError(f"备份类型应为 full 或 incr，收到：{kind}")
    _require_archiving(c)
    with connect(c) as conn:
        streets, schema = contents(conn)
    run(c, "stanza-create", what="创建备份仓库失败")
    run(
        c,
        "backup",
        f"--type={kind}",
        f"--repo1-retention-full={int(keep_full)}",
        f"--annotation=gridmap-streets={','.join(streets) or '-'}",
        f"--annotation=gridmap-schema={schema if schema is not None else '-'}",
        what="备份失败",
    )
    _keep_secrets(c)
    return backups(c)[-1]


def backups(c: Cluster) -> list[Backup]:
    """The repository's good backups, oldest first (empty when there are none yet)."""
    if c.backup_dir is None or not (repository(c) / "backup" / STANZA).exists():
        return []
    out = run(c, "info", "--output=json", what="读取备份信息失败", connects=False).stdout
    found = []
    for stanza in json.loads(out or "[]"):
        for b in stanza.get("backup", []):
            if b.get("error"):
                continue
            notes = b.get("annotation") or {}
            schema = notes.get("gridmap-schema", "-")
            found.append(
                Backup(
                    label=b["label"],
                    kind=b["type"],
                    started=_moment(b["timestamp"]["start"]),
                    stopped=_moment(b["timestamp"]["stop"]),
                    streets=tuple(s for s in notes.get("gridmap-streets", "-").split(",") if s)
                    if notes.get("gridmap-streets", "-") != "-"
                    else (),
                    schema=int(schema) if schema.isdigit() else None,
                    size=int(b.get("info", {}).get("repository", {}).get("delta", 0)),
                )
            )
    return sorted(found, key=lambda b: b.stopped)


def last_good(c: Cluster) -> Backup | None:
    found = backups(c)
    return found[-1] if found else None


def due(c: Cluster, now: datetime, every_hours: float = 23.5) -> str | None:
    """The kind of backup the daily upkeep should make now, or None: none within a day; a full
    one when the newest full is a week old."""
    found = backups(c)
    if found and (now - found[-1].stopped).total_seconds() < every_hours * 3600:
        return None
    fulls = [b for b in found if b.kind == "full"]
    if not fulls or (now - fulls[-1].stopped).days >= 7:
        return "full"
    return "incr"


def verify(c: Cluster) -> list[str]:
    """Check the repository: the running server archives into it (``check``: a WAL switch
    archived now), and every backup's files and the archived WAL are whole (``verify``).
    Returns what was checked, in words."""
    done = []
    if c.is_running():
        _require_archiving(c)
        run(c, "check", what="归档检查失败")
        done.append("数据库正在向备份目录持续归档 WAL，刚才的 WAL 已归档")
    found = backups(c)
    if not found:
        raise BackupError(f"备份目录 {repository(c)} 中还没有备份：请先运行 gridmap db backup")
    run(c, "verify", what="备份校验失败", connects=False)
    done.append(f"{len(found)} 份备份及所需 WAL 校验完整（最近一份：{_words(found[-1])}）")
    return done


def _keep_secrets(c: Cluster) -> None:
    """Copy the instance's pgpass and gridmap.toml beside the backups (root's, mode 0600)."""
    folder = repository(c) / "instance"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o700)
    for name in SECRETS:
        source = c.data_dir.parent / name
        if source.is_file():
            shutil.copyfile(source, folder / name)
            (folder / name).chmod(0o600)


def _require_archiving(c: Cluster) -> None:
    repository(c)
    if not c.is_running():
        raise DatabaseUnavailable("内置数据库没有在运行：请先运行 gridmap db start。")
    with connect(c) as conn:
        row = conn.execute("SELECT current_setting('archive_mode') AS mode").fetchone()
    if row[0] != "on":
        raise BackupError(
            "内置数据库启动时还没有设置备份目录，没有归档 WAL：请重启数据库"
            "（gridmap db stop，再 gridmap db start）后再备份。"
        )


def contents(conn: psycopg.Connection) -> tuple[tuple[str, ...], int | None]:
    """The streets a database holds and the newest migration it has run."""
    streets = tuple(r[0] for r in conn.execute("SELECT code FROM street ORDER BY code"))
    schema = conn.execute("SELECT max(number) FROM schema_migration").fetchone()[0]
    return streets, schema


def connect(c: Cluster, dbname: str = "gridmap") -> psycopg.Connection:
    try:
        return psycopg.connect(c.url_for(ADMIN, dbname), autocommit=True)
    except psycopg.OperationalError as exc:
        raise DatabaseUnavailable(f"无法连接内置数据库：{exc}") from exc


def run(c: Cluster, *args: str, what: str, connects: bool = True) -> subprocess.CompletedProcess:
    """Run pgBackRest as the server's user, with the superuser's password in a passfile only
    that user can read, removed when it is done (``connects``: the command talks to the
    server; a restore does not)."""
    write_config(c)
    with _passfile(c) if connects else contextlib.nullcontext("/dev/null") as passfile:
        cmd = [
            "env",
            f"PGPASSFILE={passfile}",
            "pgbackrest",
            f"--config={config_file(c)}",
            f"--stanza={STANZA}",
            *args,
        ]
        result = subprocess.run(c.command(cmd), capture_output=True, text=True, cwd="/")
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{what}：{' '.join(lines[-3:])}")
    return result


@contextlib.contextmanager
def _passfile(c: Cluster):
    password = c.passwords()[ADMIN]
    with tempfile.NamedTemporaryFile("w", dir=c.socket_dir, delete=False) as out:
        out.write(f"*:*:*:{ADMIN}:{password}\n")
    try:
        c.give(Path(out.name), mode=0o600)
        yield out.name
    finally:
        os.unlink(out.name)


def repository(c: Cluster) -> Path:
    if c.backup_dir is None:
        raise ConfigError(
            "尚未设置备份目录：请设置 GRIDMAP_BACKUP_DIR（或 gridmap.toml 的 backup_dir）。"
        )
    return c.backup_dir


def _require_pgbackrest() -> None:
    if shutil.which("pgbackrest") is None:
        raise DatabaseUnavailable(f"找不到 pgBackRest。{INSTALL_HINT}")


def _moment(epoch: int) -> datetime:
    return datetime.fromtimestamp(int(epoch), UTC)


def _words(b: Backup) -> str:
    kinds = {"full": "完整", "incr": "增量", "diff": "差异"}
    return f"{clock.local(b.stopped):%Y-%m-%d %H:%M}（{kinds.get(b.kind, b.kind)}备份 {b.label}）"


def describe(b: Backup) -> str:
    """A backup in words, for the command line and the center's page."""
    return _words(b)


_SEEN: dict[Path, tuple[float, str]] = {}  # backup folder → (when read, its words): 1 minute
SEEN_SECONDS = 60


def status_words(config: dict) -> str:
    """When the last good backup was made, in a sentence for the center's page; read from
    the repository at most once a minute."""
    if config.get("DATABASE_URL"):
        return "数据备份：使用外部数据库，由其管理员负责备份。"
    if not config.get("BACKUP_DIR"):
        return "数据备份：尚未设置备份目录（BACKUP_DIR），数据没有备份。"
    folder = Path(config["BACKUP_DIR"]).absolute()
    seen = _SEEN.get(folder)
    if seen and time.monotonic() - seen[0] < SEEN_SECONDS:
        return seen[1]
    from gridmap.store import cluster

    try:
        last = last_good(cluster.from_config(config))
        words = f"最近一次成功备份：{_words(last)}。" if last else "数据备份：还没有成功的备份。"
    except GridmapError as exc:
        words = f"数据备份：无法读取备份信息（{exc.message}）。"
    _SEEN[folder] = (time.monotonic(), words)
    return words
