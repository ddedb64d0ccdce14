"""A case's page (案件): what happened, where it stands, its history, and its parties; and the
search that finds one (查找案件).

For the people who handle cases: the governance center, and the six-level chain within their
scope. A case outside the scope is answered exactly like one that does not exist. The parties'
personal data is masked; a handler may ask to see it in full (a POST, for it is an act), and
that view is written to the audit log in the same transaction as the read that returns it.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, request, url_for

import layers
from gridmap.accounts import policy
from gridmap.cases import actions, service
from gridmap.cases import search as case_search
from gridmap.store import db
from gridmap.web import access, casepage, mapping, users

bp = Blueprint("cases", __name__, url_prefix="/cases")
REASON = "案件页面：办理人查看完整个人信息"


@bp.get("/<int:incident_id>")
@access.requires("see_incidents")
def page(incident_id: int):
    with db.connection() as conn:
        actor = users.actor()
        shown = service.page(conn, actor, incident_id)
        shown["actions"] = actions.panel(conn, actor, shown["case"])
    return casepage.render(shown, full=False)


@bp.post("/<int:incident_id>/personal")
@access.requires("see_personal_data")
def personal(incident_id: int):
    with db.connection() as conn:  # one transaction: the read and its audit record
        actor = users.actor()
        shown = service.personal(conn, actor, incident_id, REASON, users.origin())
        shown["actions"] = actions.panel(conn, actor, shown["case"])
    return casepage.render(shown, full=True)


@bp.get("/search")
@access.requires("see_incidents")
def search():
    """The header's search box: the list of the cases found and the same cases on a map."""
    asked = case_search.parse(request.args)
    actor = users.actor()
    with db.connection() as conn:
        found = case_search.find(conn, actor, asked)
    # One address built, the rest by its pattern: url_for per row was a third of the page.
    prefix = url_for("cases.page", incident_id=0).removesuffix("0")
    for r in found["rows"]:
        r["url"] = f"{prefix}{r['id']}"
    items = [layers.REGISTRY["search_results"].item(r, r["url"]) for r in found["rows"]]
    return render_template(
        "search.html",
        asked=asked,
        found=found,
        map=_map(items),
        search_q=asked.text,
        scope_label=actor.scope.label or "您的负责范围",
    )


def _map(items: list[dict]) -> dict | None:
    """The cases found on a map fitted to them (none when nothing was found)."""
    if not items:
        return None
    lats, lons = [i["lat"] for i in items], [i["lon"] for i in items]
    pad = 0.003  # about 300 m, so that one case is shown with its surroundings
    bounds = [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]
    m = mapping.new_map(current_app.config, bounds)
    for element in layers.REGISTRY["search_results"].build(items):
        m.add_child(element)
    return mapping.components(m, control=False)


@bp.app_context_processor
def _search_box() -> dict:
    """Whether the page header offers the search box: to everyone who handles cases (the
    center and the chain), read from the signed-in user already loaded for the request, so an
    error page renders without asking the database again."""
    user = g.get("_login_user")
    shown = (
        user is not None
        and user.is_authenticated
        and not user.must_set_password
        and policy.allows(user.role, "see_incidents")
    )
    return {"search_box": shown}
