"""我的网格 in headless Chromium at a phone's size, with touch: a grid member drops a pin by
tapping the map, reports, sees where it landed and who answers for it; reports with no network
and sees it sent once when the network returns; follows a case through a transition; is
refused another grid's case."""

from __future__ import annotations

import contextlib
import io
import uuid

import pytest
from PIL import Image

from gridmap import create_app
from gridmap.store import db
from tests import small_street as st
from tests.conftest import Served, sign_in_browser, wait_until
from tests.test_pins_api import member

pytestmark = pytest.mark.browser

IN_G1 = (114.0052, 30.0051)
IN_G3 = (114.0152, 30.0151)
HOSTILE = '<img src=x onerror="window.__x=1">邻里<b>纠纷</b>'


@pytest.fixture()
def street(settings, conn, owner):
    st.create(owner, app=conn)
    owner.execute(
        "UPDATE person SET phone = '1380000' || lpad(id::text, 4, '0') WHERE street_code = %s",
        (st.CODE,),
    )
    owner.commit()
    return {**settings, "STREET_CODE": st.CODE}


@pytest.fixture()
def phone(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


def open_field(page, url: str, username: str = "member1"):
    sign_in_browser(page, url, username)
    assert page.url.endswith("/field/"), "a grid member lands on 我的网格"
    wait_until(page, "window.gmFieldReady === true")


def tap_map(page, lon: float, lat: float) -> None:
    # Bootstrap's CSS makes scrolling smooth: jump, so that the map is where it is measured.
    page.evaluate("window.scrollTo({top: 0, behavior: 'instant'})")
    page.evaluate(f"gmMap.setView([{lat}, {lon}], 16, {{animate: false}})")
    x, y = page.evaluate(
        f"""(() => {{
            const p = gmMap.latLngToContainerPoint([{lat}, {lon}]);
            const r = gmMap.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }})()"""
    )
    page.touchscreen.tap(x, y)


def fill_report(page, title: str, point=IN_G1, kind="dispute", category="neighbour") -> None:
    tap_map(page, *point)
    wait_until(page, "!document.getElementById('gm-tab-report').hidden")
    assert "地图落点：" in page.inner_text("#gm-pin-text")
    page.locator(f"#gm-kinds label:has(input[value={kind}])").tap()
    if category:
        page.locator(f"#gm-categories label:has(input[value={category}])").tap()
    page.fill("#gm-report input[name=title]", title)
    page.fill("#gm-report textarea[name=description]", "楼上装修噪音，" + title)


def stored(conn, title: str) -> list[dict]:
    conn.rollback()
    return conn.execute(
        "SELECT id, grid_code, client_id FROM incident WHERE street_code = %s AND title = %s",
        (st.CODE, title),
    ).fetchall()


def jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


def test_a_pin_tapped_on_the_map_is_reported_placed_and_answered(street, serve, phone, conn):
    url = serve(street)
    open_field(phone, url)
    fill_report(phone, HOSTILE)
    phone.locator("#gm-add-party").tap()
    phone.fill("#gm-parties input[name=party_name]", "王五")
    phone.fill("#gm-parties input[name=party_phone]", "13900000000")
    phone.set_input_files(
        "#gm-report input[name=photos]",
        [
            {"name": "big.jpg", "mimeType": "image/jpeg", "buffer": jpeg(2400, 1800)},
            {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not an image at all"},
        ],
    )
    phone.locator("#gm-report .gm-submit").tap()
    wait_until(phone, "/已上报/.test(document.getElementById('gm-answer-state')?.textContent)")

    where = phone.inner_text("#gm-answer-where")
    assert "网格1" in where and "甲村" in where and "一片" in where
    assert phone.inner_text("#gm-answer-deadline") != "—"
    people = phone.inner_text("#gm-answer .gm-people")
    assert "网格员一" in people and "书记甲" in people and "包一" in people
    calls = phone.eval_on_selector_all("#gm-answer a.gm-call", "as => as.map(a => a.href)")
    assert calls and all(c.startswith("tel:1380000") for c in calls)
    assert "照片 2 未上传" in phone.inner_text("#gm-answer"), "a refused photo is reported"

    rows = stored(conn, HOSTILE)
    assert len(rows) == 1 and rows[0]["grid_code"] == st.G1
    photos = conn.execute(
        "SELECT width, height FROM incident_photo WHERE incident_id = %s", (rows[0]["id"],)
    ).fetchall()
    assert [(p["width"], p["height"]) for p in photos] == [(1600, 1200)], "resized on the phone"
    # The markup was kept as text, and shown as text in the list and the case.
    phone.locator(".gm-tabs [data-tab=cases]").tap()
    wait_until(phone, f"document.querySelector('#gm-cases li[data-id=\"{rows[0]['id']}\"]')")
    assert HOSTILE in phone.inner_text("#gm-cases")
    assert phone.evaluate("window.__x") is None


def test_a_similar_report_nearby_is_warned_of_before_it_is_stored(street, serve, phone, conn):
    url = serve(street)
    open_field(phone, url)
    fill_report(phone, "第一次")
    phone.locator("#gm-report .gm-submit").tap()
    wait_until(phone, "/已上报/.test(document.getElementById('gm-answer-state')?.textContent)")
    fill_report(phone, "第二次", point=(IN_G1[0] + 0.0008, IN_G1[1]))  # 77 m away, beside its dot
    phone.locator("#gm-report .gm-submit").tap()
    wait_until(phone, "!document.getElementById('gm-similar').hidden")
    assert "第一次" in phone.inner_text("#gm-similar")
    assert stored(conn, "第二次") == [], "nothing stored before the member decides"
    phone.get_by_text("不是同一件事，仍然上报").tap()
    wait_until(phone, "/已上报/.test(document.getElementById('gm-answer-state')?.textContent)")
    assert len(stored(conn, "第二次")) == 1


def test_a_report_made_offline_is_kept_and_sent_once(street, phone, conn):
    served = Served(street)
    port = served.server.server_port
    try:
        open_field(phone, served.url)
        wait_until(
            phone,
            "navigator.serviceWorker.controller !== null && caches.open('gridmap-field-v1')"
            ".then(c => c.match('/field/').then(p => !!p && c.keys()))"
            ".then(k => k && k.length > 5)",
        )
        wait_until(phone, "window.gmField.persistent !== undefined")  # storage.persist() asked
        # No network at all: the browser is offline and the server is gone.
        phone.context.set_offline(True)
        served.close()
        phone.reload()
        wait_until(phone, "window.gmFieldReady === true")
        assert "离线" in phone.inner_text("#gm-net")
        fill_report(phone, "断网时上报")
        phone.locator("#gm-report .gm-submit").tap()
        wait_until(phone, "/待发送/.test(document.getElementById('gm-answer-state')?.textContent)")
        phone.locator(".gm-tabs [data-tab=outbox]").tap()
        assert "待发送" in phone.inner_text("#gm-outbox")
        assert stored(conn, "断网时上报") == []

        served = Served(street, port)
        phone.context.set_offline(False)  # the 'online' event sends it
        wait_until(phone, "document.querySelector('#gm-outbox .gm-outbox-sent')")
        assert "已发送" in phone.inner_text("#gm-outbox")
        phone.evaluate("Promise.all([gmField.outbox.flush(), gmField.outbox.flush()])")
        rows = stored(conn, "断网时上报")
        assert len(rows) == 1, "sent once, however often the outbox retries"
    finally:
        served.close()


def reported(street: dict, username: str, point, title: str) -> int:
    """A case reported through the API (by a test client of its own), its id."""
    app = create_app({**street, "TESTING": True})
    client, headers = member(app, username)
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "dispute",
        "category": "neighbour",
        "title": title,
        "lon": point[0],
        "lat": point[1],
        "crs": "wgs84",
    }
    made = client.post("/api/incidents", headers=headers, json=body)
    db.close(app)
    assert made.status_code == 201, made.get_json()
    return made.get_json()["id"]


@pytest.fixture()
def g1_case(street):
    return reported(street, "member1", IN_G1, "要跟进的纠纷")


def test_a_case_is_followed_through_a_transition(street, serve, phone, g1_case):
    url = serve(street)
    open_field(phone, url)
    phone.locator(f"#gm-cases li[data-id='{g1_case}']").tap()
    wait_until(phone, "document.getElementById('gm-case-status')")
    assert phone.inner_text("#gm-case-status") == "排查发现"
    phone.fill("#gm-case textarea[name=note]", "<b>已约谈双方</b>")
    phone.locator("#gm-add-note").tap()
    wait_until(phone, "/已约谈双方/.test(document.getElementById('gm-timeline')?.textContent)")
    assert "<b>已约谈双方</b>" in phone.inner_text("#gm-timeline")
    phone.fill("#gm-case textarea[name=reason]", "双方同意调解")
    phone.locator("#gm-case button[data-to=mediating]").tap()
    wait_until(phone, "document.getElementById('gm-case-status')?.textContent === '调处中'")
    timeline = phone.inner_text("#gm-timeline")
    assert "转为「调处中」" in timeline and "双方同意调解" in timeline
    assert (
        timeline.index("上报（矛盾纠纷）")
        < timeline.index("跟进")
        < timeline.index("转为「调处中」")
    )
    assert phone.locator("#gm-case .gm-light").count() == 1, "the light of the new step"


def test_another_grids_case_is_refused(street, serve, phone):
    other = {"id": reported(street, "center", IN_G3, "别的网格")}  # G3's, stored
    url = serve(street)
    open_field(phone, url)
    phone.goto(f"{url}/field/#case={other['id']}")
    wait_until(phone, "document.getElementById('gm-case-error')")
    assert "不在您的负责范围内" in phone.inner_text("#gm-case-error")
    assert phone.locator(f"#gm-cases li[data-id='{other['id']}']").count() == 0


@contextlib.contextmanager
def located(browser, url: str, accuracy: float):
    """A phone at IN_G1 whose position is ``accuracy`` metres good, on 我的网格, after a tap on
    使用我的位置."""
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": IN_G1[0], "latitude": IN_G1[1], "accuracy": accuracy},
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        open_field(page, url)
        page.locator(".gm-tabs [data-tab=report]").tap()
        page.locator("#gm-locate").tap()
        yield page
    finally:
        context.close()


def test_my_position_is_used_within_the_accuracy_allowed(street, serve, browser, conn):
    url = serve(street)
    with located(browser, url, accuracy=25) as page:
        wait_until(page, "/我的位置/.test(document.getElementById('gm-pin-text').textContent)")
        assert "精度约 25 米" in page.inner_text("#gm-pin-text")
        page.locator("#gm-kinds label:has(input[value=dispute])").tap()
        page.fill("#gm-report input[name=title]", "按定位上报")
        page.locator("#gm-report .gm-submit").tap()
        wait_until(page, "/已上报/.test(document.getElementById('gm-answer-state')?.textContent)")
        assert len(stored(conn, "按定位上报")) == 1

    with located(browser, url, accuracy=800) as page:
        wait_until(page, "/超过允许/.test(document.getElementById('gm-pin-text').textContent)")
        assert "请在地图上点击落点" in page.inner_text("#gm-pin-text")
        # The manual pin is always there (beside the dot of the case just reported).
        fill_report(page, "定位太差改为手动", point=(IN_G1[0] + 0.0008, IN_G1[1]))
        page.locator("#gm-report .gm-submit").tap()
        wait_until(page, "/已上报/.test(document.getElementById('gm-answer-state')?.textContent)")


def test_a_queued_report_the_server_refuses_says_why_and_keeps_the_rest(street, serve, phone, conn):
    url = serve(street)
    open_field(phone, url)
    phone.context.set_offline(True)
    fill_report(phone, "街道外的上报", point=(114.05, 30.05))  # outside the small street
    phone.locator("#gm-report .gm-submit").tap()
    wait_until(phone, "/待发送/.test(document.getElementById('gm-answer-state')?.textContent)")
    fill_report(phone, "街道内的上报")
    phone.locator("#gm-report .gm-submit").tap()
    wait_until(phone, "document.querySelectorAll('#gm-outbox .gm-outbox-pending').length === 2")
    phone.context.set_offline(False)
    wait_until(phone, "document.querySelector('#gm-outbox .gm-outbox-sent')")
    wait_until(phone, "document.querySelector('#gm-outbox .gm-outbox-failed')")
    failed = phone.inner_text("#gm-outbox .gm-outbox-failed")
    assert "失败：" in failed and "街道" in failed, failed
    assert stored(conn, "街道外的上报") == [] and len(stored(conn, "街道内的上报")) == 1
    phone.locator(".gm-tabs [data-tab=outbox]").tap()
    phone.locator("#gm-outbox .gm-outbox-failed button").tap()  # 删除
    wait_until(phone, "document.querySelector('#gm-outbox .gm-outbox-failed') === null")
