"""A read-only Open311 GeoReport v2 view (services, requests; JSON), for interoperability.

Services are the kinds and categories of incidents; requests are incidents, with their state,
times, village and a position rounded to ``OPEN311_PRECISION`` degrees, and nothing personal:
no title, description, party or person. Public only when ``OPEN311_PUBLIC`` is set; otherwise
any signed-in account may read it. The street's whole record, by design (no scope narrower
than the street), since nothing in it is personal or precise.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, current_app, request

from gridmap.cases import public
from gridmap.core import clock, params
from gridmap.core.clock import LOCAL, iso_local
from gridmap.core.errors import BadInput, NotFound
from gridmap.store import db
from gridmap.web import access, reference

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
STATUS = {"open": "在办", "closed": "已办结"}
MAX_RESULTS = 1000


def code_of(kind: str, category: str) -> str:
    return f"{kind}.{category}" if category else kind


@bp.get("/services.json")
@access.public_if("OPEN311_PUBLIC", "read_open311")
def services():
    with db.connection() as conn:
        ref = reference.of(conn)
    out = []
    for kind, name in ref["kinds"].items():
        out.append(_service(kind, "", name, name))
        for (k, category), category_name in sorted(ref["categories"].items()):
            if k == kind:
                out.append(_service(kind, category, f"{name} · {category_name}", name))
    return out  # a JSON list, as GeoReport v2 gives it


def _service(kind: str, category: str, name: str, group: str) -> dict:
    return {
        "service_code": code_of(kind, category),
        "service_name": name,
        "description": name,
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": group,
    }


@bp.get("/requests.json")
@access.public_if("OPEN311_PUBLIC", "read_open311")
def requests_list():
    now = clock.now()
    start = params.moment(request.args, "start_date", "start_date") or now - timedelta(days=90)
    end = params.moment(request.args, "end_date", "end_date") or now
    if end <= start:
        raise BadInput("end_date 应晚于 start_date。")
    if end - start > timedelta(days=366):
        raise BadInput("start_date 与 end_date 相隔最多一年。")
    status = params.choice(request.args, "status", "status", {"": "", **STATUS}, "")
    with db.connection() as conn:
        rows = public.requests(
            conn,
            _street(),
            (start, end),
            params.single(request.args, "service_code"),
            reference.of(conn),
            status,
            _precision(),
            MAX_RESULTS,
        )
    return [_request(r) for r in rows]


@bp.get("/requests/<int:incident_id>.json")
@access.public_if("OPEN311_PUBLIC", "read_open311")
def request_one(incident_id: int):
    earliest = datetime.combine(datetime(2000, 1, 1), time(), LOCAL)
    with db.connection() as conn:
        rows = public.requests(
            conn,
            _street(),
            (earliest, clock.now() + timedelta(days=1)),
            "",
            reference.of(conn),
            precision=_precision(),
            limit=1,
            incident_id=incident_id,
        )
    if not rows:
        raise NotFound(f"没有编号为 {incident_id} 的请求。")
    return [_request(rows[0])]


def _street() -> str:
    return current_app.config["STREET_CODE"]


def _precision() -> float:
    return float(current_app.config["OPEN311_PRECISION"])


def _request(r: dict) -> dict:
    return {
        "service_request_id": str(r["id"]),
        "status": "closed" if r["closed"] else "open",
        "status_notes": r["status_name"],
        "service_name": r["kind_name"] + (f" · {r['category_name']}" if r["category_name"] else ""),
        "service_code": code_of(r["kind"], r["category"]),
        "description": None,
        "agency_responsible": None,
        "requested_datetime": iso_local(r["occurred_at"]),
        "updated_datetime": iso_local(r["updated_at"]),
        "expected_datetime": iso_local(r["due_at"]),
        "address": r["village_name"],
        "lat": round(float(r["lat"]), 6),
        "long": round(float(r["lon"]), 6),
    }
