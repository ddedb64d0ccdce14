"""联动单位 (派出所、司法所、法庭……): the cases the center referred to the account's own department,
each as the center described it, with a form to reply and so return it. Nothing else of the
street: no map, no parties, no other case."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gridmap.cases import referrals
from gridmap.core import params
from gridmap.core.errors import GridmapError
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


def _page(refusal: str | None = None, status: int = 200):
    with db.connection() as conn:
        actor = users.actor()
        sent = referrals.inbox(conn, actor)
    department = (actor.account or {}).get("department_name") or ""
    return render_template(
        "referrals.html", sent=sent, department=department, refusal=refusal
    ), status


@bp.get("/")
@access.requires("answer_referral")
def page():
    return _page()


@bp.post("/<int:referral_id>/reply")
@access.requires("answer_referral")
def reply(referral_id: int):
    try:
        text = params.text(request.form, "reply", "答复", 2000, required=True)
        with db.connection() as conn:
            done = referrals.answer(conn, users.actor(), referral_id, text)
    except GridmapError as refused:
        return _page(refused.message, refused.status)
    flash(f"已答复案件 {done['incident_id']}，并退回综治中心。")
    return redirect(url_for("referrals.page"), code=303)
