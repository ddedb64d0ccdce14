"""The command screen (指挥大屏, ``/center/board``): for the governance center and the chain,
within their scope. ``?wall=1`` lays it out for a 1920 × 1080 wall screen that reloads itself
every minute."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gridmap.center import board
from gridmap.store import db
from gridmap.web import access, users

bp = Blueprint("board", __name__, url_prefix="/center")
REFRESH_SECONDS = 60


@bp.get("/board")
@access.requires("see_incidents")
def page():
    with db.connection() as conn:
        shown = board.screen(conn, users.actor())
    wall = request.args.get("wall") == "1"
    return render_template(
        "board.html", **shown, wall=wall, refresh=REFRESH_SECONDS if wall else None
    )
