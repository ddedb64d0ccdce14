"""A case's page (案件): what happened, where it stands, its history, and its parties.

For the people who handle cases: the governance center, and the six-level chain within their
scope. A case outside the scope is answered exactly like one that does not exist. The parties'
personal data is masked; a handler may ask to see it in full (a POST, for it is an act), and
that view is written to the audit log in the same transaction as the read that returns it.
"""

from __future__ import annotations

from flask import Blueprint

from gridmap.cases import actions, service
from gridmap.store import db
from gridmap.web import access, casepage, users

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
