"""A report from the field (上报): a pin dropped by a grid member, read, placed and stored once.

The phone sends a JSON submission with an id it generated. The server converts the position to
WGS84, places it by the one attribution path (gridmap.geo.placement: the grid, village and package
area it falls in, even outside the member's own grids: it is routed there, with a notice),
stores it with one INSERT that the database checks as it checks a ledger's rows (a pin is one
row: the bulk loader's frames and COPY cost 90 ms of a pin's 105, measured), and answers with
where it landed, who answers for it at each level and its deadline. That answer is kept
(migration 0017): a repeat of the same id gets it again, a repeat with other content is a
conflict, and nothing is created twice. Before storing, the phone may ask for a preview that
warns of a similar incident reported nearby recently.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
import psycopg

from gridmap.accounts import pii, policy
from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.core import coords, params, timewindow
from gridmap.core.clock import iso_local
from gridmap.core.errors import BadInput, Conflict
from gridmap.data import cases, receipts
from gridmap.data import incidents as incident_data
from gridmap.geo.locate import locate, locate_with_snapshot
from gridmap.geo.placement import Placement

SOURCE = "网格员上报"
PARTY_ROLES = ("当事人", "信访人", "被申请人")
MAX_PARTIES = 20
POSITIONS = {"device": "设备定位", "manual": "手动落点"}


@dataclass(frozen=True)
class Pin:
    client_id: str
    kind: str
    category: str
    title: str
    description: str
    lon: float  # WGS84
    lat: float
    occurred_at: datetime
    parties: tuple[dict, ...]


def digest(body: dict) -> str:
    """The submission's fingerprint: its JSON with sorted keys, hashed. A lone surrogate (which
    :func:`read` then refuses in words) is hashed as it came, not raised as an error here."""
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def client_id_of(body: dict) -> str:
    value = body.get("client_id")
    try:
        return str(uuid.UUID(str(value)))
    except (ValueError, TypeError, AttributeError):
        raise BadInput(
            "client_id 应为手机生成的 UUID（例如 3f2b…-…），用于识别重复提交。"
        ) from None


def read(body: dict, ref: dict, settings: dict, now: datetime) -> Pin:
    """The submission as a Pin, or a BadInput saying, in Chinese, what is wrong."""
    if not isinstance(body, dict):
        raise BadInput("提交内容应为 JSON 对象。")
    kind = params.text(body, "kind", "事件类型", 40, required=True)
    if kind not in ref["kinds"]:
        raise BadInput(f"未知的事件类型：{kind}")
    category = params.text(body, "category", "事件分类", 40)
    if category and (kind, category) not in ref["categories"]:
        raise BadInput(f"事件类型「{ref['kinds'][kind]}」没有分类「{category}」")
    crs = body.get("crs")
    if crs is None:
        raise BadInput(
            "请说明坐标系 crs：wgs84（浏览器定位）、gcj02（高德、腾讯、微信）或 bd09（百度）。"
        )
    if not isinstance(crs, str) or crs not in coords.SYSTEMS:
        raise BadInput(f"未知的坐标系 {crs!r}：应为 " + "、".join(coords.SYSTEMS))
    lon, lat = (params.measure(body, k, label) for k, label in (("lon", "经度"), ("lat", "纬度")))
    coords.parse_lonlat(lon, lat)  # range
    position = body.get("position", "manual")
    if not isinstance(position, str) or position not in POSITIONS:
        raise BadInput("position 应为 device（设备定位）或 manual（手动落点）。")
    if position == "device":
        accuracy = params.measure(body, "accuracy", "定位精度（米）")
        limit = float(settings["PIN_MAX_ACCURACY_M"])
        if not 0 <= accuracy <= limit:
            raise BadInput(
                f"定位精度为 {accuracy:.0f} 米，超过允许的 {limit:.0f} 米：请在地图上手动落点。"
            )
    x, y = coords.to_wgs84([lon], [lat], crs)
    when = body.get("occurred_at")
    occurred = timewindow.parse_moment(str(when), "发生时间") if when else now
    if not timewindow.EARLIEST <= occurred <= timewindow.latest_recorded(now):
        raise BadInput(f"发生时间应在 {timewindow.recorded_range(now)} 之间。")
    return Pin(
        client_id_of(body),
        kind,
        category,
        params.text(body, "title", "标题", 200),
        params.text(body, "description", "情况描述", 5000),
        float(x[0]),
        float(y[0]),
        occurred,
        _parties(body.get("parties") or []),
    )


def preview(
    conn: psycopg.Connection,
    placement: Placement,
    scope: Scope,
    pin: Pin,
    settings: dict,
    now: datetime,
) -> dict:
    """Where the pin would land and who answers for it, with a warning of similar incidents
    reported nearby recently (in the person's scope); nothing is stored."""
    where = locate(conn, placement, scope.street_code, pin.lon, pin.lat, pin.occurred_at)
    similar = cases.similar_nearby(
        conn,
        scope,
        pin.kind,
        pin.category,
        pin.lon,
        pin.lat,
        now - timedelta(days=int(settings["DUPLICATE_DAYS"])),
        float(settings["DUPLICATE_RADIUS_M"]),
    )
    return {
        "placement": _placement(where),
        "people": _phones(where["people"]),
        "notice": _notice(scope, where),
        "similar": [
            {
                "id": s["id"],
                "title": s["title"],
                "occurred_at": iso_local(s["occurred_at"]),
                "distance_m": round(float(s["distance_m"])),
                "status_name": s["status_name"],
            }
            for s in similar
        ],
    }


def submit(
    conn: psycopg.Connection,
    placement: Placement,
    actor: Actor,
    body: dict,
    ref: dict,
    settings: dict,
    now: datetime,
) -> tuple[int, dict, bool]:
    """Store the pin once, as the actor's report; returns (status, answer, replayed)."""
    policy.require(actor, "report")
    scope, street = actor.scope, actor.street_code
    client_id = client_id_of(body if isinstance(body, dict) else {})
    fingerprint = digest(body)
    receipts.lock(conn, street, client_id)
    kept = receipts.get(conn, street, client_id)
    account_id = actor.account["id"] if actor.account else None
    if kept is not None and kept["account_id"] != account_id:
        # A receipt answers only the account that made it: another member replaying the same
        # id and body learns nothing of the first report (its place, its people).
        raise Conflict(
            "这个编号（client_id）已被另一个账号的上报使用：未保存。请重新生成编号后再提交。"
        )
    if kept is not None:
        if kept["digest"] != fingerprint:
            raise Conflict(
                "这个编号（client_id）的上报已经保存过，但这次的内容不同：未重复保存。"
                "如是新的事件，请重新生成编号后再提交。",
                details={"id": kept["body"].get("id")},
            )
        return kept["status"], kept["body"], True
    pin = read(body, ref, settings, now)
    where, snap = locate_with_snapshot(conn, placement, street, pin.lon, pin.lat, pin.occurred_at)
    status = next(c for (k, c), r in ref["statuses"].items() if k == pin.kind and r["initial"])
    stored = incident_data.insert_one(
        conn,
        street,
        {
            **snap,
            "client_id": pin.client_id,
            "kind": pin.kind,
            "category": pin.category,
            "status": status,
            "title": pin.title,
            "description": pin.description,
            "lon": pin.lon,
            "lat": pin.lat,
            "occurred_at": pin.occurred_at,
            "reported_at": max(now, pin.occurred_at),
            "reported_by": actor.person_id,
            "source": SOURCE,
        },
    )
    if stored is None:
        raise Conflict("这个编号（client_id）已被另一条记录使用：未重复保存。")
    incident_id = int(stored["id"])
    if pin.parties:
        incident_data.add_parties(
            conn,
            street,
            pd.DataFrame([{**p, "incident_id": incident_id} for p in pin.parties]),
            pii.key_of(settings),
        )
    answer = {
        "id": incident_id,
        "client_id": pin.client_id,
        "kind": ref["kinds"][pin.kind],
        "status": ref["statuses"][(pin.kind, status)]["name"],
        "placement": _placement(where),
        "people": _phones(where["people"]),
        "deadline": {
            "due_at": iso_local(stored["due_at"]),
            "light": stored["light"],
            "days_left": stored["days_left"],
        },
        "notice": _notice(scope, where),
    }
    receipts.put(conn, street, pin.client_id, fingerprint, account_id, 201, answer)
    return 201, answer, False


def _placement(where: dict) -> dict:
    return {k: where[k] for k in ("package_area", "village", "grid", "unit", "division")}


def _phones(chain: list[dict]) -> list[dict]:
    """Who answers for the place, each with a phone to call (their work contact)."""
    return [{k: p[k] for k in ("role_name", "name", "title", "phone")} for p in chain]


def _notice(scope: Scope, where: dict) -> str:
    grid = where["grid"]
    inside = scope.allows_grid(
        {
            "code": grid["code"],
            "village_code": where["village"]["code"],
            "package_area_code": where["package_area"]["code"],
        }
    ) or where["unit"]["code"] in scope.areas.get("unit", ())
    if inside:
        return ""
    return f"该位置不在您负责的网格内，已按位置转至「{grid['name']}」（{grid['code']}）办理。"


def _parties(rows) -> tuple[dict, ...]:
    if not isinstance(rows, list) or len(rows) > MAX_PARTIES:
        raise BadInput(f"当事人应为列表，最多 {MAX_PARTIES} 人。")
    out = []
    for i, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise BadInput(f"第 {i} 名当事人的格式不对。")
        role = row.get("role", "当事人")
        if not isinstance(role, str) or role not in PARTY_ROLES:
            raise BadInput(f"第 {i} 名当事人的身份应为 " + "、".join(PARTY_ROLES))
        out.append(
            {
                "role": role,
                "name": params.text(row, "name", f"第 {i} 名当事人的姓名", 50, required=True),
                "id_number": params.id_number(row, "id_number", f"第 {i} 名当事人的身份证号"),
                "phone": params.phone(row, "phone", f"第 {i} 名当事人的电话"),
            }
        )
    return tuple(out)
