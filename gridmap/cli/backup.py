"""``gridmap db backup``, ``db restore`` and ``db verify``: the embedded cluster's backups.

The work is gridmap.store.backup's (pgBackRest); these parse, call and print. A backup is safe
to rerun; a restore writes only into a new, empty instance folder, never over the running one.
"""

from __future__ import annotations

from pathlib import Path

import click

from gridmap.core import clock
from gridmap.core.errors import GridmapError
from gridmap.store import backup, cluster, restore


def _embedded(obj) -> cluster.Cluster:
    c = obj.cluster()
    if c is None:
        raise GridmapError(
            "已设置 GRIDMAP_DATABASE_URL，使用外部数据库：请用该数据库自己的备份方案。"
        )
    return c


@click.command("backup")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["full", "incr"]),
    default="incr",
    show_default=True,
    help="full：完整备份；incr：只备份上次以来变化的文件（第一次总是完整备份）。",
)
@click.pass_obj
def backup_cmd(obj, kind: str) -> None:
    """备份内置数据库到备份目录（BACKUP_DIR）。可重复运行。"""
    c = _embedded(obj)
    started = c.start()  # a stopped cluster starts archiving: its settings are taken at start
    try:
        made = backup.backup(c, kind, int(obj.config["BACKUP_KEEP_FULL"]))
    finally:
        if started:
            c.stop()
    click.echo(f"备份完成：{backup.describe(made)}。备份目录：{c.backup_dir}")


@click.command("restore")
@click.option(
    "--into",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="恢复到的新实例目录（须不存在或为空）。",
)
@click.option("--to", "to", default=None, help="恢复到此时刻（北京时间），如 2026-12-07 08:30。")
@click.option("--at-backup-end", is_flag=True, help="恢复到最近一份备份完成的时刻。")
@click.option(
    "--secrets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="原实例的 pgpass（默认取备份目录中保存的副本）。",
)
@click.pass_obj
def restore_cmd(obj, into: Path, to: str | None, at_backup_end: bool, secrets: Path | None):
    """从备份恢复到一个新的实例目录（默认恢复到已归档的最后一刻）。不动正在使用的实例。"""
    from gridmap.core import timewindow

    if to and at_backup_end:
        raise GridmapError("--to 与 --at-backup-end 只能选一个。")
    target = "immediate" if at_backup_end else None
    if to:
        target = timewindow.parse_moment(to, "恢复时刻 --to")
    c = _embedded(obj)
    restore.restore(c, obj.config["STREET_CODE"], into, target, secrets)
    when = f"恢复到 {clock.local(target):%Y-%m-%d %H:%M:%S}" if to else "恢复完成"
    click.echo(
        f"{when}：新实例目录 {into.absolute()}（数据库已停止）。\n"
        f"检查无误后，以 GRIDMAP_INSTANCE_DIR={into.absolute()} 启动 gridmap；"
        f"之后请立即做一次完整备份（gridmap db backup --type full）。"
    )


@click.command("verify")
@click.pass_obj
def verify_cmd(obj) -> None:
    """检查备份：数据库正在持续归档，且每份备份及所需 WAL 完整无损。"""
    c = _embedded(obj)
    for line in backup.verify(c):
        click.echo(f"通过：{line}")
