"""Who may use each route, declared on the route itself, and enforced in one place.

Every view declares its rule with :func:`allow` (the account roles that may use it) or
:func:`public` (reachable without signing in: the sign-in page, static assets). A route
without a rule is refused to everyone (and tests/test_access.py fails), so that a new route
cannot be open by forgetting. What a permitted person then sees within a route is their
scope (gridmap.web.users.scope), passed to the data layer.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, g, redirect, request, url_for
from flask_login import current_user

from gridmap.core.errors import Forbidden, SignInRequired

ROLES = ("chain", "center", "planner", "admin", "auditor")
PUBLIC = frozenset({"*"})
# Flask's own endpoints, public by nature.
PUBLIC_ENDPOINTS = {"static"}
# What a person who must first set their own password may still reach.
OWN_PASSWORD = ("signin.password", "signin.set_password", "signin.signout")


def allow(*roles: str) -> Callable:
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown or missing roles: {sorted(unknown)}")

    def mark(view: Callable) -> Callable:
        view.access = frozenset(roles)
        return view

    return mark


def public(view: Callable) -> Callable:
    view.access = PUBLIC
    return view


class PublicIf(frozenset):
    """The roles that may use a route, which becomes public when a setting says so."""

    setting: str = ""


def public_if(setting: str, *roles: str) -> Callable:
    """Public when ``setting`` is true (off by default), else for ``roles``."""
    allow(*roles)  # the same check of the roles' names
    rule = PublicIf(roles)
    rule.setting = setting

    def mark(view: Callable) -> Callable:
        view.access = rule
        return view

    return mark


def rule_of(app: Flask, endpoint: str) -> frozenset | None:
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
    if rule is PUBLIC or (isinstance(rule, PublicIf) and current_app.config.get(rule.setting)):
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
    if current_user.role not in rule:
        raise Forbidden("您的账号无权使用此功能。")
    return None


def home_of(role: str, duties: frozenset[str] = frozenset()) -> str:
    """Where a role lands after signing in: a grid member on their phone page (我的网格), the
    rest of the chain on their area's page (我的责任区)."""
    if role == "chain" and "grid_member" in duties:
        return "field.page"
    return {
        "center": "center.page",
        "chain": "center.page",
        "planner": "planner.index",
        "admin": "admin.accounts_page",
        "auditor": "audit.page",
    }[role]
