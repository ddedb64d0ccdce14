"""The administration page in headless Chromium: people, assignments and accounts made the way
an administrator makes them, with markup in every field typed, shown as text everywhere."""

from __future__ import annotations

import pytest

from gridmap.data import accounts, audit
from tests import small_street as st
from tests.conftest import sign_in_browser

pytestmark = pytest.mark.browser
EVIL = '<img src=x onerror="window.__x=1">${window.__x=2}`\\'


def submit(page, form: str, values: dict) -> None:
    for name, value in values.items():
        field = page.locator(f"{form} [name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.locator(f"{form} button[type=submit]").click()
    page.wait_for_load_state("domcontentloaded")


def test_an_administrator_adds_a_person_an_assignment_and_an_account(
    page, browser, conn, owner, settings, serve
):
    st.create(owner, app=conn)
    url = serve({**settings, "STREET_CODE": st.CODE})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, url, "admin")
    assert page.url == url + "/admin/"
    page.goto(url + "/admin/people")
    add_person = "form[action$='/admin/people']"
    submit(page, add_person, {"name": "张" + EVIL[:40], "title": EVIL, "phone": "13800000000"})
    notice = page.locator(".gm-notice").inner_text()
    assert "已新增人员" in notice and "<img" in notice
    person = conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND phone = '13800000000'", (st.CODE,)
    ).fetchone()["id"]
    add_duty = "form[action$='/admin/assignments']"
    submit(
        page,
        add_duty,
        {
            "person_id": str(person),
            "role": "legal_savvy",
            "scope_code": st.V1,
            "from": "2020-01-01",
        },
    )
    assert "已新增任职" in page.locator(".gm-notice").inner_text()
    submit(
        page,
        add_duty,
        {
            "person_id": str(person),
            "role": "grid_member",
            "scope_code": "nope",
            "from": "2020-01-01",
        },
    )
    assert "不是 2020-01-01 生效划分中的网格代码" in page.locator(".gm-notice").inner_text()
    page.goto(url + "/admin/")
    submit(
        page,
        "form[action$='/admin/accounts']",
        {"username": "lawyer1", "role": "center", "person_id": str(person)},
    )
    issued = page.locator(".gm-secret").inner_text()
    assert len(issued) == 14 and accounts.by_username(conn, st.CODE, "lawyer1")["must_set_password"]
    submit(
        page,
        "form[action$='/admin/accounts']",
        {"username": "lawyer1", "role": "center", "person_id": str(person)},
    )
    assert "已被使用" in page.locator(".gm-notice").inner_text()
    actions = {r["action"] for r in audit.entries(conn, st.CODE)}
    assert {"person_created", "assignment_created", "account_created"} <= actions
    # The person's markup is text on the center's map (the resources layer) too.
    center = browser.new_context(locale="zh-CN").new_page()
    center.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(center, url, "center")
    center.wait_for_selector(".leaflet-interactive")
    assert center.evaluate("window.__x") is None and page.evaluate("window.__x") is None
    assert errors == []
    center.context.close()


def test_an_administrator_corrects_a_leaving_entered_late_on_the_person_page(
    page, conn, owner, settings, serve
):
    st.create(owner, app=conn)
    url = serve({**settings, "STREET_CODE": st.CODE})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in_browser(page, url, "admin")
    page.goto(url + "/admin/people")
    page.get_by_role("link", name="网格员一").first.click()
    page.wait_for_load_state("domcontentloaded")
    assert "原始记录" in page.locator("#gm-ledger").inner_text()
    leaving = "form[action$='/correct-leaving']"
    submit(page, leaving, {"at": "2021-01-01", "reason": "短"})  # the browser asks for more
    assert page.locator(f"{leaving} [name=reason]").evaluate("e => !e.checkValidity()")
    assert page.locator(".gm-notice").count() == 0
    submit(page, leaving, {"at": "2021-01-01", "reason": "村里补报：" + EVIL})
    assert "离任时间已更正" in page.locator(".gm-notice").inner_text()
    ledger = page.locator("#gm-ledger").inner_text()
    assert "更正为任职" in ledger and "原记录保留" in ledger and "<img" in ledger
    assert page.locator("#gm-ledger tr.gm-superseded").count() == 1
    assert page.evaluate("window.__x") is None and errors == []
