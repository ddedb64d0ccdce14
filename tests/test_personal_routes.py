"""No route carries a party's ID number or phone in full, for any kind of account, except the
one audited view (POST /cases/ID/personal): the data layer masks parties at the source."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token, sign_in
from tests.test_access import ROLES, routes

STREET = "420114004"


@pytest.fixture(scope="module")
def clear_values(app, demo_loaded):
    """Every party's ID number and phone as stored, and a case of the grid member's with a
    party (the one whose pages are walked)."""
    from gridmap.store import db

    with db.connect(app.config) as conn:
        rows = conn.execute(
            "SELECT incident_id, id_number, phone FROM incident_party WHERE street_code = %s",
            (STREET,),
        ).fetchall()
        staff = {
            r["phone"]
            for r in conn.execute(
                "SELECT phone FROM person WHERE street_code = %s AND phone IS NOT NULL", (STREET,)
            )
        }
        member = conn.execute(
            """SELECT a.scope_code FROM account c JOIN assignment a
                 ON a.street_code = c.street_code AND a.person_id = c.person_id
                WHERE c.street_code = %s AND c.username = 'gridmember' AND a.valid @> now()
                  AND a.role = 'grid_member' LIMIT 1""",
            (STREET,),
        ).fetchone()["scope_code"]
        case = conn.execute(
            """SELECT p.incident_id FROM incident_party p JOIN incident i
                 ON i.street_code = p.street_code AND i.id = p.incident_id
                WHERE p.street_code = %s AND p.phone IS NOT NULL AND p.id_number IS NOT NULL
                  AND COALESCE(i.handler_grid_code, i.grid_code) = %s
                ORDER BY i.id DESC LIMIT 1""",
            (STREET, member),
        ).fetchone()["incident_id"]
    values = {v for r in rows for v in (r["id_number"], r["phone"]) if v} - staff
    of_case = {v for r in rows if r["incident_id"] == case for v in (r["id_number"], r["phone"])}
    assert len(values) > 1000 and of_case
    return values, case, of_case


def _leaks(body: str, values: set[str]) -> set[str]:
    found = set(re.findall(r"\d{11,18}[\dXx]?", body))
    return {v for v in values if v in found or v in body} if found else set()


@pytest.mark.parametrize("who", list(ROLES))
def test_no_page_or_answer_carries_personal_data_in_full(app, clear_values, who):
    values, case, _ = clear_values
    client = sign_in(app.test_client(), ROLES[who])
    walked = 0
    for endpoint, method, path in routes(app):
        if method != "GET" or endpoint == "static":
            continue
        path = re.sub(r"/(cases|incidents)/1\b", rf"/\1/{case}", path)
        r = client.get(path)
        walked += 1
        # the printouts are binary (PDF, PNG, XLSX: read as text where they are; their tables
        # carry no party columns at all, tests/test_exports.py)
        body = r.get_data().decode("utf-8", "replace")
        assert not _leaks(body, values), f"{who} GET {path}"
    listed = client.get("/api/incidents?state=all&limit=200")
    assert not _leaks(listed.get_data(as_text=True), values)
    assert walked > 20


def test_the_one_view_in_full_is_the_audited_one(app, clear_values):
    values, case, of_case = clear_values
    client = sign_in(app.test_client(), "gridmember")
    masked = client.get(f"/cases/{case}").get_data(as_text=True)
    assert not _leaks(masked, values)
    shown = client.post(f"/cases/{case}/personal", data={"csrf_token": csrf_token(client)})
    assert shown.status_code == 200 and _leaks(shown.get_data(as_text=True), of_case)
