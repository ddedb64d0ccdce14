"""Signing in and out, and a person's own password (first sign-in, or changed later).

One message for every refusal at sign-in (a wrong password, an unknown name, a locked or
disabled account), so the page never tells whether an account exists; an unknown name costs
the same argon2 verification as a wrong password. Repeated failures lock the account for
``SIGNIN_LOCK_MINUTES``. Every sign-in, failure, lock and password change is in the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from gridmap.accounts import passwords, policy
from gridmap.core.errors import BadInput
from gridmap.data import accounts, audit
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("signin", __name__)
REFUSED = "用户名或密码不正确。连续多次失败后账号将暂时锁定，请稍后再试或联系管理员。"
MAX_FIELD = 128


def origin() -> dict:
    """Where a request comes from, for the audit log."""
    return {
        "remote_addr": request.remote_addr or "",
        "user_agent": request.headers.get("User-Agent", ""),
    }


@bp.get("/signin")
@access.public
def page():
    if current_user.is_authenticated and not request.args.get("next"):
        return redirect(_home())
    notice = "会话已过期，请重新登录。" if request.args.get("expired") == "1" else ""
    return _page(notice=notice)


def _page(message: str = "", notice: str = "", username: str = "", status: int = 200):
    demo = bool(current_app.config.get("DEMO"))
    with db.connection() as conn:
        listed = demo_accounts(conn) if demo else []
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


def demo_accounts(conn) -> list[dict]:
    from gridmap.demo import accounts as demo

    return demo.listed(conn, current_app.config["STREET_CODE"])


@bp.post("/signin")
@access.public
def submit():
    username = request.form.get("username", "").strip().lower()[:MAX_FIELD]
    password = request.form.get("password", "")[:MAX_FIELD]
    street = current_app.config["STREET_CODE"]
    now = datetime.now(UTC)
    with db.connection() as conn:
        account = accounts.by_username(conn, street, username) if username else None
        locked = account is not None and account["locked_until"] and account["locked_until"] > now
        good = passwords.verify(account["password_hash"] if account else None, password)
        if good and not locked and users.usable(account, now):
            rehash = (
                passwords.hash_password(password)
                if passwords.needs_rehash(account["password_hash"])
                else None
            )
            accounts.record_success(conn, account["id"], rehash)
            audit.record(conn, street, "sign_in", account, **origin())
            account = accounts.by_id(conn, street, account["id"])
        else:
            why = "locked" if locked else ("unusable" if good else "wrong")
            if account is not None and not locked and not good:
                if accounts.record_failure(
                    conn,
                    account["id"],
                    int(current_app.config["SIGNIN_MAX_FAILURES"]),
                    int(current_app.config["SIGNIN_LOCK_MINUTES"]),
                ):
                    audit.record(conn, street, "locked", account, **origin())
            audit.record(
                conn,
                street,
                "sign_in_failed",
                account,
                username=username or "（空）",
                detail=why,
                **origin(),
            )
            account = None
    if account is None:
        return _page(message=REFUSED, username=username, status=401)
    user = users.User(account)
    users.start_session(user)
    login_user(user)
    if user.must_set_password:
        return redirect(url_for("signin.password"))
    return redirect(_safe_next(request.form.get("next", "")) or _home())


def _home() -> str:
    """Where the signed-in person lands: by their kind of account and the duties in force."""
    g.pop("scope", None)  # computed afresh for the person just signed in
    return url_for(policy.home(current_user.role, users.scope().duties))


def _safe_next(target: str) -> str:
    """Only a path on this site (never another host, never a scheme)."""
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
        audit.record(
            conn, current_app.config["STREET_CODE"], "sign_out", current_user.account, **origin()
        )
    logout_user()
    return redirect(url_for("signin.page"))


@bp.get("/account/password")
@access.requires("own_account")
def password():
    return render_template("password.html", message="", first=current_user.must_set_password)


@bp.post("/account/password")
@access.requires("own_account")
def set_password():
    account = current_user.account
    current = request.form.get("current", "")[:MAX_FIELD]
    new = request.form.get("new", "")[:MAX_FIELD]
    repeat = request.form.get("repeat", "")[:MAX_FIELD]
    street = current_app.config["STREET_CODE"]
    try:
        if not passwords.verify(account["password_hash"], current):
            raise BadInput("当前密码（或管理员给您的一次性密码）不正确。")
        if new != repeat:
            raise BadInput("两次输入的新密码不一致。")
        passwords.check_new(new, account["username"], account["password_hash"])
    except BadInput as refused:
        return render_template(
            "password.html", message=refused.message, first=current_user.must_set_password
        ), 400
    with db.connection() as conn:
        accounts.set_password(conn, account["id"], passwords.hash_password(new))
        audit.record(conn, street, "password_set", account, **origin())
        fresh = accounts.by_id(conn, street, account["id"])
    user = users.User(fresh)
    users.start_session(user)
    login_user(user)
    return redirect(_home())
