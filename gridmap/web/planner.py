"""规划: the planner's pages. Plans (网格调整方案), a village's editor, earlier divisions.

A planner opens or starts a plan, edits it village by village (the editor: units coloured by
grid, painted from one grid to another, cut or redrawn, checked on every change by the JSON
API, gridmap.web.planner_api), reads its difference from the division in force, and publishes
it with an effective date, or cancels it while it is still to come. Every action runs through
the same core as the ``gridmap plans`` commands (gridmap.planner.plans, gridmap.planner.release).
"""

from __future__ import annotations

import shapely
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

import layers
from gridmap.core import clock, params
from gridmap.core.errors import BadInput, GridmapError
from gridmap.planner import io as plan_io
from gridmap.planner import pages, plans
from gridmap.planner import release as plan_release
from gridmap.store import db
from gridmap.web import access, mapping, users

bp = Blueprint("planner", __name__, url_prefix="/planner")
DONE = {
    "created": "方案已创建。",
    "published": "方案已发布并已生效；在办案件已移交给现负责的网格。",
    "scheduled": "方案已排期，将于生效日 0 时起生效；生效前可以取消。",
    "cancelled": "已排期的方案已取消，原划分继续有效。",
    "duplicated": "已复制为新方案。",
    "imported": "文件已导入为该村的新版本。",
}


@bp.get("/")
@access.requires("see_plans")
def index():
    with db.connection() as conn:
        shown = pages.index(conn, users.actor())
    return render_template(
        "planner_index.html",
        **shown,
        now=clock.now(),
        done=DONE.get(request.args.get("done", "")),
    )


@bp.post("/plans")
@access.requires("edit_plan")
def create():
    with db.connection() as conn:
        plan_id = plans.create(
            conn,
            users.actor(),
            params.text(request.form, "name", "方案名称", 100),
            params.text(request.form, "note", "说明", 2000),
        )
    return redirect(url_for("planner.plan_page", plan_id=plan_id, done="created"))


@bp.get("/plans/<int:plan_id>")
@access.requires("see_plans")
def plan_page(plan_id: int, error: str | None = None, details=None, status: int = 200):
    now = clock.now()
    with db.connection() as conn:
        shown = pages.plan(conn, users.actor(), plan_id)
    page = render_template(
        "planner_plan.html",
        **shown,
        now=now,
        today=now.astimezone(clock.LOCAL).date().isoformat(),
        error=error,
        details=[d for d in details if isinstance(d, str)] if isinstance(details, list) else [],
        done=DONE.get(request.args.get("done", "")),
        names={v["code"]: v["name"] for v in shown["villages"]},
    )
    return page, status


def _act(plan_id: int, action) -> Response:
    """Run a plan action; on a refusal show the plan page with the reason, nothing changed."""
    try:
        with db.connection() as conn:
            done = action(conn)
    except GridmapError as exc:
        return plan_page(plan_id, error=exc.message, details=exc.details, status=exc.status)
    target = done[1] if isinstance(done, tuple) else plan_id
    word = done[0] if isinstance(done, tuple) else done
    return redirect(url_for("planner.plan_page", plan_id=target, done=word))


@bp.get("/plans/<int:plan_id>/<any(publish, cancel, duplicate, import):step>")
@bp.get("/plans/<int:plan_id>/villages/<village>/import", defaults={"step": "import"})
@access.requires("see_plans")
def action_address(plan_id: int, step: str, village: str = ""):
    """An action's address opened or reloaded: back to the plan (actions are forms)."""
    return redirect(url_for("planner.plan_page", plan_id=plan_id))


@bp.post("/plans/<int:plan_id>/publish")
@access.requires("publish_plan")
def publish(plan_id: int):
    def run(conn):
        day = params.day(request.form, "effective", "生效日期")  # empty: now
        rules = plans.rules(current_app.config)
        done = plan_release.publish(conn, users.actor(), plan_id, day, rules)
        return "scheduled" if done["scheduled"] else "published"

    return _act(plan_id, run)


@bp.post("/plans/<int:plan_id>/cancel")
@access.requires("publish_plan")
def cancel(plan_id: int):
    def run(conn):
        plan_release.cancel(conn, users.actor(), plan_id)
        return "cancelled"

    return _act(plan_id, run)


@bp.post("/plans/<int:plan_id>/duplicate")
@access.requires("edit_plan")
def duplicate(plan_id: int):
    def run(conn):
        name = params.text(request.form, "name", "新方案名称", 100)
        return "duplicated", plan_release.duplicate(conn, users.actor(), plan_id, name)

    return _act(plan_id, run)


@bp.post("/plans/<int:plan_id>/import")
@access.requires("edit_plan")
def import_any(plan_id: int):
    """Import a file for the village chosen on the form (one the plan has not changed yet)."""
    return import_file(plan_id, request.form.get("village", ""))


@bp.post("/plans/<int:plan_id>/villages/<village>/import")
@access.requires("edit_plan")
def import_file(plan_id: int, village: str):
    def run(conn):
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadInput("请选择要导入的文件")
        rules = plans.rules(current_app.config)
        plan_io.import_file(
            conn, users.actor(), plan_id, village, upload.read(), upload.filename, rules
        )
        return "imported"

    return _act(plan_id, run)


@bp.get("/plans/<int:plan_id>/villages/<village>/export")
@access.requires("see_plans")
def export(plan_id: int, village: str):
    with db.connection() as conn:
        data, mimetype, filename = plan_io.export(
            conn, users.scope(), plan_id, village, request.args.get("format", "csv")
        )
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/plans/<int:plan_id>/villages/<village>")
@access.requires("see_plans")
def editor(plan_id: int, village: str):
    """The village's editor; its script reads the draft from the JSON API."""
    with db.connection() as conn:
        shown = pages.village(conn, users.actor(), plan_id, village)
    street, plan, found = shown["street"], shown["plan"], shown["village"]
    edge = shapely.from_wkb(bytes(found["wkb"]))
    west, south, east, north = edge.bounds
    m = mapping.new_map(current_app.config, [[south, west], [north, east]])
    setup = {
        "plan": plan_id,
        "village": village,
        "editable": plan["status"] == "draft",
        "api": url_for("planner_api.village_draft", plan_id=plan_id, village=village),
    }
    return render_template(
        "planner_editor.html",
        street=street,
        plan=plan,
        village=found,
        scheduled=shown["scheduled"],
        setup=setup,
        map=mapping.components(m, control=False),
    )


@bp.get("/divisions")
@access.requires("see_plans")
def compare():
    """Two divisions side by side (an earlier one and the one in force, by default)."""
    with db.connection() as conn:
        shown = pages.two_divisions(
            conn, users.actor(), request.args.get("left"), request.args.get("right")
        )
    chosen, rows = shown["chosen"], shown["grids"]
    changed = _changed(*rows)
    maps = [_division_map(d, r, c) for d, r, c in zip(chosen, rows, changed, strict=True)]
    return render_template(
        "planner_divisions.html",
        street=shown["street"],
        divisions=shown["divisions"],
        left=shown["left"],
        right=shown["right"],
        maps=maps,
    )


def _changed(left: list[dict], right: list[dict]) -> tuple[dict, dict]:
    """For each side, its grids that differ from the other side, and how."""
    old = {r["code"]: shapely.from_geojson(r["geojson"]) for r in left}
    new = {r["code"]: shapely.from_geojson(r["geojson"]) for r in right}
    moved = {c for c in old.keys() & new.keys() if not shapely.equals(old[c], new[c])}
    return (
        {c: "边界调整" if c in moved else "此后撤销" for c in old if c in moved or c not in new},
        {c: "边界调整" if c in moved else "新建" for c in new if c in moved or c not in old},
    )


def _division_map(division: dict, rows: list[dict], changed: dict) -> dict:
    colours = {
        code: layers.common.PALETTE[i % len(layers.common.PALETTE)]
        for i, code in enumerate(sorted({r["package_area_code"] for r in rows}))
    }
    west, south, east, north = shapely.total_bounds(
        [shapely.from_geojson(r["geojson"]) for r in rows]
    )
    m = mapping.new_map(current_app.config, [[south, west], [north, east]])
    layers.REGISTRY["grids"].build(rows, colours).add_to(m)
    layers.REGISTRY["changed_grids"].build(rows, changed).add_to(m)
    return {
        "division": division,
        "map": mapping.components(m),
        "grids": len(rows),
        "changed": len(changed),
    }
