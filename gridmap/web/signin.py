"""Signing in and out, and a person's own password (first sign-in, or changed later): the
pages of gridmap.people.sessions, which gives one answer for every refused sign-in, so the page
never tells whether an account exists."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from gridmap.accounts import policy
from gridmap.core.errors import BadInput
from gridmap.people import sessions
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("signin", __name__)
REFUSED = "用户名或密码不正确。连续多次失败后账号将暂时锁定，请稍后再试或联系管理员。"
MAX_FIELD = 128


@bp.get("/signin")
@access.public
def page():
    if current_user.is_authenticated and not request.args.get("next"):
        return redirect(_home())
    notice = "会话已过期，请重新登录。" if request.args.get("expired") == "1" else ""
    return _page(notice=notice)


def _page(message: str = "", notice: str = "", username: str = "", status: int = 200):
    # The demo lists its accounts here, through the hook it registers (gridmap.create_app).
    listing = current_app.extensions.get("gridmap.sign_in_accounts")
    listed = []
    if listing is not None:
        with db.connection() as conn:
            listed = listing(conn, _street())
    return (
        render_template(
            "signin.html",
            message=message,
            notice=notice,
            username=username,
            demo_accounts=listed,
            next=_safe_next(request.values.get("next", "")),
        ),
        status,
    )


@bp.post("/signin")
@access.public
def submit():
    username = request.form.get("username", "").strip().lower()[:MAX_FIELD]
    password = request.form.get("password", "")[:MAX_FIELD]
    with db.connection() as conn:
        account = sessions.sign_in(
            conn, _street(), username, password, users.origin(), current_app.config
        )
    if account is None:
        return _page(message=REFUSED, username=username, status=401)
    user = users.User(account)
    users.start_session(user)
    login_user(user)
    if user.must_set_password:
        return redirect(url_for("signin.password"))
    return redirect(_safe_next(request.form.get("next", "")) or _home())


def _street() -> str:
    return current_app.config["STREET_CODE"]


def _home() -> str:
    """Where the signed-in person lands: by their kind of account and the duties in force."""
    g.pop("scope", None)  # computed afresh for the person just signed in
    return url_for(policy.home(current_user.role, users.scope().duties))


def _safe_next(target: str) -> str:
    """Only a path on this site (never another host, never a scheme), written in printable
    ASCII: a control character (a newline would split the Location header) or a space is never
    part of an address this site gives out."""
    if not target.isascii() or not target.isprintable() or " " in target:
        return ""
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return ""
    if "\\" in target:
        return ""
    return target


@bp.post("/signout")
@access.requires("own_account")
def signout():
    with db.connection() as conn:
        sessions.sign_out(conn, _street(), current_user.account, users.origin())
    logout_user()
    return redirect(url_for("signin.page"))


@bp.get("/account/password")
@access.requires("own_account")
def password():
    return render_template("password.html", message="", first=current_user.must_set_password)


@bp.post("/account/password")
@access.requires("own_account")
def set_password():
    form = {k: request.form.get(k, "")[:MAX_FIELD] for k in ("current", "new", "repeat")}
    try:
        with db.connection() as conn:
            fresh = sessions.set_own_password(
                conn, _street(), current_user.account, **form, origin=users.origin()
            )
    except BadInput as refused:
        return render_template(
            "password.html", message=refused.message, first=current_user.must_set_password
        ), 400
    user = users.User(fresh)
    users.start_session(user)
    login_user(user)
    return redirect(_home())
