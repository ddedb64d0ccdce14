"""Test fixtures: a real embedded PostgreSQL + PostGIS started by the test session itself.

The cluster lives in a fresh temporary folder (readable by the unprivileged user the server
runs as when the tests run as root), is migrated, receives the demo street once, and is stopped
at the end of the session.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from gridmap import create_app
from gridmap.geo.placement import Placement
from gridmap.store import db, sandbox

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def settings():
    # Its own port, so that two test runs on one machine (two checkouts) do not meet.
    port = int(os.environ.get("GRIDMAP_TEST_PG_PORT", "54391"))
    with sandbox.database(port=port, prefix="gridmap-test-") as values:
        yield values


@pytest.fixture(scope="session")
def demo_loaded(settings):
    from gridmap.demo import build, load

    with db.connect_owner(settings) as conn:  # the reload purges: the owner's door
        load.load_demo(conn)
    return build()


@pytest.fixture()
def conn(settings):
    """A connection as the app's role, as the web app and the command line connect."""
    with db.connect(settings) as connection:
        yield connection


@pytest.fixture()
def owner(settings):
    """A connection as the owner role (migrations, purging a street, probes as the owner)."""
    with db.connect_owner(settings) as connection:
        yield connection


@pytest.fixture()
def small_app(settings, conn, owner):
    """An app serving the small street of tests/small_street.py, rebuilt for the test."""
    from tests import small_street as st

    st.create(owner, app=conn)
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    yield app
    db.close(app)


@pytest.fixture()
def placement():
    return Placement()


@pytest.fixture(scope="session")
def app(settings, demo_loaded):
    application = create_app({**settings, "TESTING": True})
    yield application
    db.close(application)


def sign_in(client, username: str = "center", password: str | None = None):
    """Sign a Flask test client in through the sign-in form (with its CSRF token)."""
    from gridmap.demo import accounts as demo_accounts

    form = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))
    answer = client.post(
        "/signin",
        data={
            "username": username,
            "password": password or demo_accounts.PASSWORD,
            "csrf_token": token.group(1),
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client


def csrf_token(client) -> str:
    """The session's CSRF token, as a page gives it to its scripts."""
    page = client.get("/account/password")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


@pytest.fixture()
def anonymous(app):
    """A client that has not signed in."""
    return app.test_client()


@pytest.fixture()
def client(app):
    """A client signed in as the demo's governance center (the whole street)."""
    return sign_in(app.test_client(), "center")


@pytest.fixture()
def sign_in_as(app):
    """A fresh client signed in as one of the demo's accounts."""
    return lambda username, password=None: sign_in(app.test_client(), username, password)


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Wait until ``expression`` is true in the page, asking from outside it: Playwright's
    wait_for_function polls with eval inside the page, which gridmap's CSP (no 'unsafe-eval')
    rightly refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"等待超时 / timed out waiting for: {expression}")
        page.wait_for_timeout(50)


def sign_in_browser(page, base_url: str, username: str = "center", password: str | None = None):
    """Sign a browser page in through the sign-in page."""
    from gridmap.demo import accounts as demo_accounts

    page.goto(base_url + "/signin")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password or demo_accounts.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    return page


class Served:
    """An app served over HTTP on localhost, for the browser."""

    def __init__(self, test_config: dict, port: int = 0):
        self.app = create_app({**test_config, "TESTING": True})
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        db.close(self.app)


@pytest.fixture(scope="session")
def live_server(settings, demo_loaded):
    served = Served(settings)
    yield served.url
    served.close()


@pytest.fixture()
def serve():
    """Serve an app with other settings (e.g. another street) for one test."""
    started = []

    def start(test_config: dict) -> str:
        started.append(Served(test_config))
        return started[-1].url

    yield start
    for served in started:
        served.close()


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("GRIDMAP_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"找不到 Chromium（{executable}）：请运行 scripts/setup.sh --test")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test fails: a database or browser test that did not run proves nothing."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"跳过的测试视为失败 / a skipped test fails here: {report.longrepr}"
