"""Print and export the center's view: ``/center/export.pdf``, ``.png``, ``.xlsx`` and
``.csv``, each taking the query string of ``/center/`` and answering for the signed-in
person's scope, as the page does (gridmap.center.export). Bad filters are refused in Chinese
(400) like the page's; nothing is cached on the way (the files hold cases).
"""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import Blueprint, Response, current_app, request, send_file

from gridmap.center import export, sheets
from gridmap.core import params
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("exports", __name__, url_prefix="/center")

TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@bp.get("/export.pdf")
@access.requires("see_incidents")
def pdf():
    from gridmap.center import printout  # matplotlib is loaded by the first printout only

    v = _view()
    return _file(printout.pdf(v), v, "pdf")


@bp.get("/export.png")
@access.requires("see_incidents")
def png():
    from gridmap.center import printout

    v = _view()
    return _file(printout.png(v), v, "png")


@bp.get("/export.xlsx")
@access.requires("see_incidents")
def xlsx():
    v = _view()
    return _file(sheets.xlsx(v), v, "xlsx")


@bp.get("/export.csv")
@access.requires("see_incidents")
def csv():
    """One table per file (``table=incidents``, the default, or ``hotspots``), streamed."""
    table = params.choice(request.args, "table", "表格 table", sheets.TABLES, "incidents")
    v = _view()
    answer = Response(sheets.csv_chunks(v, table), mimetype="text/csv")
    answer.headers["Content-Type"] = TYPES["csv"]
    answer.headers["Content-Disposition"] = _disposition(v, "csv", table)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _view() -> export.View:
    with db.connection() as conn:
        return export.view(
            conn, current_app.extensions["gridmap.analyst"], users.actor(), request.args
        )


def _file(data: bytes, v: export.View, ext: str):
    answer = send_file(io.BytesIO(data), mimetype=TYPES[ext], max_age=0)
    answer.headers["Content-Disposition"] = _disposition(v, ext)
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _disposition(v: export.View, ext: str, table: str = "") -> str:
    """A file name with the period (ASCII for old browsers, Chinese for the others). A PDF or
    a PNG opens in the browser, to be printed from there; tables are downloaded."""
    span = f"{v.filters.date_from:%Y%m%d}-{v.filters.date_to:%Y%m%d}"
    plain = f"gridmap-{table + '-' if table else ''}{span}.{ext}"
    words = f"{v.street['name']}{sheets.TABLES.get(table, '事件与热点')}_{span}.{ext}"
    how = "inline" if ext in ("pdf", "png") else "attachment"
    return f"{how}; filename=\"{plain}\"; filename*=UTF-8''{quote(words)}"
