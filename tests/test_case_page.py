"""The case page, complete (/cases/ID, on the small street): every event in one timeline with
notes and photo thumbnails, the people responsible then and now with their phones for those
the one rule allows, the grid by name, the deadline written one way, the linked cases both ways
and within the scope, and the center's map opened at a case (/center/?focus=ID)."""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from PIL import Image

from gridmap import create_app
from gridmap.accounts import policy
from gridmap.accounts.policy import Actor, Role
from gridmap.accounts.scope import Scope
from gridmap.cases import service
from gridmap.core import clock
from gridmap.data import accounts
from gridmap.store import db
from tests import small_street as st
from tests.conftest import csrf_token, sign_in
from tests.test_history import place_one

PHONE = "138 0000 0002"  # 网格员二接任's, as an administrator typed it
G1_POINT, G2_POINT = (114.005, 30.005), (114.015, 30.005)


@pytest.fixture()
def street(settings, conn, owner):
    """The small street, with a phone for the grid member who took over G2 in 2021."""
    st.create(owner, app=conn)
    owner.execute(
        "UPDATE person SET phone = %s WHERE street_code = %s AND name = '网格员二接任'",
        (PHONE, st.CODE),
    )
    owner.commit()
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    yield app
    db.close(app)


# --- reading the page ------------------------------------------------------------------------


class Node:
    def __init__(self, tag: str, attrs: dict):
        self.tag, self.attrs, self.children = tag, attrs, []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        found = []
        for c in self.children:
            if isinstance(c, str):
                continue
            classes = (c.attrs.get("class") or "").split()
            if (
                (tag is None or c.tag == tag)
                and (cls is None or cls in classes)
                and all(c.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
            ):
                found.append(c)
            found += c.all(tag, cls, **attrs)
        return found

    def one(self, tag: str | None = None, cls: str | None = None, **attrs) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, (tag, cls, attrs, len(found))
        return found[0]


class _Tree(HTMLParser):
    VOID = {"br", "img", "input", "meta", "link", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = [Node("root", {})]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    return tree.stack[0]


def case_page(client, incident_id: int) -> tuple[Node, str]:
    r = client.get(f"/cases/{incident_id}")
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    html = r.get_data(as_text=True)
    return parse(html), html


def people(page: Node) -> dict[str, dict]:
    """The table of people responsible: duty → then, now (texts) and whether it changed."""
    out = {}
    for tr in page.one(id="gm-responsible").all("tr"):
        role = tr.attrs.get("data-role")
        if role:
            out[role] = {
                "then": tr.one("td", "gm-then").text(),
                "now": tr.one("td", "gm-now").text(),
                "changed": "gm-changed" in tr.attrs.get("class", ""),
                "tel": [a.attrs["href"] for a in tr.all("a", "gm-call")],
            }
    return out


def timeline(page: Node) -> list[Node]:
    return page.one("ol", id="gm-timeline").all("li")


def kinds(items: list[Node]) -> list[str]:
    return [
        next(c[len("gm-ev-") :] for c in li.attrs["class"].split() if c != "gm-ev") for li in items
    ]


# --- the timeline ----------------------------------------------------------------------------


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_a_note_and_a_photo_from_the_field_are_on_the_centers_timeline(street, conn):
    member = sign_in(street.test_client(), "member1")
    headers = {"X-CSRFToken": csrf_token(member)}
    made = member.post(
        "/api/incidents",
        headers=headers,
        json={
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "category": "neighbour",
            "title": "邻里纠纷",
            "lon": 114.0052,
            "lat": 30.0051,
            "crs": "wgs84",
        },
    ).get_json()
    case = made["id"]
    moved = member.post(
        f"/api/incidents/{case}/transition",
        headers=headers,
        json={"to": "mediating", "reason": "已约双方到村委会", "expected": "found"},
    )
    assert moved.status_code == 200, moved.get_json()
    evil = '<img src=x onerror="window.__x=1">现场已沟通 & 双方同意'
    assert (
        member.post(
            f"/api/incidents/{case}/notes", headers=headers, json={"body": evil}
        ).status_code
        == 201
    )
    photo = member.post(
        f"/api/incidents/{case}/photos",
        headers=headers,
        data={"photo": (io.BytesIO(jpeg()), "x.jpg")},
        content_type="multipart/form-data",
    ).get_json()

    center = sign_in(street.test_client(), "center")
    page, html = case_page(center, case)
    items = timeline(page)
    assert kinds(items) == ["reported", "transition", "note", "photo"]
    reported, transition, note, shot = items
    assert "上报" in reported.text() and "网格员一" in reported.text()
    assert "转为「" in transition.text()
    assert "已约双方到村委会" in transition.text() and "网格员一" in transition.text()
    # The note is text: its markup is shown, never made into an element.
    assert evil in note.text() and "网格员一" in note.text()
    assert '<img src=x onerror="window.__x=1">' not in html and "&lt;img src=x" in html
    assert not [i for i in page.all("img") if i.attrs.get("src") == "x"]
    # The thumbnail is the photo, scaled; a tap opens the photo itself.
    link = shot.one("a", "gm-thumb")
    assert link.attrs["href"] == photo["url"] == link.one("img").attrs["src"]
    got = center.get(link.attrs["href"])
    assert got.status_code == 200 and got.data == jpeg() and got.mimetype == "image/jpeg"
    got.close()
    # The deadline, written one way; the grid by name, its village, its code in small type.
    due = conn.execute(
        "SELECT due_at FROM incident WHERE street_code = %s AND id = %s", (st.CODE, case)
    ).fetchone()["due_at"]
    assert page.one(id="gm-due").text() == clock.deadline_words(due)
    assert page.one(id="gm-due").text().endswith(" 24:00 前")
    grid = page.one(id="gm-grid")
    assert grid.text().startswith("网格1 · 甲村") and grid.one("small", "gm-code").text() == st.G1
    assert page.one(id="gm-to-center").attrs["href"] == f"/center/?focus={case}"


def test_the_deadline_is_written_one_way():
    beijing = clock.LOCAL
    assert clock.deadline_words(datetime(2026, 11, 17, tzinfo=beijing)) == "2026-11-16 24:00 前"
    # The same instant in UTC is the same deadline.
    assert clock.deadline_words(datetime(2026, 11, 16, 16, tzinfo=UTC)) == "2026-11-16 24:00 前"
    # A deadline a ledger gave at another moment keeps its minute.
    assert clock.deadline_words(datetime(2026, 11, 16, 15, 30, tzinfo=beijing)) == (
        "2026-11-16 15:30 前"
    )
    assert clock.deadline_words(None) == ""


# --- the people responsible, then and now ------------------------------------------------------


def test_the_people_then_and_now_after_a_grid_member_left(street, conn, placement):
    case = place_one(conn, placement, point=G2_POINT)  # 2021-03-01, G2, 网格员二 then
    conn.commit()
    page, _ = case_page(sign_in(street.test_client(), "center"), case)
    shown = people(page)
    assert shown["grid_member"]["then"] == "网格员二"
    assert shown["grid_member"]["now"].startswith("网格员二接任")
    assert shown["grid_member"]["changed"]
    for role, name in (
        ("package_leader", "包二"),
        ("village_secretary", "书记乙"),
        ("group_leader", "组长二"),
    ):
        assert shown[role]["then"] == shown[role]["now"] == name and not shown[role]["changed"]
    assert PHONE in shown["grid_member"]["now"]
    assert shown["grid_member"]["tel"] == ["tel:13800000002"]


def test_the_people_now_follow_a_handover(street, conn, placement):
    from gridmap.planner import plans
    from gridmap.planner import release as plan_release
    from tests.test_plans import RULES, SCOPE, merged_v2

    case = place_one(conn, placement)  # open, in U4 (grid G3), 2021
    planner = Actor.of(accounts.by_username(conn, st.CODE, "planner"), SCOPE)
    plan_id = plans.create(conn, planner, "合并乙社区网格")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, planner, base, new, RULES)
    plan_release.publish(conn, planner, plan_id, None, RULES)
    conn.commit()

    page, html = case_page(sign_in(street.test_client(), "center"), case)
    shown = people(page)
    assert shown["grid_member"]["then"] == "网格员三"
    assert (
        shown["grid_member"]["now"].startswith("网格员二接任") and shown["grid_member"]["changed"]
    )
    assert shown["group_leader"]["then"] == shown["group_leader"]["now"] == "组长四"
    handover = page.one(id="gm-handover")
    # G2 is 乙社区's 网格1 (G3, its 网格2, was retired).
    assert handover.one("td").text().startswith(f"网格1 · 乙社区 {st.G2}")
    [moved] = [li for li in timeline(page) if "gm-ev-handover" in li.attrs["class"]]
    assert "网格调整移交" in moved.text() and "合并乙社区网格" in moved.text()
    assert "书记甲" in moved.text()  # who published the plan
    place = json.loads(page.one("script", id="gm-case-place").text())
    assert place["grid"]["type"] == "MultiPolygon" and place["handler_grid"] is not None


# --- phones: one rule ------------------------------------------------------------------------


def test_phones_are_shown_to_the_center_and_the_chain_by_one_rule(street, conn, placement):
    case = place_one(conn, placement, point=G2_POINT)
    conn.commit()
    for who in ("center", "secretary2"):
        page, _ = case_page(sign_in(street.test_client(), who), case)
        assert people(page)["grid_member"]["tel"] == ["tel:13800000002"], who
    scope = Scope.street(st.CODE)
    allowed = {
        code for code, r in policy.ROLES.items() if service.shows_staff_phones(Actor(r, scope))
    }
    assert allowed == {"center", "chain"}
    assert service.shows_staff_phones(Actor.owner(st.CODE))
    # A kind of account added later (a department a case is referred to) is not shown them
    # unless the rule is changed.
    department = Role("department", "联动单位", frozenset({"see_incidents"}), "referred", home="")
    assert not service.shows_staff_phones(Actor(department, scope))


def test_the_page_hides_phones_when_the_rule_says_so(street, conn, placement, monkeypatch):
    case = place_one(conn, placement, point=G2_POINT)
    conn.commit()
    monkeypatch.setattr(service, "shows_staff_phones", lambda actor: False)
    page, html = case_page(sign_in(street.test_client(), "center"), case)
    assert people(page)["grid_member"]["tel"] == [] and PHONE not in html
    assert "责任人电话仅对综治中心与责任链人员显示" in html


# --- linked cases ----------------------------------------------------------------------------


def test_linked_cases_show_the_chain_both_ways_within_the_scope(street, conn, placement):
    dispute = place_one(conn, placement, point=G2_POINT, when="2021-03-01 10:00")
    mediation = place_one(
        conn,
        placement,
        kind="mediation",
        status="accepted",
        point=G2_POINT,
        when="2021-03-05 10:00",
    )
    petition = place_one(
        conn,
        placement,
        kind="petition",
        status="registered",
        point=G1_POINT,
        when="2021-04-01 10:00",
    )
    center = Actor.of(accounts.by_username(conn, st.CODE, "center"), Scope.street(st.CODE))
    service.link(conn, center, dispute, mediation, "mediation", "村调委会受理")
    service.link(conn, center, mediation, petition, "petition")
    conn.commit()

    client = sign_in(street.test_client(), "center")
    page, _ = case_page(client, dispute)
    chain = [li.text() for li in page.one(id="gm-chain").all("li")]
    assert re.sub(r"\s+", " ", chain[0]).startswith(f"本案 → 转为人民调解案件 → 案件 {mediation}")
    assert re.sub(r"\s+", " ", chain[1]).startswith(
        f"案件 {mediation} → 上交为信访 → 案件 {petition}"
    )
    listed = page.one(id="gm-chain-cases").text()
    assert f"案件 {mediation}" in listed and f"案件 {petition}" in listed
    assert "2021-04-01" in listed and "信访" in listed
    [linked] = [li for li in timeline(page) if "gm-ev-link" in li.attrs["class"]]
    assert f"本案转为人民调解案件：案件 {mediation}" in linked.text()
    assert "村调委会受理" in linked.text()

    page, _ = case_page(client, petition)  # read from the other end
    chain = [re.sub(r"\s+", " ", li.text()) for li in page.one(id="gm-chain").all("li")]
    assert any(t.startswith(f"案件 {mediation} → 上交为信访 → 本案") for t in chain)
    assert f"案件 {dispute}" in page.one(id="gm-chain-cases").text()

    # 书记乙 answers for 乙社区 (the dispute and the mediation), not for 甲村's petition.
    secretary = sign_in(street.test_client(), "secretary2")
    page, html = case_page(secretary, dispute)
    assert f"案件 {mediation}" in page.one(id="gm-chain-cases").text()
    assert f"/cases/{petition}" not in html
    assert secretary.get(f"/cases/{petition}").status_code == 404


# --- the center's map at a case --------------------------------------------------------------


def test_the_centers_map_opens_at_a_focused_case(street, conn, placement):
    case = place_one(conn, placement, point=G2_POINT)
    conn.commit()
    center = sign_in(street.test_client(), "center")
    r = center.get(f"/center/?focus={case}")
    assert r.status_code == 200
    focus = json.loads(parse(r.get_data(as_text=True)).one("script", id="gm-focus").text())
    assert (focus["id"], focus["lon"], focus["lat"]) == (case, *G2_POINT)
    assert focus["url"] == f"/cases/{case}"
    assert "gm-focus" not in center.get("/center/").get_data(as_text=True)
    bad = center.get("/center/?focus=abc")
    assert bad.status_code == 400 and "案件编号" in bad.get_data(as_text=True)
    # A case outside the scope answers like one that does not exist.
    member = sign_in(street.test_client(), "member1")
    outside, missing = member.get(f"/center/?focus={case}"), member.get("/center/?focus=99999999")
    assert outside.status_code == missing.status_code == 404
    assert "不在您的负责范围内" in outside.get_data(as_text=True)
