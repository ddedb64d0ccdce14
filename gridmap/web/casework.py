"""Working a case from its page (案件办理): the workflow's steps, 延期, 督办 / 催办 and their
answers, 回访, and the 待办 page. Each form posts here, is done by the cases services in one
transaction and returns to the case page with what was done, or with the refusal and nothing
changed. The phone does the same through gridmap.web.incidents_api.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gridmap.cases import actions, callback, referrals, service, supervision, todo
from gridmap.core import params
from gridmap.core.errors import GridmapError
from gridmap.store import db
from gridmap.web import access, casepage, users

bp = Blueprint("casework", __name__, url_prefix="/cases")


def _on_case(incident_id: int, work):
    """Do ``work(conn)`` and go back to the case page saying what was done; on a refusal show
    the page again, with the refusal and nothing changed."""
    try:
        with db.connection() as conn:
            done = work(conn)
    except GridmapError as refused:
        with db.connection() as conn:
            actor = users.actor()
            shown = service.page(conn, actor, incident_id)
            shown["actions"] = actions.panel(conn, actor, shown["case"])
        return casepage.render(shown, full=False, refusal=refused.message), refused.status
    flash(done)
    if request.form.get("back") == "board":  # one click on the overdue board (督办台)
        return redirect(url_for("board.page"), code=303)
    return redirect(url_for("cases.page", incident_id=incident_id), code=303)


@bp.post("/<int:incident_id>/move")
@access.requires("move_case")
def move(incident_id: int):
    def work(conn) -> str:
        form = request.form
        moved = service.move(
            conn,
            users.actor(),
            incident_id,
            params.text(form, "to", "办理事项", 30, required=True),
            reason=params.text(form, "reason", "理由", 2000),
            expected=params.text(form, "expected", "页面上的状态", 30) or None,
        )
        return f"已办理：转为「{moved['case']['status_name']}」。"

    return _on_case(incident_id, work)


@bp.post("/<int:incident_id>/extend")
@access.requires("move_case")
def extend(incident_id: int):
    def work(conn) -> str:
        form = request.form
        days = params.parse_integer(params.text(form, "days", "延长天数", 4, True), "延长天数", 1)
        service.extend(
            conn,
            users.actor(),
            incident_id,
            days,
            reason=params.text(form, "reason", "延期理由", 2000, required=True),
        )
        return f"已延期 {days} 天。"

    return _on_case(incident_id, work)


@bp.post("/<int:incident_id>/supervise")
@access.requires("supervise_case")
def supervise(incident_id: int):
    def work(conn) -> str:
        form = request.form
        kind = params.text(form, "kind", "督办类型", 20, required=True)
        supervision.supervise(
            conn,
            users.actor(),
            incident_id,
            kind,
            params.text(form, "note", "督办内容", 500, required=True),
            params.parse_query_day(
                params.text(form, "answer_by", "答复期限", 20, required=True), "答复期限"
            ),
        )
        return f"已{supervision.KINDS.get(kind, '督办')}，办理人将在待办中看到。"

    return _on_case(incident_id, work)


@bp.post("/<int:incident_id>/supervisions/<int:supervision_id>/answer")
@access.requires("move_case")
def answer(incident_id: int, supervision_id: int):
    def work(conn) -> str:
        supervision.answer(
            conn,
            users.actor(),
            incident_id,
            supervision_id,
            params.text(request.form, "answer", "答复", 1000, required=True),
        )
        return "已答复督办。"

    return _on_case(incident_id, work)


@bp.post("/<int:incident_id>/refer")
@access.requires("refer_case")
def refer(incident_id: int):
    def work(conn) -> str:
        form = request.form
        done = referrals.refer(
            conn,
            users.actor(),
            incident_id,
            params.text(form, "department", "联动单位", 32, required=True),
            params.text(form, "note", "转办说明", 1000, required=True),
            params.parse_query_day(
                params.text(form, "reply_by", "答复期限", 20, required=True), "答复期限"
            ),
        )
        return f"已转办{done['department_name']}，对方将在其转办事项中看到。"

    return _on_case(incident_id, work)


@bp.post("/<int:incident_id>/callback")
@access.requires("call_back")
def call_back(incident_id: int):
    def work(conn) -> str:
        form = request.form
        done = callback.call_back(
            conn,
            users.actor(),
            incident_id,
            params.text(form, "result", "回访结果", 20, required=True),
            params.text(form, "note", "回访情况", 1000),
        )
        reopened = done["reopened"]
        return "已记录回访。" + (
            f"当事人不满意，案件已重新办理（{reopened}）。" if reopened else ""
        )

    return _on_case(incident_id, work)


@bp.get("/todo")
@access.requires("see_incidents")
def todo_page():
    with db.connection() as conn:
        sections = todo.of(conn, users.actor())
    return render_template("todo.html", sections=sections)
