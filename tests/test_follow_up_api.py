"""Following a case up through the API: notes and photos, judged by content, kept outside the
web root, shown only to those who may see the case."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from PIL import Image

from gridmap import create_app
from gridmap.store import db
from tests import small_street as st
from tests.conftest import sign_in


@pytest.fixture()
def case(settings, conn, owner):
    st.create(owner, app=conn)
    app = create_app(
        {**settings, "STREET_CODE": st.CODE, "TESTING": True, "PHOTO_MAX_BYTES": 300_000}
    )
    client = sign_in(app.test_client(), "member1")
    page = client.get("/account/password").get_data(as_text=True)
    headers = {"X-CSRFToken": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    made = client.post(
        "/api/incidents",
        headers=headers,
        json={
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "category": "neighbour",
            "title": "纠纷",
            "lon": 114.0052,
            "lat": 30.0051,
            "crs": "wgs84",
        },
    ).get_json()
    yield app, client, headers, made["id"]
    db.close(app)


def jpeg(size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def upload(client, headers, incident_id, data: bytes, name: str = "x.jpg"):
    return client.post(
        f"/api/incidents/{incident_id}/photos",
        headers=headers,
        data={"photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_notes_are_added_and_read_back_as_text(case):
    app, client, headers, incident_id = case
    evil = '<img src=x onerror="window.__x=1">现场已沟通'
    r = client.post(f"/api/incidents/{incident_id}/notes", json={"body": evil}, headers=headers)
    assert r.status_code == 201
    notes = client.get(f"/api/incidents/{incident_id}").get_json()["notes"]
    assert [n["body"] for n in notes] == [evil]
    empty = client.post(f"/api/incidents/{incident_id}/notes", json={"body": " "}, headers=headers)
    assert empty.status_code == 400 and "跟进内容" in empty.get_json()["message"]


def test_a_photo_is_judged_by_its_content_and_kept_under_the_servers_name(case, settings, conn):
    app, client, headers, incident_id = case
    r = upload(client, headers, incident_id, jpeg(), name="../../etc/passwd.png")
    assert r.status_code == 201, r.get_json()
    answer = r.get_json()
    assert answer["content_type"] == "image/jpeg" and (answer["width"], answer["height"]) == (
        64,
        48,
    )
    row = conn.execute("SELECT file FROM incident_photo WHERE id = %s", (answer["id"],)).fetchone()
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", row["file"])
    got = client.get(answer["url"])
    assert got.status_code == 200 and got.data == jpeg() and got.mimetype == "image/jpeg"
    got.close()
    assert "static" not in app.config["INSTANCE_DIR"]


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"%PDF-1.4 not an image", "photo.jpg", "不是可识别的图片"),
        (b"GIF89a" + b"\x00" * 20, "photo.gif", "不是可识别的图片"),
        (b"", "empty.jpg", "照片是空的"),
    ],
)
def test_a_file_that_is_not_a_photo_is_refused(case, conn, data, name, message):
    app, client, headers, incident_id = case
    r = upload(client, headers, incident_id, data, name)
    assert r.status_code == 400 and message in r.get_json()["message"]
    assert conn.execute("SELECT count(*) AS n FROM incident_photo").fetchone()["n"] == 0


def test_an_oversized_photo_is_refused_and_the_report_is_kept(case, conn):
    app, client, headers, incident_id = case
    big = io.BytesIO()
    Image.effect_noise((900, 900), 80).convert("RGB").save(big, "PNG")
    data = big.getvalue()
    r = client.post(
        f"/api/incidents/{incident_id}/photos",
        headers=headers,
        data=data,  # a raw body: refused by its length before it is read
        content_type="multipart/form-data; boundary=x",
    )
    assert r.status_code == 413 and "过大" in r.get_json()["message"]
    r.close()
    # Within the request limit, but over the photo limit: refused by the photo check.
    small = io.BytesIO()
    Image.effect_noise((355, 355), 80).convert("RGB").save(small, "PNG")
    assert 300_000 < len(small.getvalue()) < 364_000
    r = upload(client, headers, incident_id, small.getvalue(), "big.png")
    assert r.status_code == 400 and "照片过大" in r.get_json()["message"]
    assert client.get(f"/api/incidents/{incident_id}").status_code == 200


def test_another_grids_case_takes_no_note_and_shows_no_photo(case, settings):
    app, client, headers, incident_id = case
    photo = upload(client, headers, incident_id, jpeg()).get_json()
    other = sign_in(app.test_client(), "secretary2")
    page = other.get("/account/password").get_data(as_text=True)
    other_headers = {"X-CSRFToken": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)}
    assert other.get(photo["url"]).status_code == 404
    r = other.post(f"/api/incidents/{incident_id}/notes", json={"body": "x"}, headers=other_headers)
    assert r.status_code == 404
