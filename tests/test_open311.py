"""The read-only Open311 GeoReport v2 view: services and requests, nothing personal, positions
rounded, public only when the street office says so."""

from __future__ import annotations

import pytest

from gridmap import create_app
from gridmap.store import db
from tests.conftest import sign_in

YEAR = "start_date=2023-01-01&end_date=2023-12-31"


def test_services_are_the_kinds_and_categories(client):
    services = client.get("/open311/v2/services.json").get_json()
    codes = {s["service_code"] for s in services}
    assert {"dispute", "dispute.neighbour", "petition"} <= codes
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)


def test_requests_show_nothing_personal_and_rounded_positions(client, conn):
    rows = client.get(f"/open311/v2/requests.json?{YEAR}&service_code=dispute").get_json()
    assert rows and all(r["service_code"].startswith("dispute") for r in rows)
    assert all(r["description"] is None and r["status"] in ("open", "closed") for r in rows)
    for r in rows[:50]:
        assert abs(r["lat"] * 100 - round(r["lat"] * 100)) < 1e-6
        assert abs(r["long"] * 100 - round(r["long"] * 100)) < 1e-6
    titles = {
        t["title"]
        for t in conn.execute(
            "SELECT title FROM incident WHERE street_code = '420114004' AND title <> '' LIMIT 200"
        )
    }
    parties = {
        p["name"]
        for p in conn.execute(
            "SELECT name FROM incident_party WHERE street_code = '420114004' LIMIT 200"
        )
    }
    text = str(rows)
    assert not any(t in text for t in titles) and not any(p in text for p in parties)
    one = client.get(f"/open311/v2/requests/{rows[0]['service_request_id']}.json").get_json()
    assert one == [rows[0]]


@pytest.mark.parametrize(
    "query, message",
    [
        ("service_code=nonsense", "未知的 service_code"),
        ("start_date=2023-06-01&end_date=2023-01-01", "应晚于"),
        ("status=maybe", "status"),
        ("start_date=2020-01-01&end_date=2023-01-01", "最多一年"),
    ],
)
def test_bad_queries_are_refused_in_chinese(client, query, message):
    r = client.get(f"/open311/v2/requests.json?{query}")
    assert r.status_code == 400 and message in r.get_json()["message"]


def test_it_is_public_only_when_the_setting_says_so(settings, demo_loaded, anonymous):
    assert anonymous.get("/open311/v2/services.json").status_code == 401
    opened = create_app({**settings, "TESTING": True, "OPEN311_PUBLIC": True})
    try:
        r = opened.test_client().get(f"/open311/v2/requests.json?{YEAR}")
        assert r.status_code == 200 and r.get_json()
        # …and then still shows nothing of the personal data a signed-in case page holds.
        assert (
            sign_in(opened.test_client(), "center").get("/open311/v2/services.json").status_code
            == 200
        )
    finally:
        db.close(opened)
