"""One error path: every error on /api/* is JSON with a Chinese message, and no page shows a
traceback."""

from __future__ import annotations

import logging

import pytest

from gridmap import create_app
from gridmap.store import db
from gridmap.web import access
from tests.conftest import sign_in


@pytest.fixture()
def faulty(settings, demo_loaded):
    """An app with one address that fails the way a bug would, and a small body limit."""
    app = create_app({**settings, "TESTING": True, "MAX_CONTENT_LENGTH": 1000})

    @access.public
    def broken():
        raise ZeroDivisionError("a bug of ours")

    app.add_url_rule("/api/broken", "api_broken", broken)
    app.add_url_rule("/broken", "page_broken", broken)
    yield app
    db.close(app)


def test_an_unexpected_error_is_json_500_and_logged_with_its_traceback(faulty, caplog):
    with caplog.at_level(logging.ERROR, logger=faulty.logger.name):
        r = faulty.test_client().get("/api/broken?x=1")
    assert r.status_code == 500 and "application/json" in r.content_type
    assert r.get_json() == {"error": "internal", "message": r.get_json()["message"]}
    assert "服务器内部错误" in r.get_json()["message"]
    assert "ZeroDivisionError" not in r.get_data(as_text=True)
    logged = [rec for rec in caplog.records if rec.exc_info]
    assert logged and logged[0].exc_info[0] is ZeroDivisionError
    assert "/api/broken" in logged[0].getMessage()


def test_an_unexpected_error_on_a_page_is_the_error_page_without_traceback(faulty, caplog):
    with caplog.at_level(logging.CRITICAL):
        r = faulty.test_client().get("/broken")
    body = r.get_data(as_text=True)
    assert r.status_code == 500 and "text/html" in r.content_type
    assert "服务器内部错误" in body and "Traceback" not in body and "a bug of ours" not in body


def test_a_method_the_api_does_not_take_is_json_405_with_allow(client):
    r = client.post("/api/locate?lon=113.838&lat=30.4417")
    assert r.status_code == 405 and "application/json" in r.content_type
    assert r.get_json()["error"] == "method_not_allowed"
    assert "POST" in r.get_json()["message"]
    assert "GET" in r.headers["Allow"]


def test_a_body_over_the_limit_is_json_413(faulty):
    client = sign_in(faulty.test_client())
    r = client.get("/api/locate?lon=113.838&lat=30.4417", data=b"x" * 1001)
    assert r.status_code == 413 and r.get_json()["error"] == "request_entity_too_large"
    assert "1000" in r.get_json()["message"]
    assert client.get("/api/locate?lon=113.838&lat=30.4417", data=b"x" * 10).status_code == 200


def test_the_body_limit_is_a_setting_with_a_default(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_unknown_addresses_are_json_on_the_api_and_a_page_elsewhere(client):
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.get_json()["error"] == "not_found"
    r = client.get("/nothing")
    assert r.status_code == 404 and "没有这个页面" in r.get_data(as_text=True)


def test_user_text_in_an_error_page_is_escaped(client):
    r = client.get("/center/?package_area=<script>alert(1)</script>")
    assert r.status_code == 400
    body = r.get_data(as_text=True)
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body
