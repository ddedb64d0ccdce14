"""``gridmap plans``: the planner's plans (网格调整方案) from the command line.

The same core as the planner's page (gridmap.planner.plans, gridmap.planner.release,
gridmap.planner.io). Commands that write name the acting account (``--user``): a planner, as on
the page, or any account with ``--as-owner`` (gridmap.cli.acting). Like every command that
changes data they do the whole change in a transaction, print it and roll it back unless told
``--commit``: a dry-run publish answers exactly what the publish would do. ``plans check`` exits
1 while a problem would stop the publish, so that a script can stop.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click

from gridmap.accounts.scope import Scope
from gridmap.cli import acting
from gridmap.cli.cases import COMMIT_HELP, _change
from gridmap.core import clock, params
from gridmap.core.clock import LOCAL
from gridmap.data import plans as store
from gridmap.planner import io as plan_io
from gridmap.planner import plans, workload
from gridmap.planner import release as plan_release
from gridmap.store import db

STATUS = {"under": "低于", "within": "合理", "over": "超出"}


@click.group("plans")
def plans_group() -> None:
    """网格调整方案：列出、新建、检查、比较、发布、取消、复制、导入与导出。"""


def _scope(obj) -> Scope:
    """A command is trusted with the whole street (gridmap.accounts.scope.Scope.street)."""
    return Scope.street(obj.config["STREET_CODE"])


def _acting(conn, obj, username: str | None, as_owner: bool, action: str = "edit_plan"):
    """The account a change is made and recorded as (gridmap.cli.acting): a planner, or any
    account named with --as-owner."""
    return acting.actor(conn, obj, username, as_owner, action, need_account=True)


def _day(text: str | None) -> date | None:
    """The effective day, written as every date gridmap reads (gridmap.core.params)."""
    return None if text is None else params.parse_query_day(text, "生效日期")


def _local(moment: datetime | None, form: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(LOCAL).strftime(form) if moment else "—"


def _status(p: dict, now: datetime) -> str:
    """A plan's state in words; a published plan not yet in force is scheduled."""
    if p["status"] == "published" and p["effective"] > now:
        return f"已排期（生效日 {_local(p['effective'], '%Y-%m-%d')}）"
    return {"draft": "草稿", "published": "已发布", "cancelled": "已取消"}[p["status"]]


@plans_group.command("list")
@click.pass_obj
def list_cmd(obj) -> None:
    """列出全部方案：编号、名称、状态、调整的村（社区）数、创建人、最后保存时间。"""
    with db.connect(obj.config) as conn:
        rows = store.listing(conn, obj.config["STREET_CODE"])
    if not rows:
        click.echo("还没有任何方案（gridmap plans new 新建）。")
    now = clock.now()
    for p in rows:
        click.echo(
            f"{p['id']:>4}  {p['name']}  {_status(p, now)}  调整 {p['villages']} 个村（社区）"
            f"  创建：{p['created_by']}  最后保存：{_local(p['saved_at'])}"
        )


@plans_group.command("new")
@click.argument("name")
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def new_cmd(obj, name: str, username: str | None, as_owner: bool, commit: bool) -> None:
    """新建一个空方案 NAME（各村的草稿从现行划分开始）。"""
    name = params.parse_text(name, "方案名称", 100, required=True)
    with _change(obj, commit) as conn:
        plan_id = plans.create(conn, _acting(conn, obj, username, as_owner), name)
        click.echo(f"新建方案 {plan_id}「{name.strip()}」。")


@plans_group.command("check")
@click.argument("plan_id", type=int)
@click.option("--village", default=None, help="只检查这个村（社区）（12 位代码）。")
@click.pass_obj
def check_cmd(obj, plan_id: int, village: str | None) -> None:
    """检查方案各村（社区）的网格：工作量表与全部问题；有阻止发布的问题时退出码为 1。"""
    scope, r = _scope(obj), plans.rules(obj.config)
    with db.connect(obj.config) as conn:
        plans.plan(conn, scope, plan_id)
        if village:
            drafts = [plans.draft(conn, scope, plan_id, village)]
        else:
            drafts = plan_release.villages(conn, scope, plan_id)
        if not drafts:
            click.echo(f"方案 {plan_id} 还没有保存任何村（社区）的调整（可用 --village 检查）。")
        blocking = sum(_print_check(conn, scope, d, r) for d in drafts)
    if blocking:
        click.echo(f"共 {blocking} 个问题须解决后才能发布。")
        raise SystemExit(1)


def _print_check(conn, scope: Scope, d: plans.Draft, r: plans.Rules) -> int:
    """One village's table and problems; returns how many of them stop a publish."""
    names = store.people(conn, scope, {p for g in d.grids for p in g["members"]})
    counts = workload.of_draft(conn, scope, d, workload.of_village(conn, scope, d.village["code"]))
    result = plans.check(d, counts, names, r)
    saved = f"第 {d.revision} 版（{d.saved_by}）" if d.revision else "现行划分，未修改"
    click.echo(f"{d.village['name']}（{d.village['code']}）{saved}")
    click.echo("  网格（代码 名称）  户数  工作量  偏离  判断")
    for g in result.grids:
        click.echo(
            f"  {g['code']} {g['name']}  {g['households']}  {g['workload']:.0f}"
            f"  {g['deviation']:+.0%}  {STATUS[g['status']]}"
        )
    for p in result.problems:
        stop = "（阻止发布）" if p.kind in plans.BLOCKING else ""
        click.echo(f"  问题 [{p.kind}]{stop}：{p.message}")
    if not result.problems:
        click.echo("  没有问题。")
    return sum(1 for p in result.problems if p.kind in plans.BLOCKING)


@plans_group.command("diff")
@click.argument("plan_id", type=int)
@click.pass_obj
def diff_cmd(obj, plan_id: int) -> None:
    """方案与现行划分的差别：移动的单元、新建与撤销的网格、户数来源、网格员、事件。"""
    scope = _scope(obj)
    with db.connect(obj.config) as conn:
        found = plans.plan(conn, scope, plan_id)
        d = plan_release.diff(conn, scope, plan_id)
    click.echo(f"方案 {plan_id}「{found['name']}」对比现行划分：")
    for v in d["villages"]:
        _print_village_diff(v)
    click.echo(
        f"合计：移动单元 {d['units_moved']} 个（{d['households_moved']} 户），"
        f"新建网格 {d['grids_created']} 个，撤销网格 {d['grids_retired']} 个。"
    )


def _print_village_diff(v: dict) -> None:
    click.echo(f"{v['village']['name']}（{v['village']['code']}）第 {v['revision']} 版")
    click.echo("  移动的单元：" + ("" if v["moved"] else "无"))
    for m in v["moved"]:
        was = m["from"] or "（新单元）"
        click.echo(f"    {m['code']} {m['name']}（{m['households']} 户）：{was} → {m['to']}")
    if v["cut"]:
        click.echo(
            "  分割出的单元："
            + "、".join(
                f"{c['name']} {c['code']}（{c['households']} 户，原 {c['from']}）" for c in v["cut"]
            )
        )
    if v["redrawn"]:
        click.echo(
            "  重画边界的单元：" + "、".join(f"{r['name']} {r['code']}" for r in v["redrawn"])
        )
    click.echo(f"  新建网格：{'、'.join(v['created']) or '无'}")
    click.echo(f"  撤销网格：{'、'.join(v['retired']) or '无'}")
    click.echo("  各网格户数来源：")
    for grid, sources in v["lineage"].items():
        parts = "、".join(f"{g} {n} 户" for g, n in sources.items())
        click.echo(f"    {grid} ← {parts}")
    click.echo("  辖区有变化的网格员：" + ("" if v["members"] else "无"))
    for m in v["members"]:
        before, after = "、".join(m["before"]) or "无", "、".join(m["after"]) or "无"
        same = "（辖区内有单元调入或调出）" if before == after else ""
        click.echo(f"    {m['name']}：{before} → {after}{same}")
    click.echo("  近 12 个月事件（调整前 → 调整后）：")
    for i in v["incidents"]:
        click.echo(f"    {i['grid']}：{i['before']} → {i['after']}")


@plans_group.command("publish")
@click.argument("plan_id", type=int)
@click.option("--date", "day", default=None, help="生效日期，如 2027-01-01；默认立即生效。")
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def publish_cmd(
    obj, plan_id: int, day: str | None, username: str | None, as_owner: bool, commit: bool
) -> None:
    """发布方案：生成新的网格划分，自生效时间起使用；网格员随之调整，在办事件移交新网格。"""
    when, r = _day(day), plans.rules(obj.config)
    with _change(obj, commit) as conn:
        actor = _acting(conn, obj, username, as_owner, "publish_plan")
        result = plan_release.publish(conn, actor, plan_id, when, r)
        scheduled = result["scheduled"]
        click.echo(
            f"方案 {plan_id} 发布：{'、'.join(result['villages'])}\n"
            f"  生效时间：{_local(result['effective'])}\n"
            f"  移动单元 {result['units_moved']} 个（{result['households_moved']} 户）\n"
            f"  新建网格 {result['grids_created']} 个，撤销网格 {result['grids_retired']} 个\n"
            + (
                "  在办事件将于生效时由 gridmap plans due 移交"
                if scheduled
                else f"  移交在办事件 {result['handed_over']} 件"
            )
        )


@plans_group.command("cancel")
@click.argument("plan_id", type=int)
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def cancel_cmd(obj, plan_id: int, username: str | None, as_owner: bool, commit: bool) -> None:
    """取消一个已排期、尚未生效的方案（现行划分与网格员恢复原样）。"""
    with _change(obj, commit) as conn:
        plan_release.cancel(conn, _acting(conn, obj, username, as_owner, "publish_plan"), plan_id)
        click.echo(f"取消方案 {plan_id}。")


@plans_group.command("due")
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def due_cmd(obj, commit: bool) -> None:
    """移交已生效方案的在办事件（供每日定时运行）。"""
    with _change(obj, commit) as conn:
        handed = plan_release.due(conn, _scope(obj))
        if not handed:
            click.echo("没有新生效、待移交事件的方案。")
        for plan_id, n in handed.items():
            click.echo(f"方案 {plan_id}：移交在办事件 {n} 件")


@plans_group.command("duplicate")
@click.argument("plan_id", type=int)
@click.option("--name", default="", help="新方案的名称（默认为原名加“（副本）”）。")
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def duplicate_cmd(
    obj, plan_id: int, name: str, username: str | None, as_owner: bool, commit: bool
) -> None:
    """复制方案：新草稿从原方案各村的最新版本开始。"""
    name = params.parse_text(name, "新方案名称 --name", 100)
    scope = _scope(obj)
    with _change(obj, commit) as conn:
        new = plan_release.duplicate(conn, _acting(conn, obj, username, as_owner), plan_id, name)
        click.echo(f"复制方案 {plan_id} 为方案 {new}「{plans.plan(conn, scope, new)['name']}」。")


@plans_group.command("import")
@click.argument("plan_id", type=int)
@click.argument("village")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def import_cmd(
    obj, plan_id: int, village: str, path: Path, username, as_owner, commit: bool
) -> None:
    """从文件导入一个村（社区）的方案（CSV：单元代码,网格代码；或 GeoJSON、GeoPackage 网格）。"""
    r, data = plans.rules(obj.config), path.read_bytes()
    with _change(obj, commit) as conn:
        actor = _acting(conn, obj, username, as_owner)
        revision, result = plan_io.import_file(conn, actor, plan_id, village, data, path.name, r)
        click.echo(f"导入 {path.name}：方案 {plan_id} 村（社区）{village} 第 {revision} 版。")
        for p in result.problems:
            click.echo(f"  待解决 [{p.kind}]：{p.message}")


@plans_group.command("export")
@click.argument("plan_id", type=int)
@click.argument("village")
@click.option("--format", "fmt", default="csv", help="csv、geojson 或 gpkg（默认 csv）。")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_obj
def export_cmd(obj, plan_id: int, village: str, fmt: str, output: Path | None) -> None:
    """导出一个村（社区）的方案（默认文件名如 plan12-420114004201.csv）。"""
    with db.connect(obj.config) as conn:
        data, _, name = plan_io.export(conn, _scope(obj), plan_id, village, fmt)
    target = output or Path(name)
    target.write_bytes(data)
    click.echo(f"已导出到 {target}（{len(data)} 字节）。")
