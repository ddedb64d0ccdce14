"""Who a command acts as, for the commands that do what a page does (move a case, change a plan).

``--user NAME`` acts as that account: its kind of account, its scope and its duties, checked by
the same policy as the pages (gridmap.accounts.policy), so the console cannot do what the page
would refuse the same person. ``--as-owner`` says so instead: the command acts as the
database's owner at the console, trusted with every action (a ledger of work done on paper,
entered late; a plan published by the administrator at the server), and recorded under the
account it names, or as ``cli``.
"""

from __future__ import annotations

import click

from gridmap.accounts import policy
from gridmap.core.errors import BadInput, NotFound
from gridmap.data import accounts
from gridmap.people import sessions

USER_HELP = "以哪个账号的身份操作（用户名）；按其账号类型、负责范围与职责检查。"
OWNER_HELP = "以数据库属主（控制台）的身份操作：不按账号类型检查；与 --user 同用时记为该账号。"


def options(command):
    """``--user`` and ``--as-owner`` on a command."""
    command = click.option("--as-owner", "as_owner", is_flag=True, help=OWNER_HELP)(command)
    return click.option("--user", "username", default=None, help=USER_HELP)(command)


def actor(
    conn, obj, username: str | None, as_owner: bool, action: str, need_account: bool = False
) -> policy.Actor:
    """The actor a command runs as, refused in words when it may not take ``action``."""
    street = obj.config["STREET_CODE"]
    if not username:
        if as_owner and not need_account:
            return policy.Actor.owner(street)
        raise BadInput(
            "请用 --user 指明操作的账号"
            + ("（记录为操作人），可与 --as-owner 同用" if need_account else "")
            + ("，或用 --as-owner 说明以数据库属主（控制台）身份操作" if not need_account else "")
        )
    account = accounts.by_username(conn, street, username.strip().lower())
    if account is None:
        raise NotFound(f"账号「{username}」不存在")
    if not sessions.usable(account):
        raise BadInput(f"账号「{username}」已停用，不能以它操作")
    if as_owner:
        return policy.Actor(policy.OWNER, policy.Actor.owner(street).scope, account)
    found = policy.Actor.of(account, sessions.scope_of(conn, account))
    policy.require(found, action)
    return found
