"""Every way in refuses the same bad values alike (issue 17): a date of year 1, a lone UTF-16
surrogate, a NUL, JSON of the wrong type, ids out of range, a party's numbers in the wrong
field. Each is sent to every page, API route and command that takes such a value; each answer
is a 4xx (or exit 1) with a sentence in Chinese, never a 500 or a traceback, and nothing is
stored."""

from __future__ import annotations

import html
import json
import re
import uuid

import pytest
from click.testing import CliRunner

from gridmap.cli import main as cli
from tests import small_street as st
from tests.conftest import sign_in
from tests.test_cluster import env_for

IN_G1 = (114.0052, 30.0051)
YEAR_ONE = "0001-01-01"
READABLE = "2000-01-01 至 2100-12-31"
TABLES = (
    "incident",
    "incident_party",
    "incident_event",
    "incident_note",
    "person",
    "assignment",
    "account",
    "plan",
    "plan_revision",
    "street_calendar",
)


@pytest.fixture()
def app(small_app):
    return small_app


def client_of(app, username: str):
    client = sign_in(app.test_client(), username)
    page = client.get("/account/password").get_data(as_text=True)
    client.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.headers = {"X-CSRFToken": client.token}
    return client


def stored(conn) -> dict:
    conn.rollback()
    counts = {}
    for table in TABLES:
        counts[table] = conn.execute(
            f"SELECT count(*) AS n FROM {table} WHERE street_code = %s", (st.CODE,)
        ).fetchone()["n"]
    conn.rollback()
    return counts


def message_of(answer) -> str:
    body = answer.get_json(silent=True)
    if isinstance(body, dict) and "message" in body:
        return body["message"]
    return html.unescape(answer.get_data(as_text=True))


def refused(answer, *words: str) -> str:
    text = message_of(answer)
    assert 400 <= answer.status_code < 500, (answer.status_code, text[:400])
    assert "Traceback" not in text and "服务器内部错误" not in text
    assert re.search(r"[\u4e00-\u9fff]", text)
    for word in words:
        assert word in text, (answer.request.path, word, text[:600])
    return text


def command(settings, *args: str):
    env = {**env_for(settings), "GRIDMAP_STREET_CODE": st.CODE}
    return CliRunner().invoke(cli.main, list(args), env=env)


def command_refused(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, (word, result.output)


def post_json(client, path: str, body: object):
    """A JSON body as a phone sends it: ASCII with escapes, so a lone surrogate travels as the
    escape ``\\ud800`` (the test client would refuse to encode the character itself)."""
    return client.post(
        path, data=json.dumps(body), content_type="application/json", headers=client.headers
    )


def pin(**extra) -> dict:
    return {
        "client_id": str(uuid.uuid4()),
        "kind": "dispute",
        "category": "neighbour",
        "title": "邻里噪音纠纷",
        "lon": IN_G1[0],
        "lat": IN_G1[1],
        "crs": "wgs84",
        "position": "manual",
        **extra,
    }


def person_id(conn, name: str) -> int:
    return conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = %s", (st.CODE, name)
    ).fetchone()["id"]


def an_incident(app) -> int:
    member = client_of(app, "member1")
    made = member.post("/api/incidents", json=pin(), headers=member.headers)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


def a_plan(app) -> int:
    planner = client_of(app, "planner")
    made = planner.post("/planner/plans", data={"name": "方案", "csrf_token": planner.token})
    return int(re.search(r"/planner/plans/(\d+)", made.headers["Location"]).group(1))


# --- 1. dates of year 1, and before 1901 ------------------------------------------------------


@pytest.mark.parametrize("day", [YEAR_ONE, "1900-01-01", "1899-12-31", "9999-12-31"])
def test_a_date_out_of_every_range_is_refused_on_every_page_and_api(app, conn, day):
    center, member = client_of(app, "center"), client_of(app, "member1")
    admin, auditor = client_of(app, "admin"), client_of(app, "auditor")
    planner = client_of(app, "planner")
    plan = a_plan(app)
    before = stored(conn)
    lon, lat = IN_G1
    for answer in (
        center.get(f"/api/locate?lon={lon}&lat={lat}&at={day}"),
        center.get(f"/?at={day}"),
        center.get(f"/api/incidents?from={day}"),
        center.get(f"/api/incidents?to={day}"),
        center.get(f"/open311/v2/requests.json?start_date={day}"),
        center.get(f"/open311/v2/requests.json?end_date={day}"),
        auditor.get(f"/audit/?from={day}"),
        member.post("/api/incidents", json=pin(occurred_at=day), headers=member.headers),
        member.post("/api/incidents/preview", json=pin(occurred_at=day), headers=member.headers),
        planner.post(
            f"/planner/plans/{plan}/publish", data={"effective": day, "csrf_token": planner.token}
        ),
    ):
        refused(answer, "超出")
    person = person_id(conn, "网格员三")
    assignment = conn.execute(
        "SELECT id FROM assignment WHERE street_code = %s AND person_id = %s", (st.CODE, person)
    ).fetchone()["id"]
    conn.rollback()
    for path, data in (
        (f"/admin/people/{person}/leave", {"at": day}),
        (f"/admin/assignments/{assignment}/end", {"at": day}),
        (
            "/admin/assignments",
            {"person_id": str(person), "role": "mediator", "scope_code": st.V1, "from": day},
        ),
    ):
        refused(admin.post(path, data={**data, "csrf_token": admin.token}), "超出")
    assert stored(conn) == before


@pytest.mark.parametrize("day", [YEAR_ONE, "1900-01-01"])
def test_a_date_out_of_range_is_refused_by_every_command(app, conn, settings, day):
    incident, plan = an_incident(app), a_plan(app)
    before = stored(conn)
    lon, lat = map(str, IN_G1)
    for args in (
        ("locate", lon, lat, "--at", day),
        ("case", "move", str(incident), "resolved", "--as-owner", "--at", day),
        ("plans", "publish", str(plan), "--user", "planner", "--date", day),
        ("calendar", "set", day, "holiday", "元旦"),
        ("calendar", "unset", day),
    ):
        command_refused(command(settings, *args), "超出可接受的范围：应在 2000-01-01 至")
    assert stored(conn) == before


def test_the_range_is_named_with_its_field():
    """A query date names the query window; any other time the readable years (2000–2100)."""
    from gridmap.core import params, timewindow

    with pytest.raises(Exception) as caught:
        timewindow.parse_moment(YEAR_ONE, "办理时间")
    assert f"办理时间超出可接受的范围：应在 {READABLE} 之间" in caught.value.message
    with pytest.raises(Exception) as caught:
        params.parse_query_day(YEAR_ONE, "生效日期")
    assert f"生效日期超出可接受的范围：应在 {timewindow.day_range()} 之间" in caught.value.message


def test_a_ledger_with_a_date_of_year_one_is_refused_by_its_row(app, conn, settings, tmp_path):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "kind,status,category,lon,lat,occurred_at,title\n"
        f"dispute,found,land,114.005,30.005,{YEAR_ONE},邻里纠纷\n",
        encoding="utf-8",
    )
    before = stored(conn)
    result = command(settings, "load-incidents", str(path), "--commit")
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert "第 1 条" in result.output and "超出" in result.output, result.output
    assert stored(conn) == before


# --- 2 and 3. a lone surrogate and NUL, in every text ---------------------------------------

BAD_TEXTS = {"surrogate": ("Q\ud800Q", "代理码位"), "nul": ("Q\x00Q", "NUL")}


@pytest.mark.parametrize("bad", BAD_TEXTS)
def test_bad_characters_are_refused_in_every_json_text(app, conn, bad):
    value, word = BAD_TEXTS[bad]
    incident = an_incident(app)
    member = client_of(app, "member1")
    before = stored(conn)
    for body in (
        pin(title=value),
        pin(description=value),
        pin(parties=[{"role": "当事人", "name": value}]),
    ):
        refused(post_json(member, "/api/incidents", body), word)
    for path, body in (
        (f"/api/incidents/{incident}/transition", {"to": "resolved", "reason": value}),
        (f"/api/incidents/{incident}/notes", {"body": value}),
    ):
        refused(post_json(member, path, body), word)
    assert stored(conn) == before


def test_a_nul_is_refused_in_every_form(app, conn):
    # A browser cannot send a lone surrogate in a form (it sends U+FFFD), so forms meet NUL.
    value, word = BAD_TEXTS["nul"]
    admin, planner = client_of(app, "admin"), client_of(app, "planner")
    plan = a_plan(app)
    before = stored(conn)
    person = person_id(conn, "网格员三")
    conn.rollback()
    for client, path, data in (
        (admin, "/admin/people", {"name": value}),
        (admin, "/admin/people", {"name": "张三", "title": value}),
        (admin, "/admin/accounts", {"username": value, "role": "center", "person_id": person}),
        (planner, "/planner/plans", {"name": value}),
        (planner, f"/planner/plans/{plan}/duplicate", {"name": value}),
    ):
        refused(client.post(path, data={**data, "csrf_token": client.token}), word)
    assert stored(conn) == before


@pytest.mark.parametrize("bad", BAD_TEXTS)
def test_bad_characters_are_refused_by_every_command(app, conn, settings, bad, tmp_path):
    value, word = BAD_TEXTS[bad]
    if bad == "nul":
        word = "NUL"
    incident = an_incident(app)
    person = person_id(conn, "网格员三")
    before = stored(conn)
    for args in (
        ("case", "move", str(incident), "resolved", "--as-owner", "--reason", value),
        ("case", "extend", str(incident), "5", "--as-owner", "--reason", value),
        ("case", "link", str(incident), str(incident), "duplicate", "--as-owner", "--note", value),
        ("calendar", "set", "2030-01-01", "holiday", value),
        ("plans", "new", value, "--user", "planner", "--commit"),
        ("accounts", "create", value, "--role", "center", "--person", str(person)),
    ):
        command_refused(command(settings, *args), word)
    assert stored(conn) == before


def test_a_nul_in_a_username_at_sign_in_is_a_refusal(app):
    client = app.test_client()
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/signin", data={"username": "cen\x00ter", "password": "x", "csrf_token": token}
    )
    refused(answer, "用户名或密码不正确")


# --- 4. JSON of the wrong types ----------------------------------------------------------------


@pytest.mark.parametrize(
    "change, word",
    [
        ({"crs": ["wgs84"]}, "坐标系"),
        ({"crs": {"a": 1}}, "坐标系"),
        ({"position": ["manual"]}, "position"),
        ({"kind": ["dispute"]}, "事件类型"),
        ({"lon": [114.0]}, "经度"),
        ({"parties": 5}, "当事人"),
        ({"parties": [{"role": ["当事人"], "name": "王五"}]}, "身份"),
        ({"parties": [{"name": "王五", "phone": 13900000000}]}, "电话"),
        ({"occurred_at": ["2024-01-01"]}, "发生时间"),
    ],
)
def test_wrong_json_types_in_a_pin_are_refused(app, conn, change, word):
    member = client_of(app, "member1")
    before = stored(conn)
    for path in ("/api/incidents", "/api/incidents/preview"):
        refused(member.post(path, json=pin(**change), headers=member.headers), word)
    assert stored(conn) == before


@pytest.mark.parametrize(
    "path", ["/api/incidents", "/api/incidents/preview", "/api/incidents/{incident}/notes"]
)
def test_json_nested_a_hundred_thousand_deep_is_refused(app, conn, path):
    incident = an_incident(app)
    member = client_of(app, "member1")
    before = stored(conn)
    answer = member.post(
        path.format(incident=incident),
        data="[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers=member.headers,
    )
    refused(answer, "嵌套")
    assert stored(conn) == before


def test_json_nested_too_deep_is_refused_by_the_planner_api(app):
    planner, plan = client_of(app, "planner"), a_plan(app)
    answer = planner.post(
        f"/api/plans/{plan}/villages/{st.V2}/check",
        data='{"a":' * 100_000 + "1" + "}" * 100_000,
        content_type="application/json",
        headers=planner.headers,
    )
    refused(answer, "嵌套")


def _draft_body(planner, plan) -> dict:
    draft = planner.get(f"/api/plans/{plan}/villages/{st.V2}").get_json()
    units = [
        {"code": f["properties"]["code"], "grid": f["properties"]["grid"]}
        for f in draft["units"]["features"]
    ]
    return {"base": draft["revision"], "grids": draft["grids"], "units": units}


def _with_unit(body: dict, **change) -> dict:
    return {**body, "units": [{**body["units"][0], **change}, *body["units"][1:]]}


def _with_grid(body: dict, **change) -> dict:
    return {**body, "grids": [{**body["grids"][0], **change}, *body["grids"][1:]]}


PLAN_CASES = {
    "grids5": (lambda b: {**b, "grids": 5}, "应为列表"),
    "units5": (lambda b: {**b, "units": 5}, "应为列表"),
    "members5": (lambda b: _with_grid(b, members=5), "人员编号"),
    "member2_70": (lambda b: _with_grid(b, members=[2**70]), "人员编号"),
    "households": (lambda b: _with_unit(b, households=10**15), "户数"),
    "population": (lambda b: _with_unit(b, population=-1), "人口"),
    "polygon": (lambda b: _with_unit(b, geometry={"type": "Polygon"}), "边界"),
    "ring5": (lambda b: _with_unit(b, geometry={"type": "Polygon", "coordinates": 5}), "边界"),
    "grid_name_nul": (lambda b: _with_grid(b, name="网\x00格"), "NUL"),
    "unit_name_surrogate": (lambda b: _with_unit(b, name="Q\ud800Q"), "代理码位"),
}


@pytest.mark.parametrize("case", PLAN_CASES)
@pytest.mark.parametrize("step", ["check", "save", "suggest"])
def test_wrong_plan_contents_are_refused_by_check_and_save_alike(app, conn, case, step):
    planner, plan = client_of(app, "planner"), a_plan(app)
    change, word = PLAN_CASES[case]
    body = change(_draft_body(planner, plan))
    before = stored(conn)
    refused(post_json(planner, f"/api/plans/{plan}/villages/{st.V2}/{step}", body), word)
    assert stored(conn) == before


@pytest.mark.parametrize(
    "change, word",
    [
        ({"line": [[114.015, 30.009]]}, "分割线"),
        ({"line": 5}, "分割线"),
        ({"line": [["a", "b"], [1, 2]]}, "分割线"),
        ({"line": [[114.015, 30.009], [float("inf"), 30.021]]}, "分割线"),
        ({"unit": ["x"]}, "单元"),
        ({"households": 10**15}, "户数"),
        ({"households": "12"}, "户数"),
    ],
)
def test_a_wrong_cut_is_refused(app, change, word):
    planner, plan = client_of(app, "planner"), a_plan(app)
    body = {
        **_draft_body(planner, plan),
        "unit": st.U4,
        "line": [[114.015, 30.009], [114.015, 30.021]],
        "households": 100,
        **change,
    }
    refused(post_json(planner, f"/api/plans/{plan}/villages/{st.V2}/cut", body), word)


# --- 5. the database's refusals on the administration page ----------------------------------


def test_the_admin_pages_refusals_are_in_words(app, conn):
    admin = client_of(app, "admin")
    person = person_id(conn, "网格员一")  # has the account member1 (chain)
    conn.rollback()
    before = stored(conn)
    cases = (
        ("/admin/accounts", {"username": "rooty", "role": "root", "person_id": person}, "账号类型"),
        ("/admin/accounts", {"username": "ghost", "role": "center", "person_id": 999999}, "人员"),
        ("/admin/accounts", {"username": "again", "role": "chain", "person_id": person}, "已有"),
        ("/admin/accounts", {"username": "nobody", "role": "admin"}, "必须属于一名人员"),
        ("/admin/accounts", {"username": "big", "role": "center", "person_id": 2**70}, "人员"),
        (
            "/admin/assignments",
            {"person_id": person, "role": "root", "scope_code": st.G1, "from": "2024-01-01"},
            "职责",
        ),
        (
            "/admin/assignments",
            {"person_id": 999999, "role": "mediator", "scope_code": st.V1, "from": "2024-01-01"},
            "人员",
        ),
        ("/admin/people/999999/leave", {"at": "2024-01-01"}, "不存在"),
        ("/admin/assignments/999999/end", {"at": "2024-01-01"}, "不存在"),
    )
    for path, data, word in cases:
        refused(admin.post(path, data={**data, "csrf_token": admin.token}), word)
    assert stored(conn) == before


def test_an_account_without_a_person_is_refused_by_the_command(app, conn, settings):
    before = stored(conn)
    command_refused(
        command(settings, "accounts", "create", "nobody2", "--role", "admin"), "必须属于一名人员"
    )
    command_refused(
        command(settings, "accounts", "create", "big", "--role", "center", "--person", str(2**70)),
        "人员编号",
    )
    assert stored(conn) == before


def test_a_record_by_a_person_of_2_70_is_refused_by_the_command(app, conn, settings):
    incident = an_incident(app)
    before = stored(conn)
    command_refused(
        command(
            settings, "case", "move", str(incident), "resolved", "--as-owner", "--by", str(2**70)
        ),
        "人员编号",
    )
    assert stored(conn) == before


# --- 6. next= at sign-in ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/center/\r\nSet-Cookie: x=1", "/center/\n", "/\x00", "/ center", "//evil.example"]
)
def test_an_unsafe_next_is_ignored_at_sign_in(app, target):
    client = app.test_client()
    page = client.get("/signin", query_string={"next": target})
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    from gridmap.demo import accounts as demo_accounts

    answer = client.post(
        "/signin",
        data={
            "username": "center",
            "password": demo_accounts.PASSWORD,
            "csrf_token": token,
            "next": target,
        },
    )
    assert answer.status_code == 302
    assert "\n" not in answer.headers["Location"] and "evil" not in answer.headers["Location"]


# --- 7. a ledger that mixes UTF-8 and GBK -----------------------------------------------------


def test_a_ledger_mixing_utf8_and_gbk_is_refused_naming_the_lines(app, conn, settings, tmp_path):
    path = tmp_path / "mixed.csv"
    header = b"kind,status,category,lon,lat,occurred_at,title\n"
    row = "dispute,found,land,114.005,30.005,2021-04-01 09:30,{}\n"
    path.write_bytes(
        header + row.format("邻里纠纷").encode() + row.format("土地纠纷").encode("gbk")
    )
    before = stored(conn)
    result = command(settings, "load-incidents", str(path), "--commit")
    command_refused(result, "混用", "第 2 行", "第 3 行")
    assert stored(conn) == before


# --- 8. parties' ID numbers and phones --------------------------------------------------------

GOOD_ID = "11010519491231002X"


@pytest.mark.parametrize(
    "party, words",
    [
        ({"id_number": "110105194912310021"}, ("身份证号", "校验位")),
        ({"id_number": "13912345678"}, ("身份证号一栏填的像是电话号码",)),
        ({"phone": GOOD_ID}, ("电话一栏填的像是身份证号",)),
        ({"phone": "12345"}, ("电话应为手机号",)),
        ({"id_number": "110105491331002"}, ("出生日期",)),
        ({"id_number": "1101051949123100"}, ("18 位",)),
    ],
)
def test_a_partys_numbers_are_checked_at_entry(app, conn, party, words):
    member = client_of(app, "member1")
    before = stored(conn)
    body = pin(parties=[{"role": "当事人", "name": "王五", **party}])
    for path in ("/api/incidents", "/api/incidents/preview"):
        refused(member.post(path, json=body, headers=member.headers), *words)
    assert stored(conn) == before


def test_good_numbers_are_stored(app, conn):
    member = client_of(app, "member1")
    body = pin(
        parties=[
            {"name": "王五", "id_number": GOOD_ID.lower(), "phone": "139 1234 5678"},
            {"name": "赵六", "id_number": "110105491231002", "phone": "027-84512345 转 8"},
        ]
    )
    answer = member.post("/api/incidents", json=body, headers=member.headers)
    assert answer.status_code == 201, answer.get_json()


def test_a_persons_phone_is_checked_on_the_admin_page(app, conn):
    admin = client_of(app, "admin")
    before = stored(conn)
    answer = admin.post(
        "/admin/people", data={"name": "张三", "phone": GOOD_ID, "csrf_token": admin.token}
    )
    refused(answer, "电话一栏填的像是身份证号")
    assert stored(conn) == before
