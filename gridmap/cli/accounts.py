"""``gridmap accounts``: the administrator's account on a new server, and accounts from the
command line (the administration page does the same for a signed-in administrator).

A one-time password is printed once; its owner sets their own at the next sign-in. Every
change is in the audit log, under the name ``cli``.
"""

from __future__ import annotations

import click

from gridmap.accounts import passwords, policy
from gridmap.core.errors import BadInput, NotFound
from gridmap.data import accounts, audit, streets
from gridmap.store import db

ADMIN = "admin"


def _street(obj) -> str:
    code = obj.config["STREET_CODE"]
    with db.connect(obj.config) as conn:
        if streets.get(conn, code) is None:
            raise NotFound(f"街道 {code} 尚无数据：请先导入街道的划分（或运行 gridmap demo）。")
    return code


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
    street = _street(obj)
    one_time = passwords.one_time()
    digest = passwords.hash_password(one_time)
    with db.connect(obj.config) as conn:
        account = accounts.by_username(conn, street, ADMIN)
        if account is None:
            accounts.create(conn, street, ADMIN, "admin", None, digest)
            audit.record(conn, street, "account_created", None, username="cli", detail=ADMIN)
        else:
            accounts.reset(conn, street, account["id"], digest)
            audit.record(conn, street, "password_reset", None, username="cli", detail=ADMIN)
        conn.commit()
    _issue(ADMIN, one_time)


@accounts_group.command("list")
@click.pass_obj
def list_cmd(obj) -> None:
    """列出全部账号。"""
    street = _street(obj)
    with db.connect(obj.config) as conn:
        for a in accounts.listing(conn, street):
            state = (
                "已停用" if a["disabled_at"] else ("待设密码" if a["must_set_password"] else "正常")
            )
            click.echo(
                f"{a['username']:<16} {a['role_name']:<8} {a['person_name'] or '—':<8} {state}"
            )


@accounts_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(policy.ROLES)))
@click.option("--person", "person_id", type=int, default=None, help="所属人员的编号。")
@click.pass_obj
def create_cmd(obj, username: str, role: str, person_id: int | None) -> None:
    """新建账号，打印一次性密码。"""
    street = _street(obj)
    one_time = passwords.one_time()
    with db.connect(obj.config) as conn:
        accounts.create(
            conn, street, username.lower(), role, person_id, passwords.hash_password(one_time)
        )
        audit.record(conn, street, "account_created", None, username="cli", detail=username)
        conn.commit()
    _issue(username.lower(), one_time)


@accounts_group.command("reset")
@click.argument("username")
@click.pass_obj
def reset_cmd(obj, username: str) -> None:
    """重置账号密码（其所有会话随即失效），打印一次性密码。"""
    street = _street(obj)
    one_time = passwords.one_time()
    with db.connect(obj.config) as conn:
        accounts.reset(conn, street, _id(conn, street, username), passwords.hash_password(one_time))
        audit.record(conn, street, "password_reset", None, username="cli", detail=username)
        conn.commit()
    _issue(username, one_time)


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
    street = _street(obj)
    with db.connect(obj.config) as conn:
        accounts.set_disabled(conn, street, _id(conn, street, username), disabled)
        action = "account_disabled" if disabled else "account_enabled"
        audit.record(conn, street, action, None, username="cli", detail=username)
        conn.commit()
    click.echo(f"账号 {username} 已{'停用' if disabled else '启用'}。")


def _id(conn, street: str, username: str) -> int:
    account = accounts.by_username(conn, street, username.lower())
    if account is None:
        raise BadInput(f"没有账号 {username}。")
    return account["id"]


def admin_password_changed(conn, street: str) -> bool:
    """Whether the administrator has set their own password (production safety)."""
    account = accounts.by_username(conn, street, ADMIN)
    return account is not None and not account["must_set_password"]
