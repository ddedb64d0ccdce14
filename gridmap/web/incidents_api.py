"""The JSON API for reports from the field: preview and store a pin, read a case, move it,
add notes and photos.

Signed in, with the same scope and rules as the pages; every error is JSON with a Chinese
message; every POST carries the session's CSRF token (header X-CSRFToken). A repeated
submission (the same client id) is answered with the stored answer and the header
``Idempotent-Replayed: true``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, request, send_file, url_for
from flask_login import current_user

from gridmap.accounts import pii
from gridmap.cases import query as incident_query
from gridmap.core.clock import iso_local
from gridmap.core.errors import BadInput, Forbidden, NotFound
from gridmap.data import cases, listing, workflow
from gridmap.intake import photos, pins
from gridmap.store import db
from gridmap.web import access, reference, users

bp = Blueprint("incidents_api", __name__, url_prefix="/api/incidents")
UNKNOWN = "没有这个事件，或它不在您的负责范围内。"


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadInput("请求体应为 JSON 对象（Content-Type: application/json）。")
    return body


@bp.post("/preview")
@access.requires("report")
def preview():
    """Where a pin would land, who answers for it, and similar incidents nearby; stores nothing."""
    now = datetime.now(UTC)
    with db.connection() as conn:
        pin = pins.read(_body(), reference.of(conn), current_app.config, now)
        return pins.preview(
            conn,
            current_app.extensions["gridmap.placement"],
            users.scope(),
            pin,
            current_app.config,
            now,
        )


@bp.post("")
@access.requires("report")
def create():
    now = datetime.now(UTC)
    with db.connection() as conn:
        status, answer, replayed = pins.submit(
            conn,
            current_app.extensions["gridmap.placement"],
            current_user.account,
            users.scope(),
            _body(),
            reference.of(conn),
            current_app.config,
            now,
        )
    return answer, status, {"Idempotent-Replayed": "true" if replayed else "false"}


@bp.get("")
@access.requires("see_incidents")
def list_incidents():
    """The scope's incidents as data, one keyset page at a time: ``state`` (open, closed, all),
    ``kind``, ``category``, ``grid``, ``light``, ``from``/``to`` (days of occurrence),
    ``bbox``, ``sort`` (urgency, newest), ``limit`` (≤ 200) and ``after`` (the ``next`` of the
    page before)."""
    scope = users.scope()
    with db.connection() as conn:
        q = incident_query.parse(request.args, reference.of(conn))
        rows, more = listing.page(conn, scope, q, datetime.now(UTC))
    following = None
    if more:
        args = request.args.to_dict(flat=False)
        args["after"] = [q.cursor_of(rows[-1])]
        following = url_for("incidents_api.list_incidents", **args)
    return {
        "items": [_plain(r) for r in rows],
        "next": following,
    }


@bp.get("/<int:incident_id>")
@access.requires("see_incidents")
def read(incident_id: int):
    """A case as data: its state, light and deadline, history and parties (masked)."""
    scope = users.scope()
    with db.connection() as conn:
        case = cases.one(conn, scope, incident_id, datetime.now(UTC))
        if case is None:
            raise NotFound(UNKNOWN)
        events = cases.history(conn, scope, incident_id)
        parties = [pii.masked(p) for p in cases.parties(conn, scope, incident_id)]
        moves = _moves(conn, case, scope)
        more = cases.follow_up(conn, scope, incident_id)
    return {
        "case": _plain(case),
        "history": [_plain(e) for e in events],
        "notes": [_plain(n) for n in more["notes"]],
        "photos": [
            {
                **_plain({k: p[k] for k in ("id", "content_type", "width", "height", "at")}),
                "url": f"/api/incidents/{incident_id}/photos/{p['id']}",
            }
            for p in more["photos"]
        ],
        "parties": [{k: p[k] for k in ("role", "name", "id_number", "phone")} for p in parties],
        "moves": moves,
    }


@bp.post("/<int:incident_id>/transition")
@access.requires("move_case")
def transition(incident_id: int):
    """``{"to": "resolved", "reason": "…", "expected": "found"}``: one step of the workflow,
    if the person's duties allow it."""
    body = _body()
    to_status = body.get("to")
    if not isinstance(to_status, str) or not to_status:
        raise BadInput("请说明要转到的状态 to。")
    reason = body.get("reason") or ""
    if not isinstance(reason, str) or len(reason) > 2000:
        raise BadInput("理由应为不超过 2000 字的文字。")
    expected = body.get("expected")
    scope = users.scope()
    with db.connection() as conn:
        case = cases.one(conn, scope, incident_id, datetime.now(UTC))
        if case is None:
            raise NotFound(UNKNOWN)
        allowed = {m["to_status"]: m for m in _moves(conn, case, scope, all_roles=True)}
        move = allowed.get(to_status)
        if move is None:
            raise BadInput(f"「{case['status_name']}」的案件不能转为「{to_status}」。")
        if not move["mine"]:
            raise Forbidden(f"您的职务不能办理「{move['action']}」。")
        event = workflow.transition(
            conn,
            scope.street_code,
            incident_id,
            to_status,
            by_person=current_user.account["person_id"],
            reason=reason.strip(),
            expected=expected if isinstance(expected, str) else None,
        )
        fresh = cases.one(conn, scope, incident_id, datetime.now(UTC))
    return {"event": _plain(event), "case": _plain(fresh)}


@bp.post("/<int:incident_id>/notes")
@access.requires("follow_up")
def add_note(incident_id: int):
    """``{"body": "…"}``: a follow-up note on the case."""
    text = _body().get("body")
    if not isinstance(text, str) or not text.strip():
        raise BadInput("请填写跟进内容 body。")
    if len(text) > 2000 or "\x00" in text:
        raise BadInput("跟进内容应为不超过 2000 字的文字。")
    scope = users.scope()
    with db.connection() as conn:
        _case(conn, scope, incident_id)
        note = cases.add_note(
            conn, scope.street_code, incident_id, text.strip(), current_user.account["person_id"]
        )
    return {"id": note["id"], "at": iso_local(note["at"])}, 201


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
    checked = photos.check(data, int(current_app.config["PHOTO_MAX_BYTES"]))
    scope = users.scope()
    with db.connection() as conn:
        _case(conn, scope, incident_id)
        name = photos.store(current_app.config["INSTANCE_DIR"], scope.street_code, checked)
        row = cases.add_photo(
            conn,
            scope.street_code,
            incident_id,
            name,
            checked,
            current_user.account["person_id"],
        )
    return {
        "id": row["id"],
        "width": checked.width,
        "height": checked.height,
        "content_type": checked.content_type,
        "url": f"/api/incidents/{incident_id}/photos/{row['id']}",
    }, 201


@bp.get("/<int:incident_id>/photos/<int:photo_id>")
@access.requires("see_incidents")
def photo(incident_id: int, photo_id: int):
    scope = users.scope()
    with db.connection() as conn:
        found = [
            p for p in cases.follow_up(conn, scope, incident_id)["photos"] if p["id"] == photo_id
        ]
    if not found:
        raise NotFound("没有这张照片，或它所属的案件不在您的负责范围内。")
    path = photos.path_of(current_app.config["INSTANCE_DIR"], scope.street_code, found[0]["file"])
    response = send_file(path, mimetype=found[0]["content_type"], max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _case(conn, scope, incident_id: int) -> dict:
    case = cases.one(conn, scope, incident_id, datetime.now(UTC))
    if case is None:
        raise NotFound(UNKNOWN)
    return case


def _moves(conn, case: dict, scope, all_roles: bool = False) -> list[dict]:
    """The moves the workflow allows from the case's state, marked with whether this person's
    duties may make them."""
    out = []
    for t in workflow.transitions(conn):
        if t["kind"] != case["kind"] or t["from_status"] != case["status"]:
            continue
        mine = bool(set(t["roles"]) & set(scope.duties))
        if mine or all_roles:
            out.append(
                {
                    "to_status": t["to_status"],
                    "to_name": t["to_name"],
                    "action": t["action"],
                    "reason_required": t["reason_required"],
                    "mine": mine,
                }
            )
    return out


def _plain(row: dict) -> dict:
    """A row as JSON: times in Beijing time, as every answer of the API gives them."""
    return {k: (iso_local(v) if isinstance(v, datetime) else v) for k, v in row.items()}
