"""Administration (系统管理员): accounts, people, and the assignments of the six-level chain.

The page parses, calls gridmap.people.staffing (which writes every change and its audit line in
one transaction) and shows what was done, or the refusal with nothing changed. A new account
and a reset get a one-time password, shown once here.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gridmap.core import clock, params
from gridmap.core.errors import GridmapError
from gridmap.people import corrections, staffing
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _accounts_page(message: str = "", issued: dict | None = None, status: int = 200):
    with db.connection() as conn:
        listed = staffing.account_listing(conn, users.actor())
    page = render_template(
        "admin_accounts.html", **listed, message=message, issued=issued, now=clock.now()
    )
    return page, status


@bp.get("/")
@access.requires("manage_accounts")
def accounts_page():
    return _accounts_page()


@bp.post("/accounts")
@access.requires("manage_accounts")
def create_account():
    try:
        username = params.text(request.form, "username", "用户名", 32, required=True).lower()
        role = params.text(request.form, "role", "账号类型", 20, required=True)
        person_id = params.identifier(request.form, "person_id", "人员", required=False)
        department = params.text(request.form, "department_code", "联动单位", 32) or None
        with db.connection() as conn:
            one_time = staffing.create_account(
                conn, users.actor(), username, role, person_id, users.origin(), department
            )
    except GridmapError as refused:
        return _accounts_page(message=refused.message, status=refused.status)
    return _accounts_page(issued={"username": username, "password": one_time})


@bp.post("/accounts/<int:account_id>/<any(disable, enable, reset):action>")
@access.requires("manage_accounts")
def change_account(account_id: int, action: str):
    issued = None
    try:
        with db.connection() as conn:
            if action == "reset":
                account, one_time = staffing.reset(conn, users.actor(), account_id, users.origin())
                issued = {"username": account["username"], "password": one_time}
            else:
                account = staffing.set_disabled(
                    conn, users.actor(), account_id, action == "disable", users.origin()
                )
    except GridmapError as refused:
        return _accounts_page(message=refused.message, status=refused.status)
    done = {"disable": "已停用", "enable": "已启用", "reset": "已重置密码"}[action]
    return _accounts_page(message=f"账号 {account['username']} {done}。", issued=issued)


def _people_page(message: str = "", status: int = 200):
    with db.connection() as conn:
        listed = staffing.people_listing(conn, users.actor())
    return render_template("admin_people.html", **listed, message=message), status


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
        form = request.form
        name = params.text(form, "name", "姓名", 50, required=True)
        pid = staffing.add_person(
            conn,
            users.actor(),
            name,
            params.text(form, "gender", "性别", 10),
            params.phone(form, "phone", "电话") or "",
            params.text(form, "title", "职务", 100),
            users.origin(),
        )
        return f"已新增人员 {name}（编号 {pid}）。"

    return _on_people_page(work)


@bp.post("/people/<int:person_id>/leave")
@access.requires("manage_accounts")
def person_leaves(person_id: int):
    def work(conn) -> str:
        at = params.when(request.form, "at", "离任日期")
        staffing.person_leaves(conn, users.actor(), person_id, at, users.origin())
        return f"人员 {person_id} 已登记离任，其任职同时结束。"

    return _on_people_page(work)


@bp.post("/assignments")
@access.requires("manage_accounts")
def add_assignment():
    def work(conn) -> str:
        form = request.form
        aid = staffing.add_assignment(
            conn,
            users.actor(),
            params.identifier(form, "person_id", "人员编号"),
            params.text(form, "role", "职责", 30, required=True),
            params.text(form, "scope_code", "范围代码", 30, required=True),
            params.when(form, "from", "起始日期"),
            users.origin(),
        )
        return f"已新增任职（编号 {aid}）。"

    return _on_people_page(work)


@bp.post("/assignments/<int:assignment_id>/end")
@access.requires("manage_accounts")
def end_assignment(assignment_id: int):
    def work(conn) -> str:
        at = params.when(request.form, "at", "截止日期")
        staffing.end_assignment(conn, users.actor(), assignment_id, at, users.origin())
        return f"任职 {assignment_id} 已结束。"

    return _on_people_page(work)


def _person_page(person_id: int, message: str = "", status: int = 200):
    with db.connection() as conn:
        record = corrections.person_record(conn, users.actor(), person_id)
    return render_template("admin_person.html", person=record, message=message), status


@bp.get("/people/<int:person_id>")
@access.requires("manage_accounts")
def person_page(person_id: int):
    """One person: every assignment they held, as first recorded and as corrected, and the
    forms that correct a period or the leaving (with a reason)."""
    return _person_page(person_id)


def _on_person_page(person_id: int, work) -> tuple:
    try:
        with db.connection() as conn:
            done = work(conn)
    except GridmapError as refused:
        return _person_page(person_id, message=refused.message, status=refused.status)
    return _person_page(person_id, message=done)


@bp.post("/people/<int:person_id>/assignments/<int:assignment_id>/correct")
@access.requires("manage_accounts")
def correct_assignment(person_id: int, assignment_id: int):
    def work(conn) -> str:
        form = request.form
        row = corrections.correct_assignment(
            conn,
            users.actor(),
            assignment_id,
            params.when(form, "from", "起始日期"),
            params.when(form, "to", "截止日期", required=False),
            params.text(form, "reason", "更正原因", 500, required=True),
            users.origin(),
        )
        return f"任职 {assignment_id} 已更正，更正后的记录为任职 {row['id']}；原记录保留。"

    return _on_person_page(person_id, work)


@bp.post("/people/<int:person_id>/correct-leaving")
@access.requires("manage_accounts")
def correct_leaving(person_id: int):
    def work(conn) -> str:
        form = request.form
        corrections.correct_leaving(
            conn,
            users.actor(),
            person_id,
            params.when(form, "at", "离任日期"),
            params.text(form, "reason", "更正原因", 500, required=True),
            users.origin(),
        )
        return "离任时间已更正，其任职期随之更正；原记录保留。"

    return _on_person_page(person_id, work)
