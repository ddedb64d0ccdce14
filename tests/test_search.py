"""Finding a case (查找案件): one box, classified — a case number, words of titles and
descriptions, a village or grid, a staff member, a party's whole name — always within the
scope; a party shown masked and never found by part of a name; hostile input answered in
words; and every kind of search going by an index of migration 0024."""

from __future__ import annotations

import re

import pandas as pd
import psycopg
import pytest
from psycopg.rows import dict_row

from gridmap import create_app
from gridmap.accounts import pii
from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.cases import search as case_search
from gridmap.cases import service
from gridmap.core import clock
from gridmap.data import cases, search
from gridmap.data import incidents as incident_data
from gridmap.intake import load as incidents
from gridmap.store import cluster, db
from tests import small_street as st
from tests.conftest import sign_in

# The small street's cases: (key, unit's point, title, description, party, reporter).
CASES = [
    ("A", (114.005, 30.005), "甲村张家湾宅基地纠纷", "", ("当事人", "赵大明"), "网格员一"),
    ("B", (114.005, 30.015), "水费100%退还争议", "李家台", None, None),
    ("F", (114.006, 30.015), "水费1000元争议", "", None, None),
    ("C", (114.015, 30.005), "幸福小区噪音扰民纠纷", "编号A_B", ("信访人", "钱小红"), None),
    ("D", (114.015, 30.015), "和平小区停车纠纷", "编号AXB", ("当事人", "孙丽"), None),
    ("E", (114.016, 30.005), "乙社区漏水纠纷", "", None, "网格员二接任"),
]


@pytest.fixture()
def small(settings, conn, owner, placement):
    """The small street with six cases, their parties, reporters, a step and a note."""
    st.create(owner, app=conn)
    staff = {
        r["name"]: r["id"]
        for r in conn.execute("SELECT id, name FROM person WHERE street_code = %s", (st.CODE,))
    }
    rows = [
        {
            "kind": "dispute",
            "status": "found",
            "lon": lon,
            "lat": lat,
            "occurred_at": f"2026-06-{n + 1:02d} 10:00",
            "reported_at": f"2026-06-{n + 1:02d} 11:00",
            "title": title,
            "description": text,
            "reported_by": staff.get(reporter),
        }
        for n, (_k, (lon, lat), title, text, _p, reporter) in enumerate(CASES)
    ]
    result = incidents.load(conn, placement, st.CODE, pd.DataFrame(rows), source="t")
    ids = dict(
        zip(
            [c[0] for c in CASES],
            [int(i) for i in incidents.incident_ids(conn, st.CODE, result)],
            strict=True,
        )
    )
    parties = [
        {"incident_id": ids[k], "role": p[0], "name": p[1], "id_number": None, "phone": None}
        for k, _pt, _t, _d, p, _r in CASES
        if p
    ]
    incident_data.add_parties(conn, st.CODE, pd.DataFrame(parties), pii.key_of(settings))
    owner_actor = Actor.owner(st.CODE)
    service.move(conn, owner_actor, ids["C"], "mediating", by_person=staff["书记乙"])
    cases.add_note(conn, st.CODE, ids["D"], "已上门了解", staff["网格员三"])
    conn.commit()
    app = create_app({**settings, "STREET_CODE": st.CODE, "TESTING": True})
    yield app, ids
    db.close(app)


def found(client, q: str) -> dict:
    """What the results page shows: the ids found, their reasons, the count line, the note,
    the list's own markup, and the page."""
    r = client.get("/cases/search", query_string={"q": q})
    html = r.get_data(as_text=True)
    listing = re.search(r'<section class="gm-search-list".*?</section>', html, re.S)
    count = re.search(r'id="gm-search-count">(.*?)</p>', html, re.S)
    note = re.search(r'id="gm-search-note">(.*?)</p>', html, re.S)
    hits = re.findall(r'<li class="gm-hit" data-id="(\d+)">(.*?)</li>', html, re.S)
    return {
        "status": r.status_code,
        "ids": [int(i) for i, _ in hits],
        "why": {int(i): re.search(r'gm-hit-why">(.*?)</div>', b, re.S).group(1) for i, b in hits},
        "count": " ".join(count.group(1).split()) if count else "",
        "note": " ".join(note.group(1).split()) if note else "",
        "list": listing.group(0) if listing else "",
        "html": html,
    }


def test_a_case_number_finds_that_case_however_it_is_written(small):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    for q in (
        str(ids["C"]),
        f"#{ids['C']}",
        f"案件{ids['C']}",
        f"案件 {ids['C']}",
        f"{ids['C']}号",
    ):
        got = found(client, q)
        assert got["ids"] == [ids["C"]] and got["why"][ids["C"]] == "匹配：案件编号", q
    wide = str(ids["C"]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert found(client, "＃" + wide)["ids"] == [ids["C"]]  # a Chinese keyboard's full width
    assert found(client, "#99999999")["ids"] == []
    assert found(client, "9" * 19)["ids"] == []  # past a bigint: no case, no error


def test_words_of_titles_and_descriptions_each_must_match(small):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    assert found(client, "噪音")["ids"] == [ids["C"]]
    assert found(client, "小区噪音")["ids"] == [ids["C"]]  # inside a run of Chinese
    assert found(client, "李家台")["ids"] == [ids["B"]]  # in the description
    assert found(client, "幸福小区 纠纷")["ids"] == [ids["C"]]
    assert found(client, "幸福小区，停车")["ids"] == []  # both words, not either
    assert sorted(found(client, "纠纷")["ids"]) == sorted(ids[k] for k in "ACDE")
    assert found(client, "噪音")["why"][ids["C"]] == "匹配：标题/描述"
    newest_first = found(client, "争议")["ids"]
    assert newest_first == [ids["F"], ids["B"]]


def test_two_character_words_are_sought_in_the_newest_cases_only(small, monkeypatch):
    """No trigram index finds a word of two characters: it is read in the newest RECENT
    cases only, and the page says so; a longer word is found in every case."""
    app, ids = small
    client = sign_in(app.test_client(), "center")
    monkeypatch.setattr(case_search, "RECENT", 2)
    short = found(client, "纠纷")
    assert short["ids"] == [ids["E"], ids["D"]]  # of A, C, D, E, the two newest cases
    assert "两个字的词只在最近的 2 件案件" in short["note"]
    assert found(client, "宅基地")["ids"] == [ids["A"]] and found(client, "宅基地")["note"] == ""
    assert found(client, "宅基地 纠纷")["ids"] == [ids["A"]]  # with a longer word: every case
    assert found(client, "赵大明")["ids"] == [ids["A"]]  # names are not words: all cases


def test_a_village_or_grid_by_name_or_code_finds_the_cases_placed_there(small):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    village = found(client, "甲村")
    assert sorted(village["ids"]) == sorted([ids["A"], ids["B"], ids["F"]])
    assert "村（社区）：甲村" in village["why"][ids["B"]]
    assert sorted(found(client, "乙社区")["ids"]) == sorted([ids["C"], ids["D"], ids["E"]])
    assert sorted(found(client, "乙")["ids"]) == []  # one character is no village
    assert found(client, "网格2")["ids"] == [ids["D"]]  # G3 (grids are named within a village)
    grid = found(client, "网格1")  # G1 of 甲村 and G2 of 乙社区
    assert sorted(grid["ids"]) == sorted(ids[k] for k in "ABFCE")
    assert grid["why"][ids["E"]] == "匹配：网格：网格1"
    assert sorted(found(client, st.G2)["ids"]) == sorted([ids["C"], ids["E"]])
    assert sorted(found(client, st.V2)["ids"]) == sorted([ids["C"], ids["D"], ids["E"]])
    # 乙社区 is both the village and words of E's title: found once, for both reasons.
    assert found(client, "乙社区")["why"][ids["E"]] == "匹配：标题/描述；村（社区）：乙社区"


def test_a_staff_member_finds_their_areas_now_and_what_they_reported_or_acted_on(small):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    member = found(client, "网格员一")
    assert sorted(member["ids"]) == sorted([ids["A"], ids["B"], ids["F"]])  # grid G1 now
    assert member["why"][ids["A"]] == "匹配：人员 网格员一：现负责区域（网格员）、上报人"
    secretary = found(client, "书记乙")
    assert sorted(secretary["ids"]) == sorted([ids["C"], ids["D"], ids["E"]])
    assert "经办人" in secretary["why"][ids["C"]] and "经办人" not in secretary["why"][ids["D"]]
    # Left G2 in 2021: no area now, but E was reported by their successor, not by them.
    assert found(client, "网格员二")["ids"] == []
    assert found(client, "网格员二接任")["why"][ids["E"]].endswith("现负责区域（网格员）、上报人")
    noted = found(client, "网格员三")
    assert noted["ids"] == [ids["D"]] and noted["why"][ids["D"]].endswith("、经办人")


def test_a_party_is_found_by_their_whole_name_only_and_shown_masked(small):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    got = found(client, "赵大明")
    assert got["ids"] == [ids["A"]] and got["why"][ids["A"]] == "匹配：当事人姓名（赵**）"
    assert "赵大明" not in got["list"]  # the list shows the mask; only the box holds the query
    assert got["html"].count("赵大明") == 1 and 'value="赵大明"' in got["html"]
    assert found(client, " 钱小红 ")["why"][ids["C"]] == "匹配：信访人姓名（钱**）"
    for part in ("赵", "赵大", "大明", "赵大明明"):
        assert found(client, part)["ids"] == [], part
    assert "单个字不作为" in found(client, "赵")["note"]


def test_nothing_outside_the_scope_is_found_and_it_answers_as_no_match(small):
    app, ids = small
    member = sign_in(app.test_client(), "member1")  # grid G1: cases A, B, F
    no_case, no_name = found(member, "#99999999"), found(member, "查无此名")
    assert no_case["count"] == no_name["count"] == "没有找到相符的案件。"
    assert found(member, f"#{ids['D']}")["list"] == no_case["list"]
    no_pair = found(member, "无名")  # two characters: the same note of where words are read
    for q in ("孙丽", "钱小红", "乙社区", "网格2", "噪音", "书记乙"):
        got = found(member, q)
        assert got["ids"] == [] and got["list"] == (no_pair if len(q) == 2 else no_name)["list"], q
    assert found(member, st.V2)["list"] == found(member, st.CODE + "299")["list"]  # no such code
    assert found(member, "赵大明")["ids"] == [ids["A"]]  # in their grid
    assert sorted(found(member, "书记甲")["ids"]) == sorted([ids["A"], ids["B"], ids["F"]])
    secretary = sign_in(app.test_client(), "secretary2")  # village V2
    assert found(secretary, "甲村")["ids"] == [] and found(secretary, "赵大明")["ids"] == []
    assert sorted(found(secretary, "网格员一")["ids"]) == []
    assert found(secretary, "孙丽")["ids"] == [ids["D"]]


def test_hostile_input_is_answered_in_words_and_wildcards_are_literal(small):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    assert found(client, "0%")["ids"] == [ids["B"]]  # not 1000 as well
    assert found(client, "A_B")["ids"] == [ids["C"]]  # not AXB
    assert found(client, "%%")["ids"] == [] and found(client, "__")["ids"] == []
    markup = found(client, '<script>alert("x")</script>')
    assert markup["status"] == 200 and "<script>alert" not in markup["html"]
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in markup["html"]
    long = found(client, "纠" * 150)
    assert long["status"] == 400 and "查找内容不能超过 100 个字（现有 150 个）" in long["html"]
    huge = found(client, "纠" * 1000)
    assert huge["status"] == 400 and "过长" in huge["html"]
    nul = found(client, "纠纷\x00")
    assert nul["status"] == 400 and "控制字符" in nul["html"]
    many = found(client, " ".join(f"词{n}" for n in range(12)))
    assert many["status"] == 400 and "查找的词太多" in many["html"]
    twice = client.get("/cases/search?q=a&q=b")
    assert twice.status_code == 400 and "只能给一次" in twice.get_data(as_text=True)


def test_an_empty_search_says_what_to_type(small):
    app, _ids = small
    client = sign_in(app.test_client(), "center")
    for q in ("", "   ", "\u3000"):
        got = found(client, q)
        assert got["status"] == 200 and got["ids"] == []
        assert "请输入要查找的内容：案件编号" in got["list"], repr(q)
    assert client.get("/cases/search").status_code == 200


def test_the_count_stops_at_its_cap_and_the_list_at_its_length(small, conn, monkeypatch):
    app, ids = small
    client = sign_in(app.test_client(), "center")
    monkeypatch.setattr(case_search, "SHOWN", 2)
    got = found(client, "纠纷")
    assert (
        got["ids"] == [ids["E"], ids["D"]] and got["count"] == "共找到 4 件案件，显示最新的 2 件。"
    )
    monkeypatch.setattr(case_search, "COUNTED", 3)
    assert found(client, "纠纷")["count"] == "找到超过 3 件案件，显示最新的 2 件。"


def test_the_header_box_is_there_for_those_who_handle_cases_only(sign_in_as):
    for username in ("center", "leader", "gridmember"):
        assert 'id="gm-search-q"' in sign_in_as(username).get("/").get_data(as_text=True)
    for username, path in (("planner", "/planner/"), ("admin", "/admin/"), ("auditor", "/audit/")):
        client = sign_in_as(username)
        assert 'id="gm-search-q"' not in client.get(path).get_data(as_text=True), username
        assert client.get("/cases/search?q=1").status_code == 403


def test_on_the_demo_a_party_elsewhere_is_not_found_by_a_grid_member(app, client, conn):
    member = sign_in(app.test_client(), "gridmember")
    rows = conn.execute(
        """SELECT pa.name, pa.incident_id AS id FROM incident_party pa
            WHERE pa.street_code = '420114004'
              AND (SELECT count(*) FROM incident_party o WHERE o.street_code = pa.street_code
                      AND o.name = pa.name) = 1
            ORDER BY pa.incident_id LIMIT 20"""
    ).fetchall()
    # A case of another grid: its page answers the member as one that does not exist.
    row = next(r for r in rows if member.get(f"/cases/{r['id']}").status_code == 404)
    got = found(client, row["name"])
    assert got["ids"] == [row["id"]] and pii.mask_name(row["name"]) in got["why"][row["id"]]
    assert row["name"] not in got["list"]
    assert found(member, row["name"])["list"] == found(member, "查无此名")["list"]
    assert found(member, f"#{row['id']}")["list"] == found(member, "#99999999")["list"]


@pytest.fixture()
def explained(settings, demo_loaded):
    """A connection that prints its plans (auto_explain), sequential scans discouraged so the
    small demo shows the index a million incidents would use (as tests/test_query_plans.py)."""
    url = cluster.from_config(settings).url_for(cluster.ADMIN)
    plans: list[str] = []
    with psycopg.connect(url, row_factory=dict_row, autocommit=True) as conn:
        conn.add_notice_handler(lambda notice: plans.append(notice.message_primary or ""))
        conn.execute("ANALYZE incident")  # the demo's own figures, not an empty table's
        for setting in (
            "LOAD 'auto_explain'",
            "SET auto_explain.log_min_duration = 0",
            "SET auto_explain.log_level = notice",
            "SET enable_seqscan = off",
        ):
            conn.execute(setting)
        yield conn, plans


@pytest.mark.parametrize(
    ("wanted", "index"),
    [
        (search.Wanted(party_name="张三丰"), "incident_party_name_idx"),
        (search.Wanted(areas={"grid": ("420114004201001",)}), "incident_grid_time_idx"),
        (search.Wanted(areas={"village": ("420114004201",)}), "incident_village_time_idx"),
        (search.Wanted(people_areas={"unit": ("420114004201001",)}), "incident_village_time_idx"),
        (search.Wanted(people=(1,)), "incident_reporter_idx"),
        (search.Wanted(people=(1,)), "incident_event_by_person_idx"),
        (search.Wanted(people=(1,)), "incident_note_by_person_idx"),
        (search.Wanted(case_id=12), "incident_pkey"),
    ],
)
def test_each_kind_of_search_goes_by_an_index(explained, wanted, index):
    conn, plans = explained
    plans.clear()
    search.find(conn, Scope.street("420114004"), wanted, clock.now(), limit=1)
    text = "\n".join(plans)
    assert re.search(rf"Scan (Backward )?(using|on) {index}\b", text), text
    assert "Seq Scan on incident " not in text, text


def test_words_are_read_through_the_trigram_index(explained):
    """On the demo's two thousand cases the planner rightly reads them all; what must hold at
    any size is that the text searched is the index's own expression (bench/search.py shows
    the plan at a million)."""
    conn, plans = explained
    plans.clear()
    conn.execute(
        f"SELECT count(*) FROM incident i WHERE {search.TEXT} ILIKE %s",
        (search.like_pattern("噪音扰民"),),
    ).fetchone()
    assert "Bitmap Index Scan on incident_text_trgm_idx" in "\n".join(plans), plans


def test_like_patterns_take_wildcards_literally():
    assert search.like_pattern("100%") == "%100\\%%"
    assert search.like_pattern("a_b") == "%a\\_b%"
    assert search.like_pattern("c:\\") == "%c:\\\\%"
