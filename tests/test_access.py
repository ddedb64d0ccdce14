"""Every route declares who may use it, and the role × route matrix holds for every role."""

from __future__ import annotations

import re

import pytest

from gridmap import create_app
from gridmap.accounts import policy
from gridmap.store import db
from gridmap.web import access
from tests.conftest import sign_in

ROLES = {  # the demo's accounts, one per kind
    "admin": "admin",
    "center": "center",
    "planner": "planner",
    "auditor": "auditor",
    "chain": "gridmember",
    "department": "paichusuo",
}
# A value for each path parameter a route may have; a route with another one fails the test
# until it is given one here (so a new route is walked too).
SAMPLES = {
    "account_id": "1",
    "action": "reset",
    "person_id": "1",
    "assignment_id": "1",
    "filename": "gridmap.css",
    "incident_id": "1",
    "photo_id": "1",
    "plan_id": "1",
    "step": "publish",
    "referral_id": "1",
    "supervision_id": "1",
    "village": "420114004201",
    "x": "3370",  # a base-map tile (gridmap/web/tiles.py)
    "y": "1700",
    "z": "12",
}


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        missing = [a for a in rule.arguments if a not in SAMPLES]
        assert not missing, f"{rule.rule}: add a sample for {missing} to SAMPLES"
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: SAMPLES[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, path


def test_every_route_declares_its_access_rule(app):
    undeclared = [
        r.rule for r in app.url_map.iter_rules() if access.rule_of(app, r.endpoint) is None
    ]
    assert undeclared == []


def test_a_route_added_without_a_rule_is_refused_to_everyone(settings, demo_loaded):
    app = create_app({**settings, "TESTING": True})
    app.add_url_rule("/api/forgotten", "forgotten", lambda: {"secret": 42})
    try:
        client = sign_in(app.test_client(), "center")
        r = client.get("/api/forgotten")
        assert r.status_code == 403 and "没有声明访问规则" in r.get_json()["message"]
        assert "secret" not in r.get_data(as_text=True)
    finally:
        db.close(app)


@pytest.fixture(scope="module")
def clients(app):
    out = {role: sign_in(app.test_client(), username) for role, username in ROLES.items()}
    out["anonymous"] = app.test_client()
    return out


def token(client) -> str:
    page = client.get("/signin?next=/")  # every page form carries the session's token
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


@pytest.mark.parametrize("who", [*ROLES, "anonymous"])
def test_the_role_route_matrix(app, clients, who):
    client = clients[who]
    checked = 0
    for endpoint, method, path in routes(app):
        rule = access.rule_of(app, endpoint)
        allowed = rule.allows(None if who == "anonymous" else who, {})
        if method != "GET":
            if allowed:
                continue  # a permitted write is tested where it is built, not fired here
            r = client.open(path, method=method, data={"csrf_token": token(client)})
        else:
            r = client.get(path)
        checked += 1
        where = f"{who} {method} {path}"
        if allowed:
            assert r.status_code not in (401, 403), where
            assert "/signin" not in r.headers.get("Location", "") or endpoint.startswith(
                "signin."
            ), where
        elif who == "anonymous":
            if path.startswith(("/api/", "/open311/")) or method != "GET":
                assert r.status_code == 401, where
                if path.startswith(("/api/", "/open311/")):
                    assert r.get_json()["error"] == "sign_in_required", where
            else:
                assert r.status_code == 302 and "/signin" in r.headers["Location"], where
        else:
            assert r.status_code == 403, where
            assert "无权" in r.get_data(as_text=True), where
    assert checked > 5


# What each kind of account may reach, blueprint by blueprint (and the one route of the JSON API
# a planner uses): the policy's table read back as people know it.
REACH = {
    "chain": {"api", "board", "cases", "center", "exports", "field", "incidents_api", "open311"}
    | {"overview", "signin", "tiles"}
    # the chain works its cases but does not call the parties back (回访 is the center's)
    | {f"casework.{e}" for e in ("answer", "extend", "move", "supervise", "todo_page")},
    "center": {"api", "board", "cases", "casework", "center", "exports", "incidents_api"}
    | {"open311", "overview", "signin", "tiles"},
    "planner": {"api.locate_point", "open311", "overview", "planner", "planner_api", "signin"}
    | {"tiles"},
    "admin": {"admin", "open311", "overview", "signin", "tiles"},
    "department": {"open311", "referrals", "signin"},
    "auditor": {"audit", "open311", "signin"},
}


@pytest.mark.parametrize("role", list(REACH))
def test_each_kind_of_account_reaches_what_it_works_with(app, role):
    reached = set()
    for endpoint, _method, _path in routes(app):
        rule = access.rule_of(app, endpoint)
        if rule is not access.PUBLIC and rule.allows(role, {}):
            blueprint = endpoint.split(".")[0]
            whole = all(
                access.rule_of(app, e).allows(role, {})
                for e, _m, _p in routes(app)
                if e.split(".")[0] == blueprint and access.rule_of(app, e) is not access.PUBLIC
            )
            reached.add(blueprint if whole else endpoint)
    assert reached == REACH[role]


def test_the_policy_names_the_roles_the_database_knows(conn):
    rows = conn.execute("SELECT code, name FROM account_role ORDER BY code").fetchall()
    assert {r["code"]: r["name"] for r in rows} == {
        code: role.name for code, role in policy.ROLES.items()
    }


def test_a_route_names_an_action_of_the_policy():
    with pytest.raises(ValueError, match="unknown action"):
        access.requires("see_everything")
