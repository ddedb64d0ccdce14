"""Restoring a backup of the embedded cluster (gridmap.store.backup) into a fresh instance.

A restore never touches the running instance: it makes a new instance folder, copies the chosen
backup into it with pgBackRest, replays the archived WAL up to the moment asked for (point-in-
time recovery), and reads the result before accepting it. A backup of another street, or of a
schema newer than this gridmap knows, is refused in words before anything is copied (from the
backup's annotations) and again after (from the restored database itself).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from gridmap.core import clock
from gridmap.core.errors import ConfigError, DatabaseUnavailable
from gridmap.store import backup, migrate
from gridmap.store.cluster import Cluster

RECOVERY_WAIT_SECONDS = 1800


def restore(
    c: Cluster,
    street_code: str,
    into: Path,
    target: datetime | str | None = None,
    secrets: Path | None = None,
) -> Cluster:
    """Restore the backups into a fresh instance folder ``into``, to the moment ``target`` (a
    time; ``"immediate"``: the end of the newest backup; None: all the archived WAL). Refuses a
    backup of another street or of a newer schema before copying anything, and the restored
    cluster again after reading it. Returns the restored cluster, stopped."""
    into = Path(into).absolute()
    _refuse_place(c, into)
    chosen = _choose(backup.backups(c), target)
    _refuse_contents(chosen.streets, chosen.schema, street_code, chosen.label)
    pgpass = _secrets_for(c, secrets)
    fresh = replace(
        c,
        data_dir=into / "pgdata",
        socket_dir=into / "pgsocket",
        log_file=into / "pgsocket" / "postgres.log",
        backup_dir=None,  # a restored copy never archives into the repository it came from
        recovering=True,
    )
    made = not into.exists()
    try:
        into.mkdir(parents=True, exist_ok=True)
        into.chmod(0o755)
        for folder in (fresh.data_dir, fresh.socket_dir):
            folder.mkdir()
            c.give(folder)
        _reachable(c, fresh.data_dir)
        shutil.copyfile(pgpass, fresh.secrets_file)
        fresh.secrets_file.chmod(0o600)
        backup.run(
            c,
            f"--pg1-path={fresh.data_dir}",
            f"--log-path={fresh.socket_dir}",
            f"--lock-path={fresh.socket_dir}",
            f"--set={chosen.label}",
            *_target_options(target),
            "restore",
            what="恢复失败",
            connects=False,
        )
        _start_replaying(fresh, target)
        try:
            _wait_for_recovery(fresh)
            with backup.connect(fresh) as conn:
                streets, schema = backup.contents(conn)
            _refuse_contents(streets, schema, street_code, chosen.label)
        finally:
            fresh.stop()
        fresh = replace(fresh, recovering=False)
    except BaseException:
        if made:
            shutil.rmtree(into, ignore_errors=True)
        else:
            for name in ("pgdata", "pgsocket", "pgpass"):
                shutil.rmtree(into / name, ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    (into / name).unlink()
        raise
    return fresh


def _choose(found: list[backup.Backup], target: datetime | str | None) -> backup.Backup:
    if not found:
        raise backup.BackupError("备份目录中还没有备份：无从恢复。")
    if not isinstance(target, datetime):
        return found[-1]
    before = [b for b in found if b.stopped <= target]
    if not before:
        raise backup.BackupError(
            f"没有在 {clock.local(target):%Y-%m-%d %H:%M:%S} 之前完成的备份：最早的一份完成于 "
            f"{clock.local(found[0].stopped):%Y-%m-%d %H:%M:%S}。"
        )
    return before[-1]


def _target_options(target: datetime | str | None) -> list[str]:
    if target is None:
        return []
    if target == "immediate":
        return ["--type=immediate", "--target-action=promote"]
    if not isinstance(target, datetime) or target.tzinfo is None:
        raise ConfigError(f"恢复目标时间须带时区，收到：{target!r}")
    return ["--type=time", f"--target={target.isoformat(sep=' ')}", "--target-action=promote"]


def _refuse_place(c: Cluster, into: Path) -> None:
    here = c.data_dir.parent.absolute()
    if into == here or here in into.parents or into in here.parents:
        raise backup.BackupError(
            f"不能恢复到正在使用的实例目录 {here}（或其上下级）：请指定一个新的目录。"
        )
    if into.exists() and any(into.iterdir()):
        raise backup.BackupError(f"目录 {into} 不是空的：恢复只写入新的空目录，不覆盖已有内容。")


def _reachable(c: Cluster, folder: Path) -> None:
    if subprocess.run(c.command(["test", "-w", str(folder)]), cwd="/").returncode != 0:
        raise backup.BackupError(
            f"数据库的系统用户进不去 {folder}：请选在该用户可以进入的目录下"
            "（如 /srv 或 /var/lib 下的新目录）。"
        )


def _refuse_contents(
    streets: tuple[str, ...], schema: int | None, street_code: str, label: str
) -> None:
    known = max(number for number, _, _ in migrate.available())
    if street_code not in streets:
        held = "、".join(streets) if streets else "没有街道"
        raise backup.BackupError(
            f"备份 {label} 不是本街道（{street_code}）的数据（其中为：{held}）：拒绝恢复。"
        )
    if schema is None or schema > known:
        raise backup.BackupError(
            f"备份 {label} 的数据库结构（迁移 {schema if schema is not None else '未知'}）"
            f"比本程序所知的（迁移 {known}）更新：请先升级 gridmap 再恢复。"
        )


def _secrets_for(c: Cluster, given: Path | None) -> Path:
    for path in (given, backup.repository(c) / "instance" / "pgpass", c.secrets_file):
        if path is not None and Path(path).is_file():
            return Path(path)
    raise backup.BackupError(
        "找不到数据库的密码文件 pgpass（恢复后的数据库仍使用原来的密码）："
        "请用 --secrets 指定原实例目录中的 pgpass。"
    )


def _start_replaying(c: Cluster, target: datetime | str | None) -> None:
    try:
        c.start()
    except DatabaseUnavailable as exc:
        if "recovery ended before configured recovery target" not in exc.message:
            raise
        raise backup.BackupError(
            f"已归档的 WAL 中没有晚于 {clock.local(target):%Y-%m-%d %H:%M:%S} 的提交，"
            "无法确认恢复到了该时刻：请选更早的时刻，或不加 --to 恢复到已归档的最后一刻。"
        ) from None


def _wait_for_recovery(c: Cluster) -> None:
    deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
    while True:
        with backup.connect(c) as conn:
            if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise backup.BackupError("恢复超时：数据库仍在重放 WAL。")
        time.sleep(0.2)
