"""``gridmap people``: a person's record of assignments, and corrections of the past.

The same service as the administration page (gridmap.people.corrections). A correction is
made as an administrator's account (``--user``), says why (``--reason``), keeps the row as
first recorded beside the corrected one, and like every command that changes data is printed
and rolled back unless told ``--commit``.
"""

from __future__ import annotations

import click

from gridmap.cli import acting
from gridmap.cli.cases import COMMIT_HELP, _change
from gridmap.core import params
from gridmap.core.clock import local
from gridmap.people import corrections
from gridmap.store import db

REASON_HELP = "更正原因（至少 4 个字），例如“3 月已调离，当时未登记”。"


@click.group("people")
def people_group() -> None:
    """人员：查看任职记录，更正任职期与离任时间（写明原因，原记录保留）。"""


def _admin(conn, obj, username: str | None, as_owner: bool):
    return acting.actor(conn, obj, username, as_owner, "manage_accounts", need_account=True)


def _day(moment) -> str:
    return f"{local(moment):%Y-%m-%d}" if moment else "今（在任）"


@people_group.command("show")
@click.argument("person_id", type=int)
@click.pass_obj
def show_cmd(obj, person_id: int) -> None:
    """一名人员的全部任职记录（含已更正的原记录）与离任时间的更正。"""
    from gridmap.accounts import policy

    with db.connect(obj.config) as conn:
        actor = policy.Actor.owner(obj.config["STREET_CODE"])
        record = corrections.person_record(conn, actor, person_id)
    left = f"{_day(record['left_at'])} 离任" if record["left_at"] else "在任"
    click.echo(f"人员 {record['id']} {record['name']}（{record['title'] or ''}）：{left}")
    for a in record["assignments"]:
        state = (
            f"已更正为任职 {a['corrected_as']}"
            if a["superseded_at"]
            else (f"更正自任职 {a['corrects']}，原因：{a['reason']}" if a["corrects"] else "")
        )
        click.echo(
            f"  任职 {a['id']}：{a['role_name']} {a['scope_code']}"
            f" {_day(a['valid_from'])} 至 {_day(a['valid_to'])}  {state}".rstrip()
        )
    for c in record["leaving"]:
        before = _day(c["left_before"]) if c["left_before"] else "未登记"
        click.echo(
            f"  离任时间更正：原记 {before}，更正为 {_day(c['left_after'])}"
            f"（{c['corrected_by']}，原因：{c['reason']}）"
        )


@people_group.command("correct-assignment")
@click.argument("assignment_id", type=int)
@click.option("--from", "start", required=True, help="更正后的起始日期，如 2026-03-01。")
@click.option("--to", "end", default=None, help="更正后的截止日期；不写表示仍在任。")
@click.option("--reason", required=True, help=REASON_HELP)
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def correct_assignment_cmd(
    obj,
    assignment_id: int,
    start: str,
    end: str | None,
    reason: str,
    username: str | None,
    as_owner: bool,
    commit: bool,
) -> None:
    """更正一条任职的任职期（原记录保留并注明已更正）。"""
    begins = params.parse_query_moment(start, "起始日期")
    ends = params.parse_query_moment(end, "截止日期") if end else None
    why = params.parse_text(reason, "更正原因", 500, required=True)
    with _change(obj, commit) as conn:
        actor = _admin(conn, obj, username, as_owner)
        row = corrections.correct_assignment(conn, actor, assignment_id, begins, ends, why)
        click.echo(
            f"任职 {assignment_id}（{row['person_name']} {row['role_name']} {row['scope_code']}）"
            f"：原记 {_day(row['was_from'])} 至 {_day(row['was_to'])}，"
            f"更正为 {_day(row['valid_from'])} 至 {_day(row['valid_to'])}（任职 {row['id']}）"
        )


@people_group.command("correct-leaving")
@click.argument("person_id", type=int)
@click.option("--on", "day", required=True, help="实际离任日期，如 2026-03-31。")
@click.option("--reason", required=True, help=REASON_HELP)
@acting.options
@click.option("--commit", is_flag=True, help=COMMIT_HELP)
@click.pass_obj
def correct_leaving_cmd(
    obj,
    person_id: int,
    day: str,
    reason: str,
    username: str | None,
    as_owner: bool,
    commit: bool,
) -> None:
    """更正一名人员的离任时间；其任职期随之更正（原记录保留）。"""
    left = params.parse_query_moment(day, "离任日期")
    why = params.parse_text(reason, "更正原因", 500, required=True)
    with _change(obj, commit) as conn:
        actor = _admin(conn, obj, username, as_owner)
        record = corrections.correct_leaving(conn, actor, person_id, left, why)
        ended = [a for a in record["assignments"] if a["corrects"] and not a["superseded_at"]]
        click.echo(f"人员 {person_id}（{record['name']}）离任时间更正为 {_day(record['left_at'])}")
        for a in ended:
            click.echo(
                f"  任职 {a['corrects']} → 任职 {a['id']}："
                f"{_day(a['valid_from'])} 至 {_day(a['valid_to'])}"
            )
