"""The case page in headless Chromium (small street): the small map draws the case's grid and
its point, and its link opens the center's map at the case, whose popup leads back; the phone
and the case page write the same deadline; at 390 px the page fits and a photo's thumbnail
opens the photo."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gridmap.core import clock
from tests import small_street as st
from tests.conftest import sign_in_browser, wait_until
from tests.test_history import place_one

pytestmark = pytest.mark.browser
IN_G1, IN_G2 = (114.005, 30.005), (114.015, 30.005)


@pytest.fixture()
def street(settings, conn, owner):
    st.create(owner, app=conn)
    owner.commit()
    return {**settings, "STREET_CODE": st.CODE}


def watch(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_the_small_map_shows_the_grid_and_leads_back_to_the_center_map(
    page, serve, street, conn, placement
):
    case = place_one(conn, placement, point=IN_G2)
    conn.commit()
    url = serve(street)
    errors = watch(page)
    sign_in_browser(page, url, "center")
    page.goto(f"{url}/cases/{case}")
    wait_until(page, "window.gmCaseMap !== undefined")
    assert page.locator("#gm-case-map path.gm-case-grid").count() == 1
    assert page.locator("#gm-case-map path.gm-case-point").count() == 1
    assert page.evaluate(
        "gmCaseMap.grid.getBounds().contains(gmCaseMap.point.getLatLng())"
        " && gmMap.getBounds().contains(gmCaseMap.grid.getBounds())"
    )
    box = page.locator("#gm-case-map").bounding_box()
    assert box["height"] > 200 and box["width"] > 300

    page.click("#gm-to-center")
    page.wait_for_url(f"**/center/?focus={case}")
    wait_until(page, "window.gmFocus !== undefined")
    assert page.evaluate("gmMap.getZoom()") == 17
    assert page.evaluate(
        f"gmMap.getBounds().contains([{IN_G2[1]}, {IN_G2[0]}])"
        f" && gmMap.distance(gmMap.getCenter(), [{IN_G2[1]}, {IN_G2[0]}]) < 200"
    )
    popup = page.locator(".leaflet-popup-content .gm-focus-popup")
    assert popup.is_visible() and f"案件 {case}" in popup.inner_text()
    page.click("#gm-focus-link")
    page.wait_for_url(f"**/cases/{case}")
    assert errors == []


def test_the_phone_and_the_case_page_write_the_same_deadline(
    browser, serve, street, conn, placement
):
    case = place_one(conn, placement, point=IN_G1)  # open, in member1's grid
    conn.commit()
    due = conn.execute(
        "SELECT due_at FROM incident WHERE street_code = %s AND id = %s", (st.CODE, case)
    ).fetchone()["due_at"]
    words = clock.deadline_words(due)
    assert words.endswith(" 24:00 前")
    url = serve(street)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone = context.new_page()
    errors = watch(phone)
    sign_in_browser(phone, url, "member1")
    wait_until(phone, "window.gmFieldReady === true")
    card = phone.locator(f"#gm-cases li[data-id='{case}'] .gm-days")
    card.wait_for()
    assert card.inner_text().startswith(f"期限 {words}，")
    phone.goto(f"{url}/field/#case={case}")
    phone.locator("#gm-case-title").wait_for()
    on_phone = phone.locator("#gm-case tr:has(th:text-is('办理期限')) td").inner_text()
    phone.goto(f"{url}/cases/{case}")
    on_page = phone.locator("#gm-due").inner_text()
    assert on_phone == on_page == words
    assert errors == []
    context.close()


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def test_at_390_px_the_page_fits_and_a_thumbnail_opens_the_photo(
    browser, serve, street, conn, placement
):
    case = place_one(conn, placement, point=IN_G1)
    conn.commit()
    url = serve(street)
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    errors = watch(page)
    sign_in_browser(page, url, "member1")
    token = page.request.get(f"{url}/field/csrf").json()["csrf"]
    sent = page.request.post(
        f"{url}/api/incidents/{case}/photos",
        headers={"X-CSRFToken": token},
        multipart={"photo": {"name": "x.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}},
    )
    assert sent.status == 201, sent.text()
    photo = sent.json()["url"]
    page.goto(f"{url}/cases/{case}")
    wait_until(page, "window.gmCaseMap !== undefined")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    thumb = page.locator("#gm-timeline .gm-thumb img")
    wait_until(page, "document.querySelector('#gm-timeline .gm-thumb img').complete")
    size = thumb.bounding_box()
    assert 0 < size["width"] <= 160 and 0 < size["height"] <= 120  # scaled, not full size
    with context.expect_page() as opened:
        thumb.tap()
    shown = opened.value
    shown.wait_for_load_state()
    assert shown.url == url + photo
    assert shown.evaluate("document.images[0].naturalWidth") == 640
    assert errors == []
    context.close()
