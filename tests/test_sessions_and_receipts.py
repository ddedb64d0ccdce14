"""A session ends on the server when its person signs out; the session cookie is SameSite=Lax
and HTTPS is kept with HSTS; an idempotency receipt answers only the account that made it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in
from tests.test_pins_api import member, report


@pytest.fixture()
def small(small_app):
    return small_app


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_copied_session_cookie_does_not_outlive_the_sign_out(small):
    client = sign_in(small.test_client(), "center")
    copied = session_cookie(client)
    page = client.get("/account/password").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/signout", data={"csrf_token": token}).status_code == 302
    thief = small.test_client()
    thief.set_cookie("session", copied)
    answer = thief.get("/api/incidents", headers={"Accept": "application/json"})
    assert answer.status_code == 401, answer.get_data(as_text=True)[:300]
    # The control: the same copy, taken from a session still open, opens the API.
    other = sign_in(small.test_client(), "center")
    twin = small.test_client()
    twin.set_cookie("session", session_cookie(other))
    assert twin.get("/api/incidents", headers={"Accept": "application/json"}).status_code == 200


def test_the_session_cookie_is_same_site_lax(small):
    client = small.test_client()
    form = client.get("/signin")
    assert "SameSite=Lax" in form.headers.get("Set-Cookie", ""), form.headers.get("Set-Cookie")


def test_https_answers_carry_hsts_and_plain_http_does_not(small):
    secure = small.test_client().get("/signin", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = small.test_client().get("/signin")
    assert "Strict-Transport-Security" not in plain.headers


def test_a_receipt_answers_only_the_account_that_made_it(small, conn):
    first, headers = member(small, "member1")
    body = report()
    stored = first.post("/api/incidents", json=body, headers=headers)
    assert stored.status_code == 201
    other, other_headers = member(small, "leader1")
    replay = other.post("/api/incidents", json=body, headers=other_headers)
    assert replay.status_code == 409
    text = replay.get_data(as_text=True)
    answer = stored.get_json()
    assert str(answer["id"]) not in text
    for person in answer["people"]:
        assert person["name"] not in text
    assert answer["placement"]["grid"]["code"] not in text
    # Its maker still gets the stored answer.
    again = first.post("/api/incidents", json=body, headers=headers)
    assert again.status_code == 201 and again.get_json() == answer
