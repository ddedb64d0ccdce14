"""Working a case (案件): read it, move it one step of its workflow, extend its deadline, link it,
add a note or a photo. One core for the case page, the JSON API the phone uses and
``gridmap case``: every call takes the actor (gridmap.accounts.policy.Actor), checks the action
it is for, reads within the actor's scope, and checks the actor's duties against the workflow's
own data before a step is made. A case outside the scope is answered exactly like one that
does not exist.

The database refuses what can never be true (a step the workflow does not have, a time before
the step began, an extension past its rule) in the same transaction; these checks come first so
that a person is told in words why, and who may.
"""

from __future__ import annotations

import re
from datetime import datetime

import psycopg

from gridmap.accounts import policy
from gridmap.accounts.policy import Actor
from gridmap.cases import photos
from gridmap.core import clock
from gridmap.core.errors import BadInput, Forbidden, NotFound
from gridmap.data import callbacks, cases, listing, people, referrals, streets, workflow
from gridmap.data import incidents as incident_data
from gridmap.data import links as link_data
from gridmap.data import supervision as supervisions

UNKNOWN = "没有这个事件，或它不在您的负责范围内。"


def one(conn: psycopg.Connection, actor: Actor, incident_id: int) -> dict:
    """The case, with its state, light and deadline now."""
    policy.require(actor, "see_incidents")
    case = cases.one(conn, actor.scope, incident_id, clock.now())
    if case is None:
        raise NotFound(UNKNOWN)
    return case


def page(conn: psycopg.Connection, actor: Actor, incident_id: int) -> dict:
    """What the case page shows: the case, where it lies, every event of it in one list in
    time order, who answered for it when it happened (时任) beside who answers now (现任),
    its parties (masked), and the cases linked to it (its escalation chain, the same party's
    other cases)."""
    case = one(conn, actor, incident_id)
    scope = actor.scope
    case["repeats"] = cases.repeats(conn, scope, incident_id)
    case["handovers"] = cases.handovers(conn, scope, incident_id)
    phones = shows_staff_phones(actor)
    then = _with_phones(cases.responsible_then(conn, scope, incident_id), phones)
    now = _with_phones(
        people.responsible(conn, scope.street_code, clock.now(), _codes_now(case)), phones
    )
    case["handlers"] = now
    events = cases.history(conn, scope, incident_id)
    chain = cases.linked(conn, scope, incident_id)
    return {
        "case": case,
        "place": cases.place(conn, scope, incident_id),
        "events": events,
        "timeline": timeline(
            case,
            events,
            cases.follow_up(conn, scope, incident_id),
            chain["links"],
            {
                "supervisions": supervisions.of_case(conn, scope, incident_id, clock.now()),
                "callbacks": callbacks.of_case(conn, scope, incident_id),
                "referrals": referrals.of_case(conn, scope, incident_id, clock.now()),
            },
        ),
        "responsible": side_by_side(then, now),
        "phones": phones,
        "chain": chain,
        "parties": cases.parties(conn, scope, incident_id),
    }


def shows_staff_phones(actor: Actor) -> bool:
    """Whether the actor is shown the phones of the people answering for a case (then and now).

    Staff phones are not parties' personal data (those are masked by gridmap.accounts.pii),
    but a grid member's own mobile is not for every account either. The center dispatches and
    calls the chain, and the chain call each other (包保责任制: a 包片 leader rings the grid
    member of an overdue case): the accounts whose scope is the whole street with its duties,
    or their own assignments. Any other kind (a planner reading the street, a department a
    case is referred to) reaches the chain through the center. The one rule of it.
    """
    return actor.role.scope in (policy.STREET, policy.ASSIGNMENTS)


def _with_phones(rows: list[dict], phones: bool) -> list[dict]:
    """The people, with their phone and the number to dial (``tel``) if the actor may see
    them, without either otherwise."""
    return [
        {**r, "tel": re.sub(r"[^0-9+]", "", r["phone"])}
        if phones and r["phone"]
        else {**r, "phone": None, "tel": None}
        for r in rows
    ]


LEVELS = ("package_area", "village", "unit", "grid")


def _codes_now(case: dict) -> dict:
    """The areas that answer for the case now: those of the grid a plan handed it over to,
    else those it landed in."""
    prefix = "handler_" if case["handler_grid_code"] else ""
    return {level: case[f"{prefix}{level}_code"] for level in LEVELS}


def side_by_side(then: list[dict], now: list[dict]) -> list[dict]:
    """One row per duty of the chain, from the 包片 leader down: who held it when the case
    happened and who holds it now, and whether they differ (someone left, or a plan moved
    the case to another grid)."""
    duties: dict[str, dict] = {}
    for when, rows in (("then", then), ("now", now)):
        for p in rows:
            row = duties.setdefault(
                p["role"],
                {"role": p["role"], "role_name": p["role_name"], "level": p["level"]},
            )
            row.setdefault(when, []).append(p)
    out = sorted(duties.values(), key=lambda r: (r["level"], r["role"]))
    for r in out:
        r.setdefault("then", [])
        r.setdefault("now", [])
        r["changed"] = {p["id"] for p in r["then"]} != {p["id"] for p in r["now"]}
    return out


_SUPERVISION = {"supervise": "督办", "urge": "催办"}


def timeline(
    case: dict, events: list[dict], more: dict, links: list[dict], work: dict | None = None
) -> list[dict]:
    """Every event of the case in one list, oldest first: its report, its steps and
    extensions, follow-up notes and photos, its links to other cases (``links`` may hold the
    rest of its chain), handovers when a plan moved its grid. Each has when (``at``), who
    (``by``, a person's name), what happened (``what``) and the words written with it
    (``text``); a photo carries its row (``photo``), a link the other case (``other``, with
    ``what`` before it and ``after`` it). ``work`` holds the center's work on it: its
    supervisions (督办 / 催办, and their answers) and callbacks (回访)."""
    items = [_item(case["reported_at"], "reported", case["reported_by_name"], "上报")]
    work = work or {}
    for sv in work.get("supervisions", []):
        what = f"{_SUPERVISION[sv['kind']]}（答复期限 {clock.deadline_words(sv['answer_by'])}）"
        items.append(_item(sv["at"], "supervision", sv["by_name"], what, sv["note"]))
        if sv["answered_at"]:
            items.append(
                _item(sv["answered_at"], "answer", sv["answered_by_name"], "答复督办", sv["answer"])
            )
    for rf in work.get("referrals", []):
        what = f"转办{rf['department_name']}（答复期限 {clock.deadline_words(rf['reply_by'])}）"
        items.append(_item(rf["at"], "referral", rf["by_name"], what, rf["note"]))
        if rf["replied_at"]:
            who = f"{rf['department_name']} {rf['replied_by_name'] or ''}".strip()
            items.append(_item(rf["replied_at"], "reply", who, "联动单位答复并退回", rf["reply"]))
    for cb in work.get("callbacks", []):
        items.append(
            _item(cb["at"], "callback", cb["by_name"], f"回访：{cb['result_name']}", cb["note"])
        )
    for e in events:
        if e["kind"] == "extension":
            what = f"延期，新期限 {clock.deadline_words(e['due_at'])}"
        elif e["kind"] == "transition":
            what = f"转为「{e['to_name'] or e['to_status']}」"
        else:  # a kind of event added later: named as the database names it
            what = e["to_name"] or e["kind"]
        items.append(_item(e["at"], e["kind"], e["by_name"], what, e["reason"]))
    for n in more["notes"]:
        items.append(_item(n["at"], "note", n["by_name"], "跟进记录", n["body"]))
    for p in more["photos"]:
        items.append({**_item(p["at"], "photo", p["by_name"], "现场照片"), "photo": p})
    for link in (x for x in links if case["id"] in (x["from_id"], x["to_id"])):
        mine = link["from_id"] == case["id"]
        other = link["to_id"] if mine else link["from_id"]
        what, after = (
            (f"本案{link['link_name']}：", "") if mine else ("", f"{link['link_name']}：本案")
        )
        items.append(
            {
                **_item(link["at"], "link", link["by_name"], what, link["note"]),
                "other": other,
                "after": after,
            }
        )
    for h in case["handovers"]:
        what = (
            f"网格调整移交：由 {h['from_grid_name']}（{h['from_grid_code']}）"
            f"移交 {h['to_grid_name']}（{h['to_grid_code']}）"
        )
        text = f"网格调整方案「{h['plan_name']}」" + (
            f"：{h['plan_note']}" if h["plan_note"] else ""
        )
        items.append(_item(h["at"], "handover", h["by_name"], what, text))
    return sorted(items, key=lambda it: it["at"])


def _item(at, kind: str, by: str | None, what: str, text: str | None = "") -> dict:
    return {"at": at, "kind": kind, "by": by or "", "what": what, "text": text or ""}


def focus(conn: psycopg.Connection, actor: Actor, incident_id: int) -> dict:
    """What the center's map needs to open at a case (/center/?focus=ID): its point and the
    words of its marker. A case outside the scope is answered as one that does not exist."""
    case = one(conn, actor, incident_id)
    where = cases.place(conn, actor.scope, incident_id)
    return {
        "id": case["id"],
        "lat": where["lat"],
        "lon": where["lon"],
        "kind_name": case["kind_name"],
        "title": case["title"],
        "status_name": case["status_name"],
        "deadline": "" if case["is_final"] else clock.deadline_words(case["due_at"]),
    }


def file(conn: psycopg.Connection, actor: Actor, incident_id: int) -> dict:
    """A case as the phone reads it: state, history, notes, photos, parties (masked), and the
    moves the actor may make."""
    case = one(conn, actor, incident_id)
    scope = actor.scope
    more = cases.follow_up(conn, scope, incident_id)
    return {
        "case": case,
        "history": cases.history(conn, scope, incident_id),
        "notes": more["notes"],
        "photos": more["photos"],
        "parties": cases.parties(conn, scope, incident_id),
        "moves": moves(conn, actor, case),
        "supervisions": supervisions.of_case(conn, scope, incident_id, clock.now()),
    }


def listing_page(conn: psycopg.Connection, actor: Actor, q) -> tuple[list[dict], bool]:
    """One page of the actor's cases that match ``q`` (gridmap.cases.query.Query)."""
    policy.require(actor, "see_incidents")
    return listing.page(conn, actor.scope, q, clock.now())


def moves(conn: psycopg.Connection, actor: Actor, case: dict) -> list[dict]:
    """The steps the workflow allows from the case's state that the actor's duties may make."""
    return [m for m in _steps(conn, case, actor) if m["mine"]]


# 办结审核: who reviews a closure claimed from the field is each street's choice
# (street.closure_review); the workflow names everyone who may, the street narrows it.
REVIEWERS = {"center": {"center"}, "village": {"village_secretary", "village_cadre"}}


def _steps(conn, case: dict, actor: Actor) -> list[dict]:
    reviewers = None
    if case["status"] == "review":
        street = streets.get(conn, actor.street_code)
        reviewers = REVIEWERS[street["closure_review"] if street else "center"]
    return [
        {
            "to_status": t["to_status"],
            "to_name": t["to_name"],
            "action": t["action"],
            "reason_required": t["reason_required"],
            "mine": policy.may_move(
                actor, t["roles"] if reviewers is None else sorted(set(t["roles"]) & reviewers)
            ),
        }
        for t in workflow.transitions(conn)
        if t["kind"] == case["kind"] and t["from_status"] == case["status"]
    ]


def move(
    conn: psycopg.Connection,
    actor: Actor,
    incident_id: int,
    to_status: str,
    *,
    reason: str = "",
    expected: str | None = None,
    at: datetime | None = None,
    by_person: int | None = None,
) -> dict:
    """One step of the case's workflow, if it has that step and the actor's duties may make
    it; ``expected`` is the state the person saw (a case someone else moved meanwhile is
    refused, not overwritten). ``at`` and ``by_person`` record work done earlier, on paper
    (the owner at the console only). Returns the event and the case after it."""
    policy.require(actor, "move_case")
    case = one(conn, actor, incident_id)
    if expected is not None and expected != case["status"]:
        # A stale page: the database's refusal says who acted first and when.
        workflow.transition(
            conn, actor.street_code, incident_id, to_status, reason=reason, expected=expected
        )
    step = next((m for m in _steps(conn, case, actor) if m["to_status"] == to_status), None)
    if step is None:
        raise BadInput(_no_such_step(conn, case, to_status))
    if not step["mine"]:
        raise Forbidden(f"您的职务不能办理「{step['action']}」。")
    event = workflow.transition(
        conn,
        actor.street_code,
        incident_id,
        to_status,
        at=at if actor.role is policy.OWNER else None,
        by_person=_by(actor, by_person),
        reason=reason,
        expected=expected,
    )
    return {"event": event, "case": one(conn, actor, incident_id)}


def _no_such_step(conn, case: dict, to_status: str) -> str:
    statuses = incident_data.reference(conn)["statuses"]
    if (case["kind"], to_status) not in statuses:
        return f"「{case['kind_name']}」没有「{to_status}」这个状态"
    name = statuses[(case["kind"], to_status)]["name"]
    return f"「{case['status_name']}」的案件不能转为「{name}」。"


def _by(actor: Actor, by_person: int | None) -> int | None:
    """Who is recorded as acting: the actor's own person; at the console, whom it names."""
    return by_person if actor.role is policy.OWNER else actor.person_id


def extend(
    conn: psycopg.Connection,
    actor: Actor,
    incident_id: int,
    days: int,
    *,
    reason: str,
    by_person: int | None = None,
) -> dict:
    """Extend the current step's deadline by ``days`` where its rule allows, before it runs out
    (the database holds the rule); returns the event."""
    policy.require(actor, "move_case")
    one(conn, actor, incident_id)
    return workflow.extend(
        conn,
        actor.street_code,
        incident_id,
        days,
        by_person=_by(actor, by_person),
        reason=reason,
    )


def link(
    conn: psycopg.Connection, actor: Actor, from_id: int, to_id: int, kind: str, note: str = ""
) -> dict:
    """Record that ``from_id`` led to (or duplicates) ``to_id``; both must be the actor's."""
    policy.require(actor, "move_case")
    one(conn, actor, from_id)
    one(conn, actor, to_id)
    return link_data.add(
        conn, actor.street_code, from_id, to_id, kind, by_person=actor.person_id, note=note
    )


def record(conn: psycopg.Connection, actor: Actor, incident_id: int) -> dict:
    """The case as ``gridmap case show`` prints it: the incident, its light, history, links."""
    policy.require(actor, "see_incidents")
    row = incident_data.get(conn, actor.scope, incident_id)
    if row is None:
        raise NotFound(f"事件 {incident_id} 不存在")
    street = actor.street_code
    return {
        "incident": row,
        "clock": workflow.clock(conn, street, incident_id, clock.now()),
        "events": workflow.events(conn, street, incident_id),
        "links": link_data.of(conn, street, incident_id),
    }


def add_note(conn: psycopg.Connection, actor: Actor, incident_id: int, body: str) -> dict:
    """A follow-up note (跟进记录) on the case."""
    policy.require(actor, "follow_up")
    one(conn, actor, incident_id)
    return cases.add_note(conn, actor.street_code, incident_id, body, actor.person_id)


def add_photo(
    conn: psycopg.Connection, actor: Actor, incident_id: int, data: bytes, settings: dict
) -> dict:
    """A photo of the case, judged by its content and kept under a name the server chooses."""
    policy.require(actor, "follow_up")
    checked = photos.check(data, int(settings["PHOTO_MAX_BYTES"]))
    one(conn, actor, incident_id)
    name = photos.store(settings["INSTANCE_DIR"], actor.street_code, checked)
    row = cases.add_photo(conn, actor.street_code, incident_id, name, checked, actor.person_id)
    return {
        "id": row["id"],
        "width": checked.width,
        "height": checked.height,
        "content_type": checked.content_type,
    }


def photo_file(
    conn: psycopg.Connection, actor: Actor, incident_id: int, photo_id: int, settings: dict
) -> tuple[str, str]:
    """Where a photo of the case is kept, and its type; refused like a case one may not see."""
    policy.require(actor, "see_incidents")
    found = [
        p for p in cases.follow_up(conn, actor.scope, incident_id)["photos"] if p["id"] == photo_id
    ]
    if not found:
        raise NotFound("没有这张照片，或它所属的案件不在您的负责范围内。")
    path = photos.path_of(settings["INSTANCE_DIR"], actor.street_code, found[0]["file"])
    return str(path), found[0]["content_type"]


def personal(
    conn: psycopg.Connection, actor: Actor, incident_id: int, reason: str, origin: dict
) -> dict:
    """The case page with its parties' personal data in full, and the audit record of that
    view written in the same transaction (gridmap.data.cases.parties_in_full)."""
    policy.require(actor, "see_personal_data")
    shown = page(conn, actor, incident_id)
    shown["parties"] = cases.parties_in_full(
        conn, actor.scope, incident_id, actor.account, reason, origin
    )
    return shown
