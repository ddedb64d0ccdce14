"""A case's page (案件): what happened, where it stands, its history, and its parties.

For the people who handle cases: the governance center, and the six-level chain within their
scope. A case outside the scope is answered exactly like one that does not exist. The parties'
personal data is masked; a handler may ask to see it in full (a POST, for it is an act), and
that view is written to the audit log in the same transaction as the read that returns it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from gridmap.accounts import pii
from gridmap.core.errors import NotFound
from gridmap.data import audit, cases, people
from gridmap.store import db
from gridmap.web import access, users
from gridmap.web.signin import origin

bp = Blueprint("cases", __name__, url_prefix="/cases")
UNKNOWN = "没有这个案件，或它不在您的负责范围内。"


def _load(conn, incident_id: int) -> tuple[dict, list[dict]]:
    scope = users.scope()
    case = cases.one(conn, scope, incident_id, datetime.now(UTC))
    if case is None:
        raise NotFound(UNKNOWN)
    case["repeats"] = cases.repeats(conn, scope, incident_id)
    case["handovers"] = cases.handovers(conn, scope, incident_id)
    if case["handler_grid_code"]:  # handed over: who answers for it now
        codes = {
            "package_area": case["handler_package_area_code"],
            "village": case["handler_village_code"],
            "unit": case["handler_unit_code"],
            "grid": case["handler_grid_code"],
        }
        case["handlers"] = people.responsible(conn, scope.street_code, datetime.now(UTC), codes)
    return case, cases.history(conn, scope, incident_id)


@bp.get("/<int:incident_id>")
@access.requires("see_incidents")
def page(incident_id: int):
    with db.connection() as conn:
        case, events = _load(conn, incident_id)
        parties = [pii.masked(p) for p in cases.parties(conn, users.scope(), incident_id)]
    return render_template("case.html", case=case, events=events, parties=parties, full=False)


@bp.post("/<int:incident_id>/personal")
@access.requires("see_personal_data")
def personal(incident_id: int):
    with db.connection() as conn:  # one transaction: the read and its audit record
        case, events = _load(conn, incident_id)
        parties = cases.parties(conn, users.scope(), incident_id)
        if parties:
            audit.record(
                conn,
                current_app.config["STREET_CODE"],
                "view_personal",
                current_user.account,
                incident_id=incident_id,
                fields=list(pii.FIELDS),
                detail=f"{len(parties)} 名当事人",
                **origin(),
            )
    return render_template("case.html", case=case, events=events, parties=parties, full=True)
