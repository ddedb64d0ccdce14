"""Signing in: one message for every refusal, throttling, first passwords, sessions that end,
CSRF on every form, production safety and the security headers."""

from __future__ import annotations

import re
import time

import pytest

from gridmap import create_app
from gridmap.accounts import passwords
from gridmap.core.errors import BadInput, ConfigError
from gridmap.data import accounts, audit
from gridmap.demo import accounts as demo_accounts
from gridmap.store import db
from gridmap.web import security
from gridmap.web.signin import REFUSED
from tests import small_street as st
from tests.conftest import sign_in


@pytest.fixture()
def small(small_app):
    """An app serving the small street (fresh accounts for each test)."""
    return small_app


def form_token(client, path: str = "/signin") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def attempt(client, username: str, password: str):
    return client.post(
        "/signin",
        data={"username": username, "password": password, "csrf_token": form_token(client)},
    )


def log(conn, action: str) -> list[dict]:
    return [r for r in audit.entries(conn, st.CODE, action=action)]


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(small, conn):
    client = small.test_client()
    wrong = attempt(client, "member1", "not-the-password")
    unknown = attempt(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    for r in (wrong, unknown):
        assert REFUSED in r.get_data(as_text=True)
    body = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert body(wrong).replace("member1", "X") == body(unknown).replace("nobody-here", "X")
    failed = {r["username"]: r["detail"] for r in log(conn, "sign_in_failed")}
    assert failed == {"member1": "wrong", "nobody-here": "wrong"}


def test_repeated_failures_lock_the_account_for_a_while(small, conn):
    client = small.test_client()
    for _ in range(5):
        assert attempt(client, "member1", "wrong-password-1").status_code == 401
    locked = attempt(client, "member1", demo_accounts.PASSWORD)  # right, but locked now
    assert locked.status_code == 401 and REFUSED in locked.get_data(as_text=True)
    assert len(log(conn, "locked")) == 1
    account = accounts.by_username(conn, st.CODE, "member1")
    assert account["locked_until"] is not None
    conn.execute(
        "UPDATE account SET locked_until = now() - interval '1 s' WHERE id = %s", (account["id"],)
    )
    conn.commit()
    assert attempt(client, "member1", demo_accounts.PASSWORD).status_code == 302


def test_a_first_sign_in_must_set_the_persons_own_password(small, conn):
    one_time = passwords.one_time()
    accounts.reset(
        conn,
        st.CODE,
        accounts.by_username(conn, st.CODE, "member1")["id"],
        passwords.hash_password(one_time),
    )
    conn.commit()
    client = small.test_client()
    r = attempt(client, "member1", one_time)
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    assert client.get("/center/").headers["Location"].endswith("/account/password")
    api = client.get("/api/hotspots")
    assert api.status_code == 403 and "设置您自己的密码" in api.get_json()["message"]
    token = form_token(client, "/account/password")
    weak = client.post(
        "/account/password",
        data={
            "current": one_time,
            "new": "member1-abc",
            "repeat": "member1-abc",
            "csrf_token": token,
        },
    )
    assert weak.status_code == 400 and "不能包含用户名" in weak.get_data(as_text=True)
    short = client.post(
        "/account/password",
        data={"current": one_time, "new": "short", "repeat": "short", "csrf_token": token},
    )
    assert "至少需要 10 个字符" in short.get_data(as_text=True)
    good = "青山绿水-2026-网格"
    done = client.post(
        "/account/password",
        data={"current": one_time, "new": good, "repeat": good, "csrf_token": token},
    )
    assert done.status_code == 302
    assert client.get("/api/hotspots").status_code == 200
    assert log(conn, "password_set")[0]["username"] == "member1"
    fresh = small.test_client()
    assert attempt(fresh, "member1", one_time).status_code == 401  # the one-time one is spent
    assert attempt(fresh, "member1", good).status_code == 302


def test_an_idle_session_ends_with_a_message(small):
    client = sign_in(small.test_client(), "member1")
    assert client.get("/api/hotspots").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    r = client.get("/center/")
    assert r.status_code == 302 and "expired=1" in r.headers["Location"]
    assert "会话已过期" in client.get(r.headers["Location"]).get_data(as_text=True)
    api = sign_in(small.test_client(), "member1")
    with api.session_transaction() as session:
        session["since"] = int(time.time()) - 13 * 3600
    r = api.get("/api/hotspots")
    assert r.status_code == 401 and "会话已过期" in r.get_json()["message"]


def test_a_disabled_account_loses_its_live_session(small, conn):
    client = sign_in(small.test_client(), "member1")
    assert client.get("/api/hotspots").status_code == 200
    accounts.set_disabled(conn, st.CODE, accounts.by_username(conn, st.CODE, "member1")["id"], True)
    conn.commit()
    assert client.get("/api/hotspots").status_code == 401
    assert attempt(small.test_client(), "member1", demo_accounts.PASSWORD).status_code == 401


def test_a_form_without_or_with_a_forged_csrf_token_is_refused(small, conn):
    client = small.test_client()
    for data in (
        {"username": "member1", "password": demo_accounts.PASSWORD},
        {"username": "member1", "password": demo_accounts.PASSWORD, "csrf_token": "forged"},
    ):
        r = client.post("/signin", data=data)
        assert r.status_code == 400 and "防伪令牌" in r.get_data(as_text=True)
    signed = sign_in(small.test_client(), "admin")
    r = signed.post("/admin/accounts", data={"username": "x-new", "role": "center"})
    assert r.status_code == 400
    assert accounts.by_username(conn, st.CODE, "x-new") is None


def test_an_account_without_a_person_is_refused(conn, owner):
    st.create(owner, app=conn)
    with pytest.raises(BadInput, match="必须属于一名人员"):
        accounts.create(conn, st.CODE, "orphan", "chain", None, passwords.hash_password("x" * 12))
    conn.rollback()


def test_the_app_cannot_change_or_remove_the_audit_log(small, conn):
    sign_in(small.test_client(), "member1")
    for statement in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(Exception, match="permission denied|不可修改"):
            conn.execute(statement)
        conn.rollback()
    assert log(conn, "sign_in")


def test_production_refuses_the_default_key_and_an_unchanged_admin_password():
    with pytest.raises(ConfigError, match="GRIDMAP_SECRET_KEY"):
        security.check_production({"SECRET_KEY": "dev-not-secret"}, True)
    with pytest.raises(ConfigError, match="admin"):
        security.check_production({"SECRET_KEY": "k" * 40}, False)
    security.check_production({"SECRET_KEY": "k" * 40}, True)
    security.check_production({"SECRET_KEY": "dev-not-secret", "DEMO": True}, False)


def test_every_answer_carries_the_security_headers(client):
    for path in ("/signin", "/center/", "/api/hotspots", "/static/gridmap.css"):
        r = client.get(path)
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
        assert "unsafe-eval" not in r.headers["Content-Security-Policy"]
        r.close()


def test_the_demo_accounts_are_listed_only_in_demo_mode(settings, demo_loaded, app):
    assert "gridmember" not in app.test_client().get("/signin").get_data(as_text=True)
    demo = create_app({**settings, "TESTING": True, "DEMO": True})
    try:
        page = demo.test_client().get("/signin").get_data(as_text=True)
        assert "gridmember" in page and demo_accounts.PASSWORD in page
    finally:
        db.close(demo)
