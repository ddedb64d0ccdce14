"""One reading of times and one window of plausible times, at every entry point: the loader,
the API's ``at``, the center's ``from``/``to`` and the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from click.testing import CliRunner

from gridmap import create_app
from gridmap.cli import main as cli
from gridmap.core import clock, timewindow
from gridmap.core.errors import BadInput
from gridmap.intake import load as incidents
from gridmap.store import db
from tests import small_street as st
from tests.conftest import sign_in
from tests.test_cluster import env_for
from tests.test_incident_load import count, rows

SEAT = "lon=113.838&lat=30.4417"
# Each form of one moment, 2023-06-01 08:30 in Beijing.
FORMS = [
    "2023-06-01 08:30",
    "2023-06-01T08:30",
    "2023-06-01T08:30:00",
    "2023-06-01 08:30:00.000",
    "2023-06-01T00:30Z",
    "2023-06-01T08:30+08:00",
    "2023/06/01 08:30",
    "2023/6/1 8:30",
    "2023年6月1日 08:30",
]
EXPECTED = datetime(2023, 6, 1, 8, 30, tzinfo=clock.LOCAL)
PLACED = (
    "street_code, kind, category, status, title, description, details, geom, division_id,"
    " unit_id, grid_id, unit_code, grid_code, village_code, package_area_code"
)


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    return st.CODE


def prepared(conn, frame):
    from gridmap.data import incidents as data

    return incidents.prepare(frame, data.reference(conn), "wgs84")


def test_loader_and_api_read_every_form_alike(conn, client, street):
    frame = rows(len(FORMS), occurred_at=FORMS, reported_at="2023-06-02")
    assert list(prepared(conn, frame)["occurred_at"]) == [EXPECTED] * len(FORMS)
    for text in FORMS:
        r = client.get("/api/locate", query_string={"lon": 113.838, "lat": 30.4417, "at": text})
        assert r.status_code == 200, (text, r.get_json())
        assert datetime.fromisoformat(r.get_json()["at"]) == EXPECTED, text


def test_a_date_alone_is_midnight_in_beijing_for_the_loader_and_the_api(
    conn, placement, client, street
):
    result = incidents.load(conn, placement, st.CODE, rows(1, occurred_at="2023-03-05"), "t")
    stored = conn.execute(
        "SELECT occurred_at FROM incident WHERE street_code = %s AND batch_id = %s",
        (st.CODE, result.batch_id),
    ).fetchone()["occurred_at"]
    assert stored == datetime(2023, 3, 5, tzinfo=clock.LOCAL)
    at = client.get(f"/api/locate?{SEAT}&at=2023-03-05").get_json()["at"]
    assert datetime.fromisoformat(at) == stored


def test_day_or_month_first_is_refused_everywhere(conn, client, street):
    with pytest.raises(BadInput, match="歧义") as err:
        prepared(conn, rows(3, occurred_at=["2023-06-01", "01/06/2023", "2023-06-01"]))
    assert err.value.details == {"rows": [2]} and "2024-06-01" in err.value.message
    r = client.get(f"/api/locate?{SEAT}&at=01/06/2023")
    assert r.status_code == 400 and "歧义" in r.get_json()["message"]
    r = client.get("/api/hotspots?from=06/01/2023")
    assert r.status_code == 400 and "歧义" in r.get_json()["message"]


def test_recorded_moments_lie_between_2000_and_a_few_minutes_from_now(conn, placement, street):
    soon = datetime.now(UTC) + timedelta(minutes=5)  # a phone whose clock runs fast
    fast = rows(1, occurred_at=soon.isoformat(), reported_at=soon.isoformat())
    incidents.load(conn, placement, st.CODE, fast, "t")
    for when in ("3000-01-01 00:00", "2100-06-01", "1999-12-31 23:59"):
        with pytest.raises(BadInput, match="超出可接受的范围") as err:
            incidents.load(conn, placement, st.CODE, rows(2, occurred_at=["2023-01-01", when]), "t")
        assert "2000-01-01 00:00 至" in err.value.message and err.value.details == {"rows": [2]}
    late = (datetime.now(UTC) + timedelta(minutes=20)).isoformat()
    for col in ("reported_at", "closed_at"):
        with pytest.raises(BadInput, match=f"字段 {col}）超出可接受的范围"):
            prepared(conn, rows(1, **{col: late}))
    assert count(conn) == 1


def test_a_deadline_may_lie_ahead_by_a_year(conn, street):
    ahead = timewindow.today() + timedelta(days=300)
    assert prepared(conn, rows(1, due_at=ahead.isoformat()))["due_at"].notna().all()
    with pytest.raises(BadInput, match="办理期限（字段 due_at）超出可接受的范围"):
        prepared(conn, rows(1, due_at="2100-01-01"))


def test_times_out_of_order_are_refused(conn, street):
    with pytest.raises(BadInput, match="结案时间（closed_at）早于发生时间"):
        prepared(conn, rows(1, closed_at="2021-03-01"))


@pytest.mark.parametrize(
    "address",
    [
        f"/api/locate?{SEAT}&at=9999-12-31",
        f"/api/locate?{SEAT}&at=1999-12-31",
        "/api/hotspots?to=9999-12-31",
        "/api/hotspots?from=1999-01-01&to=2000-06-01",
        f"/api/map/incidents?bbox=113.8,30.4,113.9,30.5&from=2023-01-01&to={'9' * 4}-12-31",
    ],
)
def test_query_dates_outside_the_window_are_a_400_that_names_it(client, address):
    r = client.get(address)
    assert r.status_code == 400, r.get_data(as_text=True)
    message = r.get_json()["message"]
    assert "超出可接受的范围" in message and f"至 {timewindow.latest_day():%Y-%m-%d}" in message


def test_query_dates_up_to_a_year_ahead_are_accepted(client):
    ahead = timewindow.today() + timedelta(days=366)
    r = client.get(f"/api/hotspots?from={ahead.replace(day=1).isoformat()}&to={ahead}")
    assert r.status_code == 200 and r.get_json()["total"] == 0


def test_the_center_page_refuses_a_far_date(client):
    r = client.get("/center/?to=9999-12-31")
    assert r.status_code == 400 and "超出可接受的范围" in r.get_data(as_text=True)


def test_the_locate_command_checks_its_time_as_the_api_does(settings, demo_loaded):
    env = env_for(settings)
    for at, words in [("9999-12-31", "超出可接受的范围"), ("01/06/2023", "歧义")]:
        result = CliRunner().invoke(
            cli.main, ["locate", "113.838", "30.4417", "--at", at], env=env, catch_exceptions=False
        )
        assert result.exit_code == 1 and words in result.output, result.output
    ok = CliRunner().invoke(
        cli.main, ["locate", "113.838", "30.4417", "--at", "2023年6月1日"], env=env
    )
    assert ok.exit_code == 0, ok.output


def test_a_row_dated_in_the_future_does_not_move_the_default_period(
    conn, owner, placement, settings, street
):
    """A stored row may lie ahead of today (a phone's clock a few minutes fast just before
    midnight, a row stored before times were checked); the default period still ends now."""
    result = incidents.load(conn, placement, st.CODE, rows(1), source="t")
    conn.commit()
    with owner.transaction():
        # As if stored before the database checked times: its insert check is set aside.
        owner.execute("ALTER TABLE incident DISABLE TRIGGER incident_a_check_insert")
        owner.execute(
            f"INSERT INTO incident ({PLACED}, occurred_at, reported_at, status_since) SELECT"
            f" {PLACED}, now() + interval '400 days', now() + interval '400 days',"
            " now() + interval '400 days' FROM incident"
            " WHERE street_code = %s AND batch_id = %s",
            (st.CODE, result.batch_id),
        )
        owner.execute("ALTER TABLE incident ENABLE TRIGGER incident_a_check_insert")
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    try:
        period = sign_in(app.test_client()).get("/api/hotspots").get_json()["period"]
    finally:
        db.close(app)
    end = pd.Timestamp(period["to"]).date()
    assert timewindow.today() <= end <= timewindow.today() + timedelta(days=31)
