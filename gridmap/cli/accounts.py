"""``gridmap accounts``: the administrator's account on a new server, and accounts from the
command line (the administration page does the same for a signed-in administrator, through the
same gridmap.people.staffing).

These commands are the console's: they act as the owner (there may be no administrator yet),
and every change is in the audit log under the name ``cli``. A one-time password is printed
once; its owner sets their own at the next sign-in.
"""

from __future__ import annotations

import click

from gridmap.accounts import policy
from gridmap.core import params
from gridmap.people import staffing
from gridmap.store import db


def _console(conn, obj) -> policy.Actor:
    street = obj.config["STREET_CODE"]
    staffing.street_exists(conn, street)
    return policy.Actor.owner(street)


def _issue(username: str, one_time: str) -> None:
    click.echo(f"账号 {username} 的一次性密码（只显示这一次）：{one_time}")
    click.echo("请用它登录，并按提示设置自己的密码。")


@click.group("accounts")
def accounts_group() -> None:
    """账号：系统管理员账号、新建、重置、停用与启用。"""


@accounts_group.command("admin")
@click.pass_obj
def admin_cmd(obj) -> None:
    """创建系统管理员账号 admin（已有则重置其密码），打印一次性密码。"""
    with db.connect(obj.config) as conn:
        one_time = staffing.administrator(conn, _console(conn, obj))
        conn.commit()
    _issue(staffing.ADMIN, one_time)


@accounts_group.command("list")
@click.pass_obj
def list_cmd(obj) -> None:
    """列出全部账号。"""
    with db.connect(obj.config) as conn:
        listed = staffing.account_listing(conn, _console(conn, obj))["accounts"]
    for a in listed:
        state = "已停用" if a["disabled_at"] else ("待设密码" if a["must_set_password"] else "正常")
        click.echo(f"{a['username']:<16} {a['role_name']:<8} {a['person_name'] or '—':<8} {state}")


@accounts_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(policy.ROLES)))
@click.option("--person", "person_id", default=None, help="所属人员的编号（必填）。")
@click.option("--department", default=None, help="联动单位账号所属的单位代码（如 police）。")
@click.pass_obj
def create_cmd(
    obj, username: str, role: str, person_id: str | None, department: str | None
) -> None:
    """新建账号，打印一次性密码。"""
    username = params.parse_text(username, "用户名", 32, required=True).lower()
    person_id = params.parse_identifier(person_id, "人员编号 --person") if person_id else None
    with db.connect(obj.config) as conn:
        one_time = staffing.create_account(
            conn, _console(conn, obj), username, role, person_id, None, department
        )
        conn.commit()
    _issue(username.lower(), one_time)


@accounts_group.command("reset")
@click.argument("username")
@click.pass_obj
def reset_cmd(obj, username: str) -> None:
    """重置账号密码（其所有会话随即失效），打印一次性密码。"""
    with db.connect(obj.config) as conn:
        actor = _console(conn, obj)
        account, one_time = staffing.reset(
            conn, actor, staffing.by_username(conn, actor, username)["id"]
        )
        conn.commit()
    _issue(account["username"], one_time)


@accounts_group.command("disable")
@click.argument("username")
@click.pass_obj
def disable_cmd(obj, username: str) -> None:
    """停用账号（其所有会话随即失效）。"""
    _set_disabled(obj, username, True)


@accounts_group.command("enable")
@click.argument("username")
@click.pass_obj
def enable_cmd(obj, username: str) -> None:
    """启用账号。"""
    _set_disabled(obj, username, False)


def _set_disabled(obj, username: str, disabled: bool) -> None:
    with db.connect(obj.config) as conn:
        actor = _console(conn, obj)
        account = staffing.by_username(conn, actor, username)
        staffing.set_disabled(conn, actor, account["id"], disabled)
        conn.commit()
    click.echo(f"账号 {username} 已{'停用' if disabled else '启用'}。")
