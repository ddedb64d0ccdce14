"""Commands for cases, deadline rules and the street's calendar.

Like every command that changes data, these show what they would do and roll it back unless
told ``--commit``: the change is made for real in a transaction (so the database's own checks
run and the answer is exactly what a commit would store), printed, and undone.
"""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path

import click

from gridmap.accounts import policy
from gridmap.cases import service
from gridmap.cli import acting
from gridmap.core import params, timewindow
from gridmap.core.clock import iso_local
from gridmap.core.errors import BadInput
from gridmap.data import streets, workflow
from gridmap.store import db

COMMIT_HELP = "真正写入；不加则只检查并显示结果，不保存。"
KINDS = {"holiday": "放假", "workday": "调休上班"}


@contextlib.contextmanager
def _change(obj, commit: bool):
    """A connection whose work is committed with ``--commit`` and rolled back without."""
    with db.connect(obj.config) as conn:
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        if commit:
            conn.commit()
            click.echo("已保存。")
        else:
            conn.rollback()
            click.echo("未保存（加 --commit 保存）。")


def _print(value) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=_plain))


def _plain(value):
    return iso_local(value) if hasattr(value, "tzinfo") and value.tzinfo else str(value)


@click.group("case")
def case() -> None:
    """事件办理：查看流转记录、办理流转、延期、关联。"""


@case.command("show")
@click.argument("incident_id", type=int)
@click.pass_obj
def show(obj, incident_id: int) -> None:
    """显示事件、其办理期限与红黄绿灯、流转记录和关联。"""
    with db.connect(obj.config) as conn:
        _print(service.record(conn, policy.Actor.owner(obj.config["STREET_CODE"]), incident_id))


@case.command("move")
@click.argument("incident_id", type=int)
@click.argument("to_status")
@click.option("--reason", default="", help="理由（部分流转必填）。")
@click.option("--by", "by_person", default=None, help="办理人的人员编号（--as-owner 补录时）。")
@click.option("--at", default=None, help="办理时间，默认现在（--as-owner 补录时填写）。")
@click.option("--expected", default=None, help="办理人看到的当前状态；已被他人变更则拒绝。")
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def move(obj, incident_id, to_status, reason, by_person, at, expected, username, as_owner, commit):
    """按流程办理一步：把事件转为 TO_STATUS（如 mediating、resolved）。"""
    when = timewindow.parse_moment(at, "办理时间") if at else None
    reason = params.parse_text(reason, "理由 --reason", 2000)
    by_person = _person(by_person, "办理人的人员编号 --by")
    with _change(obj, commit) as conn:
        actor = acting.actor(conn, obj, username, as_owner, "move_case")
        _refuse_records(actor, by_person, when)
        moved = service.move(
            conn,
            actor,
            incident_id,
            to_status,
            reason=reason,
            expected=expected,
            at=when,
            by_person=by_person,
        )
        _print(moved["event"])


def _person(text: str | None, label: str) -> int | None:
    return params.parse_identifier(text, label) if text else None


def _refuse_records(actor, by_person, when) -> None:
    """Work recorded as someone else's, or at another time, is the owner's to enter."""
    if actor.role is not policy.OWNER and (by_person is not None or when is not None):
        raise BadInput("--by 与 --at 用于补录他人办理的事项：须以 --as-owner 操作。")


@case.command("extend")
@click.argument("incident_id", type=int)
@click.argument("days", type=int)
@click.option("--reason", required=True, help="延期理由（须告知当事人）。")
@click.option("--by", "by_person", default=None, help="批准人的人员编号（--as-owner 时）。")
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def extend(obj, incident_id, days, reason, by_person, username, as_owner, commit) -> None:
    """延长本环节的办理期限 DAYS 天（仅限规则允许延期的环节，如信访办理）。"""
    reason = params.parse_text(reason, "延期理由 --reason", 2000)
    by_person = _person(by_person, "批准人的人员编号 --by")
    with _change(obj, commit) as conn:
        actor = acting.actor(conn, obj, username, as_owner, "move_case")
        _refuse_records(actor, by_person, None)
        _print(service.extend(conn, actor, incident_id, days, reason=reason, by_person=by_person))


@case.command("link")
@click.argument("from_id", type=int)
@click.argument("to_id", type=int)
@click.argument("link", type=click.Choice(["mediation", "petition", "enforcement", "duplicate"]))
@click.option("--note", default="", help="说明。")
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def link(obj, from_id, to_id, link, note, username, as_owner, commit) -> None:
    """关联两个事件：FROM_ID 转为人民调解（mediation）、上交为信访（petition）、
    移交行政执法（enforcement），或是 TO_ID 的重复上报（duplicate）。"""
    note = params.parse_text(note, "说明 --note", 2000)
    with _change(obj, commit) as conn:
        actor = acting.actor(conn, obj, username, as_owner, "move_case")
        _print(service.link(conn, actor, from_id, to_id, link, note=note))


@click.group("deadlines", invoke_without_command=True)
@click.pass_context
def deadlines(ctx) -> None:
    """各类事件各环节的办理期限规则（不带子命令时列出）。"""
    if ctx.invoked_subcommand is None:
        with db.connect(ctx.obj.config) as conn:
            for r in workflow.rules(conn, ctx.obj.config["STREET_CODE"]):
                unit = "个工作日" if r["unit"] == "working" else "日"
                start = "自立案/受理起算" if r["counted_from"] == "case" else "自进入本环节起算"
                more = (
                    f"，可延期 {r['extend_times']} 次、每次至多 {r['extend_days']} 日"
                    if (r["extend_times"])
                    else ""
                )
                click.echo(
                    f"{r['kind_name']}·{r['status_name']}（{r['kind']}/{r['status']}）："
                    f"{r['days']} {unit}，{start}{more}。依据：{r['basis']}"
                )


@deadlines.command("set")
@click.argument("kind")
@click.argument("status")
@click.option("--days", type=int, required=True, help="期限长度（1～366）。")
@click.option("--unit", type=click.Choice(["calendar", "working"]), default="calendar")
@click.option("--counted-from", type=click.Choice(["step", "case"]), default="step")
@click.option("--extend-days", type=int, default=0, help="每次延期至多多少天。")
@click.option("--extend-times", type=int, default=0, help="可延期几次。")
@click.option("--basis", default="", help="依据（法规条文或街道规定）。")
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def set_deadline(
    obj, kind, status, days, unit, counted_from, extend_days, extend_times, basis, commit
) -> None:
    """设置本街道某类事件某环节的办理期限。"""
    with _change(obj, commit) as conn:
        workflow.set_rule(
            conn,
            obj.config["STREET_CODE"],
            kind,
            status,
            days=days,
            unit=unit,
            counted_from=counted_from,
            extend_days=extend_days,
            extend_times=extend_times,
            basis=basis,
        )
        click.echo(f"{kind}/{status}：{days} {'个工作日' if unit == 'working' else '日'}")


REVIEWERS = {"center": "综治中心", "village": "村（社区）书记、村干部"}


@click.command("review-by")
@click.argument("reviewer", required=False, type=click.Choice(sorted(REVIEWERS)))
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def review_by(obj, reviewer: str | None, commit: bool) -> None:
    """办结审核由谁进行：center（综治中心）或 village（村（社区））；不带参数时显示当前设置。"""
    street = obj.config["STREET_CODE"]
    if reviewer is None:
        with db.connect(obj.config) as conn:
            found = streets.get(conn, street)
        if found is None:
            raise BadInput(f"街道 {street} 尚无数据。")
        click.echo(f"网格上报的化解由{REVIEWERS[found['closure_review']]}审核。")
        return
    with _change(obj, commit) as conn:
        streets.set_closure_review(conn, street, reviewer)
        click.echo(f"网格上报的化解改由{REVIEWERS[reviewer]}审核。")


@click.group("calendar", invoke_without_command=True)
@click.option("--year", type=int, default=None, help="只列出这一年。")
@click.pass_context
def calendar(ctx, year) -> None:
    """本街道的节假日与调休上班日（不带子命令时列出）。"""
    if ctx.invoked_subcommand is None:
        with db.connect(ctx.obj.config) as conn:
            for r in workflow.calendar(conn, ctx.obj.config["STREET_CODE"], year):
                click.echo(f"{r['day']}  {KINDS[r['kind']]}  {r['name']}")


@calendar.command("set")
@click.argument("day")
@click.argument("kind", type=click.Choice(list(KINDS)))
@click.argument("name")
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def set_day(obj, day, kind, name, commit) -> None:
    """登记一天：holiday（放假）或 workday（周末调休上班），NAME 为节日名称。"""
    name = params.parse_text(name, "节日名称", 50, required=True)
    with _change(obj, commit) as conn:
        workflow.set_days(
            conn, obj.config["STREET_CODE"], [(timewindow.parse_day(day, "日期"), kind, name)]
        )
        click.echo(f"{day}：{KINDS[kind]}（{name}）")


@calendar.command("unset")
@click.argument("day")
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def unset_day(obj, day, commit) -> None:
    """取消一天的登记，恢复为普通的工作日或周末。"""
    with _change(obj, commit) as conn:
        n = workflow.unset_days(
            conn, obj.config["STREET_CODE"], [timewindow.parse_day(day, "日期")]
        )
        click.echo(f"取消了 {n} 条登记。")


@calendar.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def import_days(obj, path: Path, commit) -> None:
    """从 CSV 导入节假日（三列：day,kind,name；kind 为 holiday 或 workday）。"""
    days = read_days(path)
    with _change(obj, commit) as conn:
        workflow.set_days(conn, obj.config["STREET_CODE"], days)
        click.echo(f"{len(days)} 天：{path.name}")


def read_days(path: Path) -> list[tuple]:
    """Calendar entries from a CSV file (day, kind, name), each line checked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("文件不是 UTF-8 编码，请另存为 CSV UTF-8 后再导入。") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or [c.strip() for c in rows[0]] != ["day", "kind", "name"]:
        raise BadInput("第一行应为列名：day,kind,name")
    days = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 3:
            raise BadInput(f"第 {line} 行应有 3 列（day,kind,name），实有 {len(row)} 列")
        day, kind, name = (c.strip() for c in row)
        if kind not in KINDS:
            raise BadInput(f"第 {line} 行：kind 只能是 holiday（放假）或 workday（调休上班）")
        name = params.parse_text(name, f"第 {line} 行的节日名称", 50, required=True)
        days.append((timewindow.parse_day(day, f"第 {line} 行的日期"), kind, name))
    if not days:
        raise BadInput("文件中没有任何日期。")
    return days
