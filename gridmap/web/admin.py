"""Administration (系统管理员): accounts, people, and the assignments of the six-level chain.

Every change is written to the audit log in the same transaction. A new account and a reset
get a one-time password, shown once here; the person sets their own at their next sign-in.
Nothing is deleted: accounts are disabled, people leave, assignments end.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user

from gridmap.accounts import passwords
from gridmap.core import params
from gridmap.core.clock import local
from gridmap.core.errors import BadInput, GridmapError
from gridmap.data import accounts, audit, people
from gridmap.store import db
from gridmap.web import access
from gridmap.web.signin import origin

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _street() -> str:
    return current_app.config["STREET_CODE"]


def _form(name: str, label: str, limit: int = 100, required: bool = True) -> str:
    value = request.form.get(name, "").strip()
    if required and not value:
        raise BadInput(f"请填写{label}。")
    if len(value) > limit:
        raise BadInput(f"{label}不能超过 {limit} 个字符。")
    return value


def _number(name: str, label: str) -> int:
    value = request.form.get(name, "").strip()
    if not value.isdigit() or len(value) > 9:
        raise BadInput(f"{label}应为数字编号。")
    return int(value)


def _log(conn, action: str, detail: str) -> None:
    audit.record(conn, _street(), action, current_user.account, detail=detail, **origin())


def _accounts_page(message: str = "", issued: dict | None = None, status: int = 200):
    with db.connection() as conn:
        rows = accounts.listing(conn, _street())
        roles = accounts.roles(conn)
        staff = people.listing(conn, _street())
    return (
        render_template(
            "admin_accounts.html",
            accounts=rows,
            roles=roles,
            people=[p for p in staff if p["left_at"] is None],
            message=message,
            issued=issued,
            now=datetime.now(UTC),
        ),
        status,
    )


@bp.get("/")
@access.requires("manage_accounts")
def accounts_page():
    return _accounts_page()


@bp.post("/accounts")
@access.requires("manage_accounts")
def create_account():
    try:
        username = _form("username", "用户名", 32).lower()
        role = _form("role", "账号类型", 20)
        person = request.form.get("person_id", "").strip()
        person_id = _number("person_id", "人员") if person else None
        one_time = passwords.one_time()
        with db.connection() as conn:
            accounts.create(
                conn, _street(), username, role, person_id, passwords.hash_password(one_time)
            )
            _log(conn, "account_created", f"{username}（{role}）")
    except GridmapError as refused:
        return _accounts_page(message=refused.message, status=refused.status)
    return _accounts_page(issued={"username": username, "password": one_time})


@bp.post("/accounts/<int:account_id>/<any(disable, enable, reset):action>")
@access.requires("manage_accounts")
def change_account(account_id: int, action: str):
    issued = None
    try:
        with db.connection() as conn:
            account = accounts.by_id(conn, _street(), account_id)
            if account is None:
                raise BadInput(f"账号 {account_id} 不存在。")
            if account["id"] == current_user.account["id"] and action == "disable":
                raise BadInput("不能停用您自己正在使用的账号。")
            if action == "reset":
                one_time = passwords.one_time()
                accounts.reset(conn, _street(), account_id, passwords.hash_password(one_time))
                issued = {"username": account["username"], "password": one_time}
                _log(conn, "password_reset", account["username"])
            else:
                accounts.set_disabled(conn, _street(), account_id, action == "disable")
                _log(conn, f"account_{action}d", account["username"])
    except GridmapError as refused:
        return _accounts_page(message=refused.message, status=refused.status)
    done = {"disable": "已停用", "enable": "已启用", "reset": "已重置密码"}[action]
    return _accounts_page(message=f"账号 {account['username']} {done}。", issued=issued)


def _people_page(message: str = "", status: int = 200):
    with db.connection() as conn:
        staff = people.listing(conn, _street())
        duties = people.assignments_now(conn, _street())
        roles = people.chain_roles(conn)
    return (
        render_template(
            "admin_people.html", people=staff, assignments=duties, roles=roles, message=message
        ),
        status,
    )


@bp.get("/people")
@access.requires("manage_accounts")
def people_page():
    return _people_page()


def _on_people_page(work) -> tuple:
    """Run ``work(conn)`` (a change and its audit line, in one transaction) and show the people
    page with what it says was done, or with the refusal and nothing changed."""
    try:
        with db.connection() as conn:
            done = work(conn)
    except GridmapError as refused:
        return _people_page(message=refused.message, status=refused.status)
    return _people_page(message=done)


@bp.post("/people")
@access.requires("manage_accounts")
def add_person():
    def work(conn) -> str:
        name = _form("name", "姓名", 50)
        pid = people.add_person(
            conn,
            _street(),
            name,
            request.form.get("gender", "").strip() or None,
            _form("phone", "电话", 30, required=False),
            _form("title", "职务", 100, required=False),
        )
        _log(conn, "person_created", f"{pid} {name}")
        return f"已新增人员 {name}（编号 {pid}）。"

    return _on_people_page(work)


@bp.post("/people/<int:person_id>/leave")
@access.requires("manage_accounts")
def person_leaves(person_id: int):
    def work(conn) -> str:
        at = _moment("at", "离任日期")
        people.end_person(conn, _street(), person_id, at)
        _log(conn, "person_changed", f"{person_id} 离任 {local(at):%Y-%m-%d}")
        return f"人员 {person_id} 已登记离任，其任职同时结束。"

    return _on_people_page(work)


@bp.post("/assignments")
@access.requires("manage_accounts")
def add_assignment():
    def work(conn) -> str:
        person_id = _number("person_id", "人员编号")
        role = _form("role", "职责", 30)
        scope_code = _form("scope_code", "范围代码", 30)
        start = _moment("from", "起始日期")
        aid = people.add_assignment(conn, _street(), person_id, role, scope_code, start)
        _log(conn, "assignment_created", f"{aid}: 人员 {person_id} {role} {scope_code}")
        return f"已新增任职（编号 {aid}）。"

    return _on_people_page(work)


@bp.post("/assignments/<int:assignment_id>/end")
@access.requires("manage_accounts")
def end_assignment(assignment_id: int):
    def work(conn) -> str:
        at = _moment("at", "截止日期")
        people.end_assignment(conn, _street(), assignment_id, at)
        _log(conn, "assignment_ended", f"{assignment_id} 截止 {local(at):%Y-%m-%d}")
        return f"任职 {assignment_id} 已结束。"

    return _on_people_page(work)


def _moment(name: str, label: str) -> datetime:
    value = request.form.get(name, "").strip()
    if not value:
        raise BadInput(f"请填写{label}。")
    return params.parse_query_moment(value, label)
