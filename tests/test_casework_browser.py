"""Working cases in headless Chromium, as the duty officer and the grid member do (issue 18):
the center supervises a case and the grid member's phone shows it in 待办 and answers it; a
closure claimed from the phone is returned by the center and claimed again; a 回访 records
不满意 and the case reopens."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gridmap.core import clock
from gridmap.core.clock import LOCAL
from tests import small_street as st
from tests.conftest import sign_in_browser, wait_until
from tests.test_casework import new_case
from tests.test_field_browser import open_field, phone  # noqa: F401  (the phone fixture)

pytestmark = pytest.mark.browser


@pytest.fixture()
def url(settings, conn, owner, serve):
    st.create(owner, app=conn)
    return serve({**settings, "STREET_CODE": st.CODE})


def submit(page, form: str, values: dict) -> None:
    for name, value in values.items():
        field = page.locator(f"{form} [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.locator(f"{form} button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def test_the_center_supervises_and_the_phone_shows_it_in_to_do(page, phone, url, conn):  # noqa: F811
    case = new_case(conn)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, url, "center")
    page.goto(f"{url}/cases/{case}")
    answer_by = (clock.now().astimezone(LOCAL) + timedelta(days=2)).strftime("%Y-%m-%d")
    submit(
        page,
        "#gm-supervise",
        {
            "kind": "supervise",
            "note": '<img src=x onerror="window.__x=1">请两日内反馈',
            "answer_by": answer_by,
        },
    )
    assert "已督办" in page.locator(".gm-notice").first.inner_text()
    assert "<img" in page.locator("#gm-supervisions").inner_text()

    open_field(phone, url, "member1")
    wait_until(phone, "document.getElementById('gm-count-todo').textContent === '(1)'")
    phone.locator("[data-tab=todo]").click()
    card = phone.locator("#gm-todo [data-section=answer] li").first
    assert "请两日内反馈" in card.inner_text() and "<img" in card.inner_text()
    card.click()
    wait_until(phone, "!!document.querySelector('#gm-supervisions textarea')")
    phone.fill("#gm-supervisions textarea", "已入户调解，周五再谈")
    phone.locator("#gm-supervisions button[data-answer]").click()
    wait_until(
        phone,
        "(document.querySelector('#gm-supervisions') || {textContent: ''})"
        ".textContent.includes('答复：已入户调解')",
    )
    wait_until(phone, "document.getElementById('gm-count-todo').textContent === ''")
    page.reload()
    assert "已入户调解，周五再谈" in page.locator("#gm-supervisions").inner_text()
    assert page.evaluate("window.__x") is None and phone.evaluate("window.__x") is None
    assert errors == []


def test_a_closure_from_the_phone_is_returned_and_claimed_again(page, phone, url, conn):  # noqa: F811
    case = new_case(conn)
    open_field(phone, url, "member1")
    phone.evaluate(f"window.gmField.openCase({case})")
    wait_until(phone, "!!document.querySelector('button[data-to=review]')")
    assert phone.locator("button[data-to=resolved]").count() == 0
    phone.locator("button[data-to=review]").click()
    wait_until(phone, "(document.getElementById('gm-case-status') || {}).textContent === '待审核'")

    sign_in_browser(page, url, "center")
    page.goto(f"{url}/cases/todo")
    assert f"案件 {case}" in page.locator("#gm-todo-review").inner_text()
    page.goto(f"{url}/cases/{case}")
    back = "form:has(button[data-move=mediating])"
    submit(page, back, {"reason": "调解协议未签字，请补齐"})
    assert "转为「调处中」" in page.locator(".gm-notice").first.inner_text()

    phone.reload()
    wait_until(phone, "window.gmFieldReady === true")
    phone.locator("[data-tab=todo]").click()
    wait_until(phone, "!!document.querySelector('#gm-todo [data-section=returned] li')")
    phone.locator("#gm-todo [data-section=returned] li").first.click()
    wait_until(phone, "!!document.querySelector('button[data-to=review]')")
    phone.locator("button[data-to=review]").click()
    wait_until(phone, "(document.getElementById('gm-case-status') || {}).textContent === '待审核'")

    page.reload()
    page.locator("button[data-move=resolved]").click()
    page.wait_for_load_state("domcontentloaded")
    assert "已化解" in page.locator(".gm-notice").first.inner_text()


def test_an_unsatisfied_callback_reopens_the_case(page, url, conn, owner):
    case = new_case(conn)
    sign_in_browser(page, url, "center")
    page.goto(f"{url}/cases/{case}")
    page.locator("button[data-move=resolved]").click()
    page.wait_for_load_state("domcontentloaded")
    submit(page, "#gm-callback", {"result": "unsatisfied", "note": ""})
    assert "写明当事人不满意的原因" in page.locator(".gm-refusal").inner_text()
    submit(page, "#gm-callback", {"result": "unsatisfied", "note": "通道仍被占用"})
    notice = page.locator(".gm-notice").first.inner_text()
    assert "已重新办理（调处中）" in notice
    assert "不满意" in page.locator("#gm-callbacks").inner_text()
    assert page.locator("#gm-callback").count() == 0  # this closing is called back
