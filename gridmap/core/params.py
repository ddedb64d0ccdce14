"""Parameters on the way in: one parser per kind of value.

A parameter is read the same way wherever it appears (the API, the governance center's page,
the command line), and a value that is not exactly of its kind is refused with a message for
a person, never bent into something else: ``zoom=abc`` is not 14, ``lon=11_3.838`` is not
113.838, ``overdue=yes`` is not "no". A single-valued parameter given twice is refused too,
since which of the two the caller meant cannot be guessed.

Each kind has a parser of one text (``parse_*``, for the command line and for parts of a value
such as the four numbers of a ``bbox``) and a reader of a request's values that adds their
rules: absent or empty means the default, repeated is refused. A source is a query string or a
form (a MultiDict) or a JSON body (a dict), read alike: the views never parse a value themselves.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, datetime

import pandas as pd

from gridmap.core import identity_numbers, timewindow
from gridmap.core.errors import BadInput
from gridmap.core.timewindow import quoted, spaced

# Nothing gridmap reads from a query string is longer than this (codes, dates and a bbox are
# well under 100 characters); a longer value is a mistake or an attack, and is refused before
# anything else reads it. The count bounds a query string that ticks every kind and category.
MAX_LENGTH = 200
MAX_VALUES = 100

# Plain decimal numbers: no exponent, no underscores, no inf/nan, no full-width digits — all of
# which Python's float() would accept.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_ID = 2**31 - 1
_BOOLEANS = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}


def check_request(args) -> None:
    """Refuse a query string with too many values or a value that is too long."""
    values = list(args.items(multi=True))
    if len(values) > MAX_VALUES:
        raise BadInput(f"参数过多：最多 {MAX_VALUES} 个，收到 {len(values)} 个。")
    for name, value in values:
        if len(name) > MAX_LENGTH or len(value) > MAX_LENGTH:
            raise BadInput(
                f"参数 {quoted(name)} 过长：每个参数最多 {MAX_LENGTH} 个字符"
                f"（收到 {max(len(name), len(value))} 个）。"
            )


def single(args, name: str) -> str:
    """The one value of ``name``, stripped; "" when it is absent or empty."""
    values = args.getlist(name)
    if len(values) > 1:
        raise BadInput(f"参数 {name} 只能给一次，收到 {len(values)} 个值。")
    value = values[0].strip() if values else ""
    if len(value) > MAX_LENGTH:
        raise BadInput(f"参数 {name} 过长：最多 {MAX_LENGTH} 个字符。")
    return value


# --- values of forms and JSON bodies ---------------------------------------------------------


def json_object(value: object) -> dict:
    """A request's JSON body (as Flask's get_json(silent=True) gives it): an object, or refused."""
    if not isinstance(value, dict):
        raise BadInput("请求体应为 JSON 对象（Content-Type: application/json）。")
    return value


def raw(source, name: str) -> object:
    """The one value of ``name`` in a form (a MultiDict; given twice is refused) or a JSON body
    (a dict), as it was sent; None when absent."""
    if hasattr(source, "getlist"):
        values = source.getlist(name)
        if len(values) > 1:
            raise BadInput(f"{name} 只能给一次，收到 {len(values)} 个值。")
        return values[0] if values else None
    return source.get(name)


def text(source, name: str, label: str, limit: int, required: bool = False) -> str:
    """A text of at most ``limit`` characters, stripped ("" when absent or empty)."""
    value = raw(source, name)
    if value is not None and not isinstance(value, str):
        raise BadInput(f"{label}应为文字。")
    return parse_text(value or "", label, limit, required)


def parse_text(value: str, label: str, limit: int, required: bool = False) -> str:
    """Text typed by a person (a form, a JSON body, an argument of a command), stripped.

    Refused, besides too long or missing: NUL, which PostgreSQL cannot store in text, and a
    lone UTF-16 surrogate (``\\ud800``, which a JSON body may carry as an escape), which is no
    character and cannot be written as UTF-8."""
    value = value.strip()
    if required and not value:
        raise BadInput(f"请填写{label}。")
    if len(value) > limit:
        raise BadInput(f"{label}不能超过 {limit} 个字（现有 {len(value)} 个）。")
    if "\x00" in value:
        raise BadInput(f"{label}含有无法保存的控制字符（NUL）。")
    if _SURROGATE.search(value):
        raise BadInput(f"{label}含有无效的字符（不成对的 UTF-16 代理码位），请删去后重新输入。")
    return value


def measure(source, name: str, label: str) -> float:
    """A number that must be given: a JSON number, or text written as :func:`parse_number` reads
    it."""
    value = raw(source, name)
    if isinstance(value, bool) or value is None or value == "":
        raise BadInput(f"请提供{label}（数字）。")
    number = float(value) if isinstance(value, int | float) else parse_number(str(value), label)
    if number != number or number in (float("inf"), float("-inf")):
        raise BadInput(f"{label}应为有限的数字。")
    return number


def identifier(source, name: str, label: str, required: bool = True) -> int | None:
    """A record's number (人员编号 and the like): digits only; None when absent and optional."""
    value = raw(source, name)
    if isinstance(value, int) and not isinstance(value, bool):
        return parse_identifier(str(value), label)
    value = value.strip() if isinstance(value, str) else value
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{label}应为数字编号。")
    return parse_identifier(value, label)


def parse_identifier(text: str, label: str) -> int:
    """A record's number from text: 1 … 2 147 483 647, the range of PostgreSQL's ``integer``
    that numbers people, accounts, plans and assignments, so that what a check accepts the
    database can store."""
    t = str(text).strip()
    if not t.isascii() or not t.isdigit() or len(t) > 10 or not 0 < int(t) <= MAX_ID:
        raise BadInput(f"{spaced(label)}应为数字编号（1～{MAX_ID}），收到 {quoted(text)}。")
    return int(t)


def is_identifier(value: object) -> bool:
    """Whether a JSON value is a record's number (an integer 1 … MAX_ID, not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def id_number(source, name: str, label: str) -> str | None:
    """A resident ID number (gridmap.core.identity_numbers); None when absent."""
    value = text(source, name, label, 18 + 2)
    return identity_numbers.id_number(value, label) if value else None


def phone(source, name: str, label: str) -> str | None:
    """A mainland mobile or landline number (gridmap.core.identity_numbers); None when absent."""
    value = text(source, name, label, 30)
    return identity_numbers.phone(value, label) if value else None


def when(source, name: str, label: str, required: bool = True) -> datetime | None:
    """A moment written as every time gridmap reads (gridmap.core.timewindow), in the window of
    query dates; None when absent and optional."""
    value = text(source, name, label, MAX_LENGTH, required=required)
    return parse_query_moment(value, label) if value else None


# --- numbers ---------------------------------------------------------------------------------


def parse_number(text: str, label: str, lo: float | None = None, hi: float | None = None) -> float:
    t = str(text).strip()
    if len(t) > 40 or not _NUMBER.fullmatch(t):
        raise BadInput(
            f"{spaced(label)}必须是数字（如 113.838，半角，不用科学计数法），收到 {quoted(text)}。"
        )
    value = float(t)
    _check_range(value, label, lo, hi)
    return value


def number(args, name: str, label: str, lo=None, hi=None, default=None) -> float | None:
    text = single(args, name)
    return parse_number(text, label, lo, hi) if text else default


def parse_numbers(values: pd.Series) -> pd.Series:
    """A column of numbers read as :func:`parse_number` reads one (NaN where a value is not a
    plain decimal number), vectorised for a ledger's million rows.

    pandas reads the column in one pass; only when some value holds a character a plain
    decimal cannot (an exponent, "inf", a full-width digit) are the values matched one by one.
    """
    numbers = pd.to_numeric(values, errors="coerce")
    if pd.api.types.is_numeric_dtype(values):
        return numbers.astype(float)
    given = values.dropna()
    if not _plain_characters("".join(map(str, given.to_numpy(dtype=object)))):
        plain = given.astype(str).str.strip().str.fullmatch(_NUMBER.pattern)
        numbers = numbers.where(plain.reindex(values.index, fill_value=False).astype(bool))
    return numbers.astype(float)


def _plain_characters(text: str) -> bool:
    """Whether ``text`` holds only digits, signs, points and spaces (bytes ops: C speed)."""
    try:
        return not text.encode("ascii").translate(None, b"0123456789.+- ")
    except UnicodeEncodeError:
        return False


def parse_integer(text: str, label: str, lo: int | None = None, hi: int | None = None) -> int:
    t = str(text).strip()
    if not _INTEGER.fullmatch(t):
        raise BadInput(f"{spaced(label)}必须是整数，收到 {quoted(text)}。")
    value = int(t)
    _check_range(value, label, lo, hi)
    return value


def integer(args, name: str, label: str, lo=None, hi=None, default=None) -> int | None:
    text = single(args, name)
    return parse_integer(text, label, lo, hi) if text else default


def _check_range(value: float, label: str, lo, hi) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise BadInput(f"{spaced(label)}超出范围：应在 {lo}～{hi} 之间，收到 {value:g}。")


# --- yes or no -------------------------------------------------------------------------------


def parse_boolean(text: str, label: str) -> bool:
    value = _BOOLEANS.get(str(text).strip().lower())
    if value is None:
        raise BadInput(f"{spaced(label)}只能是 1/0、true/false 或 on/off，收到 {quoted(text)}。")
    return value


def boolean(args, name: str, label: str, default: bool = False) -> bool:
    text = single(args, name)
    return parse_boolean(text, label) if text else default


# --- times (read by gridmap.core.timewindow, checked against its window) --------------------------


def parse_query_day(text: str, label: str) -> date:
    day = timewindow.parse_day(text, label, timewindow.day_range())
    return timewindow.check_day(day, label)


def day(args, name: str, label: str) -> date | None:
    text = single(args, name)
    return parse_query_day(text, label) if text else None


def parse_query_moment(text: str, label: str) -> datetime:
    moment = timewindow.parse_moment(text, label, timewindow.day_range())
    return timewindow.check_query_moment(moment, label)


def moment(args, name: str, label: str) -> datetime | None:
    text = single(args, name)
    return parse_query_moment(text, label) if text else None


def bbox(args, name: str = "bbox") -> tuple[float, float, float, float] | None:
    """A map view ``west,south,east,north`` in degrees; None when not given."""
    text = single(args, name)
    return parse_bbox(text) if text else None


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    if len(parts) != 4:
        raise BadInput("bbox 应为“西,南,东,北”四个经纬度数值")
    west, south, east, north = (parse_number(v, "bbox 的每一项") for v in parts)
    if not (
        west < east
        and south < north
        and -180 <= west
        and east <= 180
        and -90 <= south
        and north <= 90
    ):
        raise BadInput("bbox 范围无效：应满足 西<东、南<北，且在经纬度范围内")
    return west, south, east, north


# --- codes -----------------------------------------------------------------------------------


def choice(args, name: str, label: str, choices: Mapping[str, str], default: str) -> str:
    """One of a few fixed values; ``choices`` maps each to its name for the message."""
    text = single(args, name) or default
    if text not in choices:
        allowed = "、".join(f"{code}（{shown}）" for code, shown in choices.items())
        raise BadInput(f"{spaced(label)}只能是 {allowed}，收到 {quoted(text)}。")
    return text


def code(args, name: str, label: str, known: Collection[str]) -> str:
    """A code that must exist (a package area, a village); "" when not given."""
    text = single(args, name)
    if text and text not in known:
        raise BadInput(f"未知的{label}：{quoted(text)}")
    return text


def codes(args, name: str, label: str, known: Collection[str]) -> tuple[str, ...]:
    """Several codes (``kind=dispute&kind=petition``), each of which must exist."""
    values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
    if unknown := [v for v in values if v not in known]:
        raise BadInput(f"未知的{label}：{'、'.join(quoted(v) for v in unknown[:10])}")
    return values
