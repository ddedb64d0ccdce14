"""A sick database, for real: a private cluster stopped under a served app, and an app started
while its database is down. Requests answer a prompt JSON 503 while the database is away, and
are served again soon after it is back.

The time bounds are coarse: they catch a hang (a request used to wait 30 s for a connection,
and recovery took 20–30 s or never came), not a slow machine.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from gridmap.store import cluster, db, sandbox
from tests import small_street as st

PORT = 54393  # a cluster of its own: stopping it must not disturb the session's
LOCATE = "/api/locate?lon=114.005&lat=30.005"
PROMPT = 10  # seconds: an answer later than this is a hang
RECOVERY = 15  # seconds after the database is back


@pytest.fixture(scope="module")
def sick(request):
    with sandbox.database(port=PORT, prefix="gridmap-outage-") as values:
        with db.connect_owner(values) as owner:
            st.create(owner)
        yield {**values, "STREET_CODE": st.CODE}


@pytest.fixture()
def pg(sick):
    server = cluster.from_config(sick)
    yield server
    server.start()  # whatever the test did, the next one finds the database running


# One browser-like session for the module: signed in while the database is up, its cookie is
# what a person's browser would still hold when the database goes away.
_JAR = http.cookiejar.CookieJar()
_OPENER = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(_JAR))


def sign_in(base: str) -> None:
    from gridmap.demo import accounts as demo_accounts

    with _OPENER.open(base + "/signin", timeout=60) as r:
        token = re.search(r'name="csrf_token" value="([^"]+)"', r.read().decode()).group(1)
    form = urllib.parse.urlencode(
        {"username": "center", "password": demo_accounts.PASSWORD, "csrf_token": token}
    ).encode()
    with _OPENER.open(base + "/signin", data=form, timeout=60) as r:
        assert "/signin" not in r.geturl(), "sign-in refused"


def get(url: str) -> tuple[int, str, bytes, float]:
    start = time.monotonic()
    try:
        with _OPENER.open(url, timeout=60) as r:
            status, kind, body = r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        status, kind, body = e.code, e.headers["Content-Type"], e.read()
    return status, kind, body, time.monotonic() - start


def unavailable(url: str) -> dict:
    status, kind, body, took = get(url)
    assert status == 503 and "application/json" in kind, body[:200]
    assert took < PROMPT
    answer = json.loads(body)
    assert answer["error"] == "database_unavailable" and "数据库" in answer["message"]
    return answer


def recovered(url: str) -> bool:
    deadline = time.monotonic() + RECOVERY
    while time.monotonic() < deadline:
        if get(url)[0] == 200:
            return True
        time.sleep(0.2)
    return False


def test_a_database_stopped_under_a_running_server(sick, pg, serve):
    base = serve(sick)
    sign_in(base)
    assert get(base + LOCATE)[0] == 200
    pg.stop()
    unavailable(base + LOCATE)  # the pooled connection, found broken on checkout
    status, kind, body, took = get(base + "/center/")  # then no connection to be had at all
    assert status == 503 and "text/html" in kind and "数据库暂时无法连接" in body.decode()
    assert took < PROMPT
    pg.start()
    assert recovered(base + LOCATE)


def test_a_server_started_while_the_database_is_down_recovers(sick, pg, serve):
    sign_in(serve(sick))  # a session from before: the new server knows its signed cookie
    pg.stop()
    base = serve(sick)
    unavailable(base + LOCATE)
    time.sleep(3)  # past the pool's background retries: the next connection is made on demand
    pg.start()
    assert recovered(base + LOCATE)


def test_a_database_restarted_between_requests_is_not_noticed(sick, pg, serve):
    base = serve(sick)
    sign_in(base)
    assert get(base + LOCATE)[0] == 200
    pg.stop()
    pg.start()
    status, _kind, body, _took = get(base + LOCATE)  # its pooled connection was broken
    assert status == 200, body[:200]
