"""The ``gridmap`` command line.

Commands that change data are safe to rerun (``db init``, ``demo``) or show what they would do
unless told ``--commit`` (``load-incidents``). Errors print their message for a person and exit 1.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import click
import psycopg

from gridmap.core import clock, config
from gridmap.core.errors import GridmapError
from gridmap.store import cluster, db


class Context:
    def __init__(self) -> None:
        self.config = config.load()

    def cluster(self) -> cluster.Cluster | None:
        return None if self.config["DATABASE_URL"] else cluster.from_config(self.config)


class Group(click.Group):
    """Turns every GridmapError into a readable message and exit status 1."""

    def invoke(self, ctx):
        try:
            with clock.moment():  # "now" is taken once per command
                return super().invoke(ctx)
        except GridmapError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            if exc.details:
                click.echo(json.dumps(exc.details, ensure_ascii=False, indent=1), err=True)
            sys.exit(1)
        except psycopg.Error as exc:  # one the data layer did not expect: say it, no traceback
            from gridmap.data import dberrors

            known = dberrors.translate(exc)
            message = known.message if known else str(exc).strip().splitlines()[0]
            click.echo(f"错误（数据库）：{message}", err=True)
            sys.exit(1)


@click.group(cls=Group)
@click.pass_context
def main(ctx: click.Context) -> None:
    """gridmap：街道网格化治理地图。"""
    ctx.obj = Context()


@main.group("db")
def db_group() -> None:
    """数据库：初始化、启动、停止、迁移、备份与恢复。"""


@db_group.command("init")
@click.pass_obj
def db_init(obj: Context) -> None:
    """创建（若无）并启动内置数据库，建库并执行全部迁移。可重复运行。"""
    ensure_database(obj)


@db_group.command("start")
@click.pass_obj
def db_start(obj: Context) -> None:
    """启动内置数据库。"""
    c = _embedded(obj)
    if c.start():
        click.echo(f"内置数据库已启动：{c.data_dir}")
    else:
        click.echo(f"内置数据库已在运行，无需再次启动：{c.data_dir}")


@db_group.command("stop")
@click.pass_obj
def db_stop(obj: Context) -> None:
    """停止内置数据库（快速而干净地关闭）。"""
    c = _embedded(obj)
    click.echo("内置数据库已停止。" if c.stop() else "内置数据库没有在运行。")


@db_group.command("status")
@click.pass_obj
def db_status(obj: Context) -> None:
    """显示数据库位置与状态。"""
    c = obj.cluster()
    if c is None:
        click.echo("使用外部数据库（GRIDMAP_DATABASE_URL）。")
        return
    state = "运行中" if c.is_running() else ("已停止" if c.is_initialized() else "未初始化")
    click.echo(f"内置数据库：{state}\n数据目录：{c.data_dir}\n连接：{c.url}")


@db_group.command("migrate")
@click.pass_obj
def db_migrate(obj: Context) -> None:
    """执行尚未执行的数据库迁移。"""
    from gridmap.store import migrate

    with db.connect_owner(obj.config) as conn:
        names = migrate.migrate(conn, app_role=db.app_role(obj.config))
    click.echo("已执行迁移：" + "、".join(names) if names else "数据库结构已是最新。")


@db_group.command("maintain")
@click.pass_obj
def db_maintain(obj: Context) -> None:
    """维护：合并汇总表的追加行，补全当事人身份证号摘要。可定时运行；gridmap serve 每隔几分钟
    自动合并汇总表。"""
    from gridmap.accounts import pii
    from gridmap.cli import upkeep as maintenance
    from gridmap.data import incidents as incident_data

    with db.connect(obj.config) as conn:
        rows = maintenance.run(conn, obj.config["STREET_CODE"])
        with conn.transaction():
            keyed = incident_data.rekey_parties(
                conn, obj.config["STREET_CODE"], pii.key_of(obj.config)
            )
    click.echo("另一进程正在合并汇总表。" if rows < 0 else f"汇总表已合并，现有 {rows} 行。")
    if keyed:
        click.echo(f"已为 {keyed} 名当事人补全身份证号摘要。")


@main.command("demo")
@click.option("--reload", is_flag=True, help="即使已载入也重新生成并载入。")
@click.pass_obj
def demo_cmd(obj: Context, reload: bool) -> None:
    """生成并载入侏儒山街道示意数据（确定性生成，可重复运行）。"""
    from gridmap.demo import load

    ensure_database(obj)
    with db.connect_owner(obj.config) as conn:  # the reload purges the street: the owner's door
        if not reload and load.is_loaded(conn):
            click.echo("示意数据已载入（如需重新生成，请加 --reload）。")
            return
        figures = load.load_demo(conn)
    click.echo("示意数据已载入：" + "，".join(f"{k} {v}" for k, v in figures.items()))


@main.command("locate")
@click.argument("lon")
@click.argument("lat")
@click.option(
    "--at", default=None, help="时间，如 2023-05-01 或 2023-05-01 08:30（北京时间），默认现在。"
)
@click.option("--crs", type=click.Choice(["wgs84", "gcj02"]), default="wgs84")
@click.pass_obj
def locate_cmd(obj: Context, lon: str, lat: str, at: str | None, crs: str) -> None:
    """回答某点属于哪个片区、村（社区）、网格，以及各级责任人。"""

    from gridmap.core import coords, params
    from gridmap.geo.locate import locate
    from gridmap.geo.placement import Placement

    x, y = coords.parse_lonlat(lon, lat)
    when = params.parse_query_moment(at, "时间 --at") if at else clock.now()
    if crs == "gcj02":
        xs, ys = coords.gcj02_to_wgs84([x], [y])
        x, y = float(xs[0]), float(ys[0])
    with db.connect(obj.config) as conn:
        answer = locate(conn, Placement(), obj.config["STREET_CODE"], x, y, when)
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))


@main.command("load-incidents")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--crs", type=click.Choice(["wgs84", "gcj02"]), default="wgs84", help="文件中坐标的坐标系。"
)
@click.option(
    "--source", default=None, help="台账名称（默认为文件名）；与 source_key 一起识别重复导入。"
)
@click.option("--commit", is_flag=True, help="真正写入；不加则只检查并报告将写入什么。")
@click.pass_obj
def load_incidents_cmd(
    obj: Context, path: Path, crs: str, source: str | None, commit: bool
) -> None:
    """从 CSV 批量载入事件（全部成功或全部不写入）。

    文件可为 UTF-8（含或不含 BOM）、UTF-16（含 BOM）或 GBK/GB18030 编码。带 source_key 列
    （台账自身的编号）的台账可重复导入：已导入过的记录被识别并跳过，不会重复写入。
    """
    from gridmap.geo.placement import Placement
    from gridmap.intake import ledger
    from gridmap.intake import load as incidents

    frame = ledger.read(path)
    street = obj.config["STREET_CODE"]
    source = source or path.name
    with db.connect(obj.config) as conn:
        if not commit:
            # The same checks as incidents.load, which --commit runs: nothing that passes here
            # may then fail there.
            checked, already = incidents.check(conn, Placement(), street, frame, source, crs)
            grids = checked["grid_code"].nunique() if len(checked) else 0
            click.echo(
                f"检查通过：{len(checked)} 条记录可落入 {grids} 个网格"
                + (f"，另有 {len(already)} 条已导入过、将跳过" if already else "")
                + "。未写入（加 --commit 写入）。"
            )
            return
        result = incidents.load(conn, Placement(), street, frame, source=source, crs=crs)
    click.echo(
        f"已写入 {result.rows} 条事件"
        + (f"（批次 {result.batch_id}）" if result.batch_id else "")
        + (f"；{len(result.already)} 条已导入过，已跳过" if result.already else "")
        + "。"
    )
    if not result.tallied:
        click.echo("本批事件分布很散，未计入月度汇总表；综治中心统计时直接逐条计数。")


@main.command("serve")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.pass_obj
def serve_cmd(obj: Context, host: str | None, port: int | None) -> None:
    """启动网页服务。"""
    serve(obj, host, port)


@main.command("run-demo")
@click.option("--host", default=None)
@click.option("--port", default=None, type=int)
@click.pass_context
def run_demo(ctx: click.Context, host: str | None, port: int | None) -> None:
    """准备数据库、载入示意数据并启动网页服务；退出时停止由它启动的内置数据库。"""
    c = ctx.obj.cluster()
    was_running = c is not None and c.is_running()
    try:
        ctx.invoke(demo_cmd, reload=False)
        serve(ctx.obj, host, port, demo=True)
    except KeyboardInterrupt:
        pass
    finally:
        if c is not None and not was_running and c.stop():
            click.echo("内置数据库已停止。")


def serve(obj: Context, host: str | None, port: int | None, demo: bool = False) -> None:
    from gridmap import create_app
    from gridmap.center.stats import weights
    from gridmap.cli import upkeep as maintenance
    from gridmap.people import staffing
    from gridmap.web import security, serving

    app = create_app({"DEMO": True} if demo else None)
    if not app.config["DEMO"]:  # refuse to serve real data unsafely
        with db.connect(app.config) as conn:
            changed = staffing.admin_password_changed(conn, app.config["STREET_CODE"])
        security.check_production(app.config, changed)
    weights.warm_up()  # libpysal's import takes seconds: pay it now, not in the first request
    maintenance.start(app)  # keeps the tally's appended rows merged
    host = host or app.config["HOST"]
    port = port or int(app.config["PORT"])
    server = serving.Server(app, host, port)
    click.echo(f"gridmap 已启动：{server.url}  （Ctrl+C 停止）")
    signal.signal(signal.SIGTERM, _interrupt)  # stop as cleanly on `kill` as on Ctrl+C
    try:
        server.run()
    finally:
        server.close()


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def ensure_database(obj: Context) -> None:
    """Embedded: create and start the cluster if needed. Then create the schema."""
    from gridmap.store import migrate

    c = obj.cluster()
    if c is not None:
        if c.init():
            click.echo(f"已创建内置数据库：{c.data_dir}")
        if c.start():
            click.echo("内置数据库已启动。")
        c.ensure_database()
    with db.connect_owner(obj.config) as conn:
        names = migrate.migrate(conn, app_role=db.app_role(obj.config))
    if names:
        click.echo("已执行迁移：" + "、".join(names))


def _embedded(obj: Context) -> cluster.Cluster:
    c = obj.cluster()
    if c is None:
        raise GridmapError("已设置 GRIDMAP_DATABASE_URL，使用外部数据库；内置数据库命令不适用。")
    return c


def _register() -> None:
    from gridmap.cli import accounts as cli_accounts
    from gridmap.cli import backup as cli_backup
    from gridmap.cli import cases as cli_cases
    from gridmap.cli import people as cli_people
    from gridmap.cli import plans as cli_plans

    for group in (cli_cases.case, cli_cases.deadlines, cli_cases.calendar, cli_cases.review_by):
        main.add_command(group)
    main.add_command(cli_accounts.accounts_group)
    main.add_command(cli_plans.plans_group)
    main.add_command(cli_people.people_group)
    for command in (cli_backup.backup_cmd, cli_backup.restore_cmd, cli_backup.verify_cmd):
        db_group.add_command(command)


_register()
