"""Which action each route performs, declared on the route itself, and enforced in one place.

Every view declares the action it performs with :func:`requires` (one of
gridmap.accounts.policy.ACTIONS; the policy's table says which kinds of account may take it) or
:func:`public` (reachable without signing in: the sign-in page, static assets). A route
without a rule is refused to everyone (and tests/test_access.py fails), so that a new route
cannot be open by forgetting. What a permitted person then sees within a route is their
scope (gridmap.web.users.scope), passed to the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import current_user

from gridmap.accounts import policy
from gridmap.core.errors import Forbidden, SignInRequired
from gridmap.web import users


@dataclass(frozen=True)
class Rule:
    """A route's rule: the action it performs (None: open to everyone), and the setting that,
    when true, opens it to everyone too."""

    action: str | None
    public_if: str = ""

    def allows(self, role_code: str | None, config) -> bool:
        if self.action is None or (self.public_if and config.get(self.public_if)):
            return True
        return role_code is not None and policy.allows(role_code, self.action)


PUBLIC = Rule(None)
# Flask's own endpoints, public by nature.
PUBLIC_ENDPOINTS = {"static"}
# What a person who must first set their own password may still reach.
OWN_PASSWORD = ("signin.password", "signin.set_password", "signin.signout")


def requires(action: str) -> Callable:
    if action not in policy.ACTIONS:
        raise ValueError(f"unknown action: {action!r}")

    def mark(view: Callable) -> Callable:
        view.access = Rule(action)
        return view

    return mark


def public(view: Callable) -> Callable:
    view.access = PUBLIC
    return view


def public_if(setting: str, action: str) -> Callable:
    """Public when ``setting`` is true (off by default), else for those who may take ``action``."""
    requires(action)  # the same check of the action's name

    def mark(view: Callable) -> Callable:
        view.access = Rule(action, setting)
        return view

    return mark


def rule_of(app: Flask, endpoint: str) -> Rule | None:
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def init_app(app: Flask) -> None:
    app.before_request(_enforce)


def _wants_page() -> bool:
    return not request.path.startswith(("/api/", "/open311/")) and request.method == "GET"


def _enforce():
    if request.endpoint is None:
        return None  # 404 or 405: Flask answers
    rule = rule_of(current_app, request.endpoint)
    if rule is None:
        raise Forbidden("此地址没有声明访问规则，已拒绝访问。")
    if rule.allows(None, current_app.config):
        return None
    if not current_user.is_authenticated:
        expired = g.get("session_expired", False)
        if _wants_page():
            return redirect(url_for("signin.page", next=request.full_path, expired=int(expired)))
        raise SignInRequired("会话已过期，请重新登录。" if expired else "请先登录。")
    if current_user.must_set_password and request.endpoint not in OWN_PASSWORD:
        if _wants_page():
            return redirect(url_for("signin.password"))
        raise Forbidden("请先设置您自己的密码，再使用其他功能。")
    if not rule.allows(current_user.role, current_app.config):
        raise Forbidden("您的账号无权使用此功能。")
    # Who is asking is settled here, on a connection of its own that is returned at once: a
    # view that first asked for it while holding its own connection would hold two, and eight
    # requests doing so would wait on the pool for each other.
    users.scope()
    return None
