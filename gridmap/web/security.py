"""Production safety: refuse to start unsafely, and send security headers with every answer.

Content-Security-Policy: scripts, styles, fonts and data come from gridmap itself only; images
also from the configured tile server. Folium writes each map as inline scripts and styles, so
'unsafe-inline' stays for script-src and style-src (no 'unsafe-eval', no other origin); user
text never reaches those scripts except as escaped data (layers/common.py), which is what keeps
inline scripts safe here. Frames: none (frame-ancestors 'none' and X-Frame-Options DENY).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from gridmap.core import config as settings
from gridmap.core.errors import ConfigError

TIANDITU_HOSTS = "http://*.tianditu.gov.cn https://*.tianditu.gov.cn"


def check_production(config: dict, admin_password_changed: bool) -> None:
    """Outside demo mode, refuse the default key and an administrator who never set a password."""
    if config.get("DEMO"):
        return
    problems = []
    key = str(config.get("SECRET_KEY") or "")
    if key == settings.DEFAULT_SECRET_KEY or len(key) < 32:
        problems.append(
            "会话密钥 GRIDMAP_SECRET_KEY 仍为默认值或太短（至少 32 个字符），"
            "请设置一个随机的长字符串"
        )
    if not admin_password_changed:
        problems.append(
            "系统管理员 admin 尚未设置自己的密码：请运行 gridmap accounts admin，"
            "用给出的一次性密码登录并设置新密码"
        )
    if problems:
        raise ConfigError("拒绝启动（非示意模式）：" + "；".join(problems) + "。")


def init_app(app: Flask) -> None:
    policy = content_security_policy(app.config)

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(self)")
        if request.is_secure:  # over HTTPS, browsers keep to it from then on
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if response.mimetype == "text/html" or response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def content_security_policy(config: dict) -> str:
    tiles = tile_origins(config)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {tiles}".strip(),
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def tile_origins(config: dict) -> str:
    source = (config.get("TILES") or "none").strip()
    if source == "none":
        return ""
    if source == "tianditu":
        return TIANDITU_HOSTS
    parts = urlsplit(source.replace("{s}", "a"))
    host = parts.netloc
    if "{s}" in source:  # subdomains a, b, c…: allow the parent's subdomains
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}" if parts.scheme and host else ""
