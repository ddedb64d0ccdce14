"""Finding a case (查找案件): the one search box of the center and the chain.

One box takes whatever a duty officer has to hand, and the search works out what it is:

* a case number — ``123``, ``#123``, ``案件123`` — finds that case;
* otherwise the whole text is tried, at once, as the name or code of a village or grid (the
  cases placed there), as a staff member's name (the cases in the areas they answer for now,
  and those they reported or acted on), and as a party's whole name (当事人, 信访人); and its
  words as words of titles and descriptions, every one required. Chinese has no spaces, so a
  run of Chinese is one word, matched anywhere inside the text.

A party is found only by their whole name exactly as recorded, never by part of it, so the box
cannot list the people of a surname; the page shows the name masked (张*), as every page does.
Everything is read within the actor's scope: a case outside it answers exactly as one that
does not exist, and so does a number, name or area with nothing in the scope.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import psycopg

from gridmap.accounts import pii, policy
from gridmap.accounts.policy import Actor
from gridmap.core import clock, params
from gridmap.core.errors import BadInput
from gridmap.data import search

MAX_CHARS = 100  # longer than any name, number or few words a person looks for
MAX_WORDS = 8
SHOWN = 200  # rows on the page, newest first
COUNTED = 1_000  # past this the page says "more than"
# Words of fewer than three characters have no trigram, so no index finds them: they are
# sought in the newest cases only, a read bounded whatever the size of the record
# (bench/search.py: a two-character word over a million cases took 300–700 ms).
RECENT = 50_000
INDEXED = 3  # characters from which a word is found through the trigram index
MAX_CASE_ID = 2**63 - 1
# A case number as people write it: 123, #123, 案件123, 案件号 123, 123号.
_CASE = re.compile(r"^(?:#|no\.?|案件编号|案件号|案件|编号|案)?\s*([0-9]{1,19})\s*号?$", re.I)
_AREA_CODE = re.compile(r"^[0-9]{12}(?:[0-9]{3})?$")  # a village's code, or a grid's
_SEPARATORS = re.compile(r"[\s,，、;；]+")
EMPTY = (
    "请输入要查找的内容：案件编号（如 123、#123 或 案件123）、标题或描述中的词、村（社区）或"
    "网格的名称、工作人员姓名，或当事人、信访人的完整姓名。"
)
LEVEL_NAMES = {"village": "村（社区）", "grid": "网格", "unit": "小组", "package_area": "片区"}


@dataclass(frozen=True)
class Asked:
    """A search as typed, and what it can be."""

    text: str = ""  # as typed, normalised (full-width forms folded, spaces collapsed)
    case_id: int | None = None  # when it is written as a case number
    words: tuple[str, ...] = ()  # words of two characters or more, for titles and descriptions
    single: tuple[str, ...] = ()  # one-character words, left out of the text search


def parse(args) -> Asked:
    """The search of a request's ``q``, refused in words when it cannot be one."""
    return read(params.single(args, "q"))


def read(typed: str) -> Asked:
    """A search of the text typed. Full-width letters, digits and signs (#１２３, ＡＢＣ) are read
    as their plain forms, as a Chinese keyboard often sends them."""
    text = params.parse_text(typed, "查找内容", MAX_CHARS)
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    if not text:
        return Asked()
    number = _CASE.match(text)
    if number and not _AREA_CODE.match(text):
        value = int(number.group(1))
        return Asked(text, case_id=value if value <= MAX_CASE_ID else 0)
    parts = tuple(dict.fromkeys(p for p in _SEPARATORS.split(text) if p))
    if len(parts) > MAX_WORDS:
        raise BadInput(
            f"查找的词太多：最多 {MAX_WORDS} 个（收到 {len(parts)} 个），"
            "请只留下最能说明问题的几个。"
        )
    words = tuple(p for p in parts if len(p) >= 2)
    return Asked(text, words=words, single=tuple(p for p in parts if len(p) < 2))


def find(conn: psycopg.Connection, actor: Actor, asked: Asked) -> dict:
    """The cases of the actor's scope that the search names, newest first (at most
    :data:`SHOWN`), how many there are (up to :data:`COUNTED`), and what was looked for."""
    policy.require(actor, "see_incidents")
    if not asked.text:
        return {"rows": [], "total": 0, "more": False, "looked_for": [], "note": EMPTY}
    now = clock.now()
    wanted, named = _wanted(conn, actor, asked, now)
    rows, total, more = search.find(conn, actor.scope, wanted, now, SHOWN, COUNTED + 1)
    return {
        "rows": [{**r, "why": _why(r, wanted, named)} for r in rows],
        "total": min(total, COUNTED),
        "more": more,
        "looked_for": _looked_for(asked, wanted),
        "note": _note(asked, wanted),
    }


def _wanted(conn, actor: Actor, asked: Asked, now) -> tuple[search.Wanted, dict]:
    """What the search looks for, and the areas and people its text names (for the reasons)."""
    if asked.case_id is not None:
        return search.Wanted(case_id=asked.case_id), {"areas": [], "people": []}
    scope = actor.scope
    areas = search.areas_named(conn, scope, asked.text)
    people = search.people_named(conn, scope, asked.text, now)
    short = bool(asked.words) and all(len(w) < INDEXED for w in asked.words)
    wanted = search.Wanted(
        words=asked.words,
        recent=RECENT if short else None,
        areas=_by_level(areas),
        party_name=asked.text if len(asked.text) <= 50 and not _AREA_CODE.match(asked.text) else "",
        people=tuple(p["id"] for p in people),
        people_areas=_merged(p["areas"] for p in people),
    )
    return wanted, {"areas": areas, "people": people}


def _by_level(areas: list[dict]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for a in areas:
        out.setdefault(a["level"], []).append(a["code"])
    return {level: tuple(codes) for level, codes in out.items()}


def _merged(areas_of_people) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for areas in areas_of_people:
        for level, codes in areas.items():
            out.setdefault(level, set()).update(codes)
    return {level: tuple(sorted(codes)) for level, codes in out.items()}


def _why(row: dict, wanted: search.Wanted, named: dict) -> list[str]:
    """Why a case was found, in the words of the page: 案件编号, 标题/描述, 网格：…,
    当事人姓名（张*）, 人员 王五：现负责区域…"""
    why = []
    if wanted.case_id is not None:
        why.append("案件编号")
    if row["m_text"]:
        why.append("标题/描述")
    for area in named["areas"]:
        if row[search.AREA_COLUMNS[area["level"]]] == area["code"]:
            why.append(f"{LEVEL_NAMES[area['level']]}：{area['name']}")
    masked = pii.mask_name(wanted.party_name)
    why += [f"{role}姓名（{masked}）" for role in row["party_roles"]]
    for person in named["people"]:
        what = []
        if _in_areas(row, person["areas"]):
            what.append(f"现负责区域（{person['roles']}）")
        if row["reported_by"] == person["id"]:
            what.append("上报人")
        if person["id"] in row["acted_by"]:
            what.append("经办人")
        if what:
            why.append(f"人员 {person['name']}：" + "、".join(what))
    return why


def _in_areas(row: dict, areas: dict) -> bool:
    return any(row[search.AREA_COLUMNS[level]] in codes for level, codes in areas.items())


def _looked_for(asked: Asked, wanted: search.Wanted) -> list[str]:
    if asked.case_id is not None:
        return ["案件编号"]
    out = ["标题/描述"] if wanted.words else []
    out += ["村（社区）或网格的名称、编码", "工作人员姓名"]
    if wanted.party_name:
        out.append("当事人完整姓名")
    return out


def _note(asked: Asked, wanted: search.Wanted) -> str:
    if wanted.recent:
        return (
            f"两个字的词只在最近的 {RECENT:,} 件案件的标题、描述中查找；"
            "输入三个字以上的词（如完整的地名、事由），可查找全部案件。"
        )
    if asked.single and not asked.words:
        return (
            "单个字不作为标题、描述中的检索词（当事人须输入完整姓名）；"
            "请输入至少两个字的词，或案件编号。"
        )
    if asked.single:
        return "单个字「" + "」「".join(asked.single) + "」未作为标题、描述中的检索词。"
    return ""
