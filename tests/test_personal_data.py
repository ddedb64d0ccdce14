"""Personal data of parties: masked unless asked for by a handler, every unmasked view audited
in the same transaction, never on maps; and a case outside one's scope is not there at all."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from gridmap import create_app
from gridmap.accounts import pii
from gridmap.data import audit
from gridmap.data import incidents as incident_data
from gridmap.intake import load as incidents
from gridmap.store import db
from tests import small_street as st
from tests.conftest import sign_in

NAME, ID, PHONE = "张三丰", "420114199001011234", "13812345678"


def test_the_masks():
    assert pii.mask_name("张三丰") == "张**" and pii.mask_name("李四") == "李*"
    assert pii.mask_id_number(ID) == "4201**********1234"
    assert pii.mask_phone(PHONE) == "138****5678"
    assert pii.mask_name("") == "" and pii.mask_phone(None) == ""
    key = pii.key_of({"SECRET_KEY": "s" * 40})
    assert pii.id_key("42011419900101123x", key) == pii.id_key(" 42011419900101123X ", key)
    assert pii.id_key(ID, key) != pii.id_key(ID, pii.key_of({"PII_KEY": "another"}))
    assert len(pii.id_key(ID, key)) == 32 and pii.id_key("", key) is None


@pytest.fixture()
def case(settings, conn, owner, placement):
    st.create(owner, app=conn)
    frame = pd.DataFrame(
        [
            {
                "kind": "petition",
                "status": "registered",
                "lon": 114.005,
                "lat": 30.005,
                "occurred_at": "2026-06-01 10:00",
                "reported_at": "2026-06-01 11:00",
                "title": "信访件",
            }
        ]
    )
    result = incidents.load(conn, placement, st.CODE, frame, source="t")
    incident_id = incidents.incident_ids(conn, st.CODE, result)[0]
    incident_data.add_parties(
        conn,
        st.CODE,
        pd.DataFrame(
            [
                {
                    "incident_id": incident_id,
                    "role": "信访人",
                    "name": NAME,
                    "id_number": ID,
                    "phone": PHONE,
                }
            ]
        ),
        pii.key_of(settings),
    )
    conn.commit()
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    yield app, incident_id
    db.close(app)


def token(client, path: str) -> str:
    return re.search(
        r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)
    ).group(1)


def test_a_handler_sees_it_masked_and_in_full_only_on_request(case, conn):
    app, incident_id = case
    member = sign_in(app.test_client(), "member1")
    page = member.get(f"/cases/{incident_id}").get_data(as_text=True)
    assert "张**" in page and "4201**********1234" in page and "138****5678" in page
    assert NAME not in page and ID not in page and PHONE not in page
    assert audit.entries(conn, st.CODE, action="view_personal") == []
    full = member.post(
        f"/cases/{incident_id}/personal",
        data={"csrf_token": token(member, f"/cases/{incident_id}")},
    )
    body = full.get_data(as_text=True)
    assert full.status_code == 200 and NAME in body and ID in body and PHONE in body
    (entry,) = audit.entries(conn, st.CODE, action="view_personal")
    assert entry["username"] == "member1" and entry["incident_id"] == incident_id
    assert set(entry["fields"]) == {"name", "id_number", "phone", "address"}
    auditor = sign_in(app.test_client(), "auditor")
    listed = auditor.get("/audit/?action=view_personal").get_data(as_text=True)
    assert "member1" in listed and str(incident_id) in listed and ID not in listed


def test_a_case_outside_the_scope_is_not_there(case, conn):
    app, incident_id = case
    other = sign_in(app.test_client(), "secretary2")  # 乙社区: the case is in 甲村
    r = other.get(f"/cases/{incident_id}")
    assert r.status_code == 404 and "不在您的负责范围内" in r.get_data(as_text=True)
    missing = other.get("/cases/999999999")
    assert missing.status_code == 404 and missing.get_data(as_text=True) == r.get_data(as_text=True)
    r = other.post(
        f"/cases/{incident_id}/personal", data={"csrf_token": token(other, "/account/password")}
    )
    assert r.status_code == 404 and NAME not in r.get_data(as_text=True)
    assert audit.entries(conn, st.CODE, action="view_personal") == []


def test_a_repeat_petitioner_is_recognised_without_their_id_number(case, conn, placement, settings):
    app, first = case
    frame = pd.DataFrame(
        [
            {
                "kind": "petition",
                "status": "registered",
                "lon": 114.006,
                "lat": 30.006,
                "occurred_at": "2026-07-01 10:00",
                "reported_at": "2026-07-01 11:00",
                "title": "再次信访",
            }
        ]
    )
    again = incidents.incident_ids(
        conn, st.CODE, incidents.load(conn, placement, st.CODE, frame, source="t2")
    )[0]
    incident_data.add_parties(
        conn,
        st.CODE,
        pd.DataFrame(
            [
                {
                    "incident_id": again,
                    "role": "信访人",
                    "name": "张三丰",
                    "id_number": ID,
                    "phone": None,
                }
            ]
        ),
        pii.key_of(settings),
    )
    conn.commit()
    keys = conn.execute(
        "SELECT DISTINCT id_key FROM incident_party WHERE street_code = %s", (st.CODE,)
    ).fetchall()
    assert len(keys) == 1 and ID not in keys[0]["id_key"]
    page = sign_in(app.test_client(), "member1").get(f"/cases/{again}").get_data(as_text=True)
    assert "重复信访" in page and f"/cases/{first}" in page and ID not in page
    other = sign_in(app.test_client(), "secretary2").get(f"/cases/{again}")
    assert other.status_code == 404
    # Rows stored without their hash (before migration 0016) get it from `gridmap db maintain`.
    conn.execute("UPDATE incident_party SET id_key = NULL WHERE street_code = %s", (st.CODE,))
    assert incident_data.rekey_parties(conn, st.CODE, pii.key_of(settings)) == 2
    assert incident_data.rekey_parties(conn, st.CODE, pii.key_of(settings)) == 0
    conn.rollback()


def test_personal_data_never_reaches_the_map(case):
    app, _incident_id = case
    center = sign_in(app.test_client(), "center")
    markers = center.get(
        "/api/map/incidents?from=2026-01-01&to=2026-11-30&bbox=113.99,29.99,114.03,30.03&zoom=17"
    ).get_data(as_text=True)
    page = center.get("/center/?from=2026-01-01&to=2026-11-30").get_data(as_text=True)
    for text in (markers, page):
        assert NAME not in text and ID not in text and PHONE not in text
