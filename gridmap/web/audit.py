"""The auditor's page (审计员): the audit log, newest first, filtered by period, action, account
and incident. Read-only: the log cannot be changed by anyone through gridmap or its database
role (migration 0015)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request

from gridmap.core import params
from gridmap.core.clock import LOCAL
from gridmap.people import staffing
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("audit", __name__, url_prefix="/audit")


@bp.get("/")
@access.requires("read_audit")
def page():
    with db.connection() as conn:
        actions = staffing.audit_actions(conn)
        action = params.code(request.args, "action", "操作", {a["code"] for a in actions})
        since = params.day(request.args, "from", "开始日期")
        until = params.day(request.args, "to", "结束日期")
        incident = params.integer(request.args, "incident", "事件编号", 1, 10**15, None)
        username = (params.single(request.args, "username") or "").strip().lower()[:64]
        rows = staffing.audit_log(
            conn,
            users.actor(),
            since=_start(since) if since else None,
            until=_start(until + timedelta(days=1)) if until else None,
            action=action or "",
            username=username,
            incident_id=incident,
        )
    return render_template(
        "audit.html",
        rows=rows,
        actions=actions,
        chosen={
            "action": action or "",
            "from": since.isoformat() if since else "",
            "to": until.isoformat() if until else "",
            "incident": incident or "",
            "username": username,
        },
    )


def _start(day) -> datetime:
    return datetime.combine(day, time(), LOCAL)
