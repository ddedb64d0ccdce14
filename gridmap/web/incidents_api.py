"""The JSON API for reports from the field: preview and store a pin, read a case, move it,
add notes and photos.

Signed in, with the same scope and rules as the pages; every error is JSON with a Chinese
message; every POST carries the session's CSRF token (header X-CSRFToken). A repeated
submission (the same client id) is answered with the stored answer and the header
``Idempotent-Replayed: true``. Times are Beijing time (gridmap.web.jsonout).
"""

from __future__ import annotations

from flask import Blueprint, current_app, request, send_file, url_for

from gridmap.cases import query, service, supervision, todo
from gridmap.core import clock, params
from gridmap.core.errors import BadInput
from gridmap.intake import pins
from gridmap.store import db
from gridmap.web import access, reference, users

bp = Blueprint("incidents_api", __name__, url_prefix="/api/incidents")
PHOTO_FIELDS = ("id", "content_type", "width", "height", "at")


def _body() -> dict:
    return params.json_object(request.get_json(silent=True))


def _placement():
    return current_app.extensions["gridmap.placement"]


@bp.post("/preview")
@access.requires("report")
def preview():
    """Where a pin would land, who answers for it, and similar incidents nearby; stores nothing."""
    now = clock.now()
    with db.connection() as conn:
        pin = pins.read(_body(), reference.of(conn), current_app.config, now)
        return pins.preview(conn, _placement(), users.scope(), pin, current_app.config, now)


@bp.post("")
@access.requires("report")
def create():
    with db.connection() as conn:
        status, answer, replayed = pins.submit(
            conn,
            _placement(),
            users.actor(),
            _body(),
            reference.of(conn),
            current_app.config,
            clock.now(),
        )
    return answer, status, {"Idempotent-Replayed": "true" if replayed else "false"}


@bp.get("")
@access.requires("see_incidents")
def list_incidents():
    """The scope's incidents as data, one keyset page at a time: ``state`` (open, closed, all),
    ``kind``, ``category``, ``grid``, ``light``, ``from``/``to`` (days of occurrence),
    ``bbox``, ``sort`` (urgency, newest), ``limit`` (≤ 200) and ``after`` (the ``next`` of the
    page before)."""
    with db.connection() as conn:
        q = query.parse(request.args, reference.of(conn))
        rows, more = service.listing_page(conn, users.actor(), q)
    following = None
    if more:
        args = request.args.to_dict(flat=False)
        args["after"] = [q.cursor_of(rows[-1])]
        following = url_for("incidents_api.list_incidents", **args)
    return {"items": rows, "next": following}


@bp.get("/<int:incident_id>")
@access.requires("see_incidents")
def read(incident_id: int):
    """A case as data: its state, light and deadline, history and parties (masked)."""
    with db.connection() as conn:
        found = service.file(conn, users.actor(), incident_id)
    return {
        **found,
        "photos": [
            {
                **{k: p[k] for k in PHOTO_FIELDS},
                "url": url_for("incidents_api.photo", incident_id=incident_id, photo_id=p["id"]),
            }
            for p in found["photos"]
        ],
        "parties": [
            {k: p[k] for k in ("role", "name", "id_number", "phone")} for p in found["parties"]
        ],
    }


@bp.post("/<int:incident_id>/transition")
@access.requires("move_case")
def transition(incident_id: int):
    """``{"to": "resolved", "reason": "…", "expected": "found"}``: one step of the workflow,
    if the person's duties allow it."""
    body = _body()
    to_status = params.text(body, "to", "要转到的状态 to", 40, required=True)
    reason = params.text(body, "reason", "理由", 2000)
    expected = params.text(body, "expected", "当前状态 expected", 40) or None
    with db.connection() as conn:
        return service.move(
            conn, users.actor(), incident_id, to_status, reason=reason, expected=expected
        )


@bp.post("/<int:incident_id>/notes")
@access.requires("follow_up")
def add_note(incident_id: int):
    """``{"body": "…"}``: a follow-up note on the case."""
    text = params.text(_body(), "body", "跟进内容 body", 2000, required=True)
    with db.connection() as conn:
        note = service.add_note(conn, users.actor(), incident_id, text)
    return {"id": note["id"], "at": note["at"]}, 201


@bp.post("/<int:incident_id>/photos")
@access.requires("follow_up")
def add_photo(incident_id: int):
    """A photo (multipart field ``photo``), judged by its content, stored under a name the
    server chooses."""
    upload = request.files.get("photo")
    if upload is None:
        raise BadInput("请以表单字段 photo 上传照片。")
    try:
        data = upload.read()
    finally:
        upload.close()
    with db.connection() as conn:
        stored = service.add_photo(conn, users.actor(), incident_id, data, current_app.config)
    url = url_for("incidents_api.photo", incident_id=incident_id, photo_id=stored["id"])
    return {**stored, "url": url}, 201


@bp.get("/<int:incident_id>/photos/<int:photo_id>")
@access.requires("see_incidents")
def photo(incident_id: int, photo_id: int):
    with db.connection() as conn:
        path, mimetype = service.photo_file(
            conn, users.actor(), incident_id, photo_id, current_app.config
        )
    response = send_file(path, mimetype=mimetype, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/todo")
@access.requires("see_incidents")
def todo_lists():
    """待办 as data: ``sections``, each ``key``, ``label``, ``count`` and its ``items`` (a case, or
    a supervision with the case it is of)."""
    with db.connection() as conn:
        return {"sections": todo.of(conn, users.actor())}


@bp.get("/todo/count")
@access.requires("see_incidents")
def todo_count():
    with db.connection() as conn:
        return {"count": todo.count(conn, users.actor())}


@bp.post("/<int:incident_id>/supervisions/<int:supervision_id>/answer")
@access.requires("move_case")
def answer_supervision(incident_id: int, supervision_id: int):
    """``{"answer": "…"}``: the handler's answer to a 督办 / 催办 of the case."""
    text = params.text(_body(), "answer", "答复", 1000, required=True)
    with db.connection() as conn:
        return supervision.answer(conn, users.actor(), incident_id, supervision_id, text)
