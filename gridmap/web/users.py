"""Who is asking: the signed-in account (Flask-Login), its session's limits, and its scope.

A session names an account and the account's session epoch; disabling or resetting the account
bumps the epoch, so every live session of it ends at its next request. A session also ends
after ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_MAX_HOURS`` after sign-in.
The scope (gridmap.accounts.scope) is worked out once per request from the account's person and the
assignments in force at that moment.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user, logout_user

from gridmap.accounts import policy
from gridmap.accounts.scope import Scope
from gridmap.core import clock
from gridmap.core.errors import SignInRequired
from gridmap.people import sessions
from gridmap.store import db

login_manager = LoginManager()


class User(UserMixin):
    def __init__(self, account: dict):
        self.account = account

    def get_id(self) -> str:
        return f"{self.account['id']}:{self.account['session_epoch']}"

    @property
    def role(self) -> str:
        return self.account["role"]

    @property
    def username(self) -> str:
        return self.account["username"]

    @property
    def must_set_password(self) -> bool:
        return bool(self.account["must_set_password"])

    @property
    def display_name(self) -> str:
        return self.account["person_name"] or self.account["role_name"]


def init_app(app: Flask) -> None:
    app.before_request(_fix_now)
    app.teardown_request(_release_now)
    login_manager.init_app(app, add_context_processor=False)  # templates get `viewer`
    # Flask's own defaults are present (SAMESITE None): setdefault would keep them.
    if app.config.get("SESSION_COOKIE_HTTPONLY") is None:
        app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["PERMANENT_SESSION_LIFETIME"] = int(app.config["SESSION_MAX_HOURS"]) * 3600
    app.before_request(_session_limits)
    app.context_processor(_viewer)


def _fix_now() -> None:
    """ "Now" is taken once per request (gridmap.core.clock), before anything reads it."""
    g.clock = clock.begin()


def _release_now(_error: BaseException | None) -> None:
    if "clock" in g:
        clock.end(g.pop("clock"))


def _viewer() -> dict:
    """The signed-in user for templates, only if already loaded for this request: an error page
    (the database away) must render without asking the database again."""
    user = g.get("_login_user")
    viewer = user if user is not None and user.is_authenticated else None
    return {
        "viewer": viewer,
        "menu": policy.menu(viewer.role) if viewer else (),
        # 待办: the header's link and badge (its count is fetched after the page has drawn)
        "has_todo": bool(viewer) and policy.allows(viewer.role, "see_incidents"),
    }


@login_manager.user_loader
def _load(user_id: str) -> User | None:
    try:
        account_id, epoch = (int(x) for x in user_id.split(":"))
    except ValueError:
        return None
    with db.connection() as conn:
        account = sessions.account_of_session(
            conn, current_app.config["STREET_CODE"], account_id, epoch
        )
    return None if account is None else User(account)


def origin() -> dict:
    """Where a request comes from, for the audit log."""
    return {
        "remote_addr": request.remote_addr or "",
        "user_agent": request.headers.get("User-Agent", ""),
    }


def start_session(user: User) -> None:
    session.clear()
    session.permanent = True
    session["since"] = session["seen"] = int(clock.now().timestamp())


def _session_limits() -> None:
    """End a session that has been idle, or open, for too long (before access is checked)."""
    if "_user_id" not in session:
        return
    now = int(clock.now().timestamp())
    idle = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    longest = int(current_app.config["SESSION_MAX_HOURS"]) * 3600
    if now - session.get("seen", 0) > idle or now - session.get("since", 0) > longest:
        logout_user()
        session.clear()
        g.session_expired = True
        return
    session["seen"] = now


def actor() -> policy.Actor:
    """Who is asking in this request: their kind of account, their scope and their account."""
    if not current_user.is_authenticated:
        raise SignInRequired("请先登录。")
    return policy.Actor(policy.role(current_user.role), scope(), current_user.account)


def scope() -> Scope:
    """The scope of this request (computed once, at the moment of asking)."""
    if "scope" not in g:
        street = current_app.config["STREET_CODE"]
        if not current_user.is_authenticated:
            g.scope = Scope.of_areas(street, {})
        else:
            with db.connection() as conn:
                g.scope = sessions.scope_of(conn, current_user.account)
    return g.scope
