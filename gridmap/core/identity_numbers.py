"""Resident ID numbers (居民身份证号码) and phone numbers of parties, checked on the way in.

An ID number is GB 11643-1999's: six digits of the region, the date of birth (yyyymmdd), a
three-digit sequence (odd for men, even for women) and a check character, ISO 7064 MOD 11-2 of
the first seventeen digits (0–9 or X). The 15-digit numbers issued before 1999 are still met in
old ledgers: digits only, with the date of birth as yymmdd of the 1900s, and no check character.

A phone is a mainland mobile (1 and ten digits, the second 3–9) or a landline: an area code of
three or four digits starting with 0, then seven or eight digits, and an optional extension
(转 123, -123, ext. 123). Spaces, dashes and brackets around the area code are allowed as people
write them; the number is kept as it was written.

A value in the wrong field (an ID number in the phone field, a phone in the ID field) is the
commonest slip at a counter, and is named as such rather than as merely malformed.
"""

from __future__ import annotations

import re
from datetime import date

from gridmap.core import clock
from gridmap.core.errors import BadInput

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # the check character for each remainder mod 11

_BORN = r"(?P<m>[0-9]{2})(?P<d>[0-9]{2})[0-9]{3}"
_ID18 = re.compile(r"[1-9][0-9]{5}(?P<y>(?:18|19|20)[0-9]{2})" + _BORN + "[0-9X]")
_ID15 = re.compile(r"[1-9][0-9]{5}(?P<y>[0-9]{2})" + _BORN)
_MOBILE = re.compile(r"(?:\+?86)?1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"(?:\+?86)?0[0-9]{2,3}[0-9]{7,8}")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|-)\s*([0-9]{1,6})$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-()（）]")


def id_check(first17: str) -> str:
    """The 18th character of a resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number(value: str, label: str) -> str:
    """An ID number (18 characters, or an old 15-digit one), upper-cased; else BadInput."""
    text = value.strip().upper()
    if len(text) == 18 and (found := _ID18.fullmatch(text)):
        _birth(found, label, text, century=None)
        if id_check(text[:17]) != text[17]:
            raise BadInput(f"{label}的校验位不对（{text}）：请核对是否有数字抄错。")
        return text
    if len(text) == 15 and (found := _ID15.fullmatch(text)):
        _birth(found, label, text, century=1900)
        return text
    if _is_phone(text):
        raise BadInput(f"{label}一栏填的像是电话号码（{value.strip()}）：请填在电话一栏。")
    raise BadInput(
        f"{label}应为 18 位居民身份证号码（最后一位可为 X），或 15 位的旧号码（收到 {text!r}）。"
    )


def phone(value: str, label: str) -> str:
    """A mainland mobile or landline number, as written; else BadInput."""
    text = value.strip()
    if _is_phone(text):
        return text
    bare = text.upper()
    if (len(bare) == 18 and _ID18.fullmatch(bare)) or (len(bare) == 15 and _ID15.fullmatch(bare)):
        raise BadInput(f"{label}一栏填的像是身份证号（{text}）：请填在身份证号一栏。")
    raise BadInput(
        f"{label}应为手机号（11 位，如 13912345678）或座机号（区号加号码，如 027-84512345，"
        f"可带分机），收到 {text!r}。"
    )


def _is_phone(text: str) -> bool:
    if _plain_phone(text):
        return True
    extension = _EXTENSION.search(text)
    return extension is not None and _plain_phone(text[: extension.start()])


def _plain_phone(text: str) -> bool:
    digits = _SEPARATORS.sub("", text)
    return bool(_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits))


def _birth(found: re.Match, label: str, text: str, century: int | None) -> None:
    year = int(found["y"]) + (century or 0)
    try:
        born = date(year, int(found["m"]), int(found["d"]))
    except ValueError:
        raise BadInput(f"{label}中的出生日期不存在（{text}）：请核对。") from None
    if born > clock.now().astimezone(clock.LOCAL).date():
        raise BadInput(f"{label}中的出生日期晚于今天（{text}）：请核对。")
