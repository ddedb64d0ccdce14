"""One handler for every GridmapError: JSON for the API, a page for a browser."""

from __future__ import annotations

from flask import Flask, render_template, request

from gridmap.errors import GridmapError


def init_app(app: Flask) -> None:
    app.register_error_handler(GridmapError, _render)
    app.register_error_handler(404, _not_found)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(error: GridmapError):
    if _wants_json():
        return error.to_dict(), error.status
    return render_template("error.html", message=error.message, details=error.details), error.status


def _not_found(_error):
    if _wants_json():
        return {"error": "not_found", "message": "没有这个地址。"}, 404
    return render_template("error.html", message="没有这个页面。", details=None), 404
