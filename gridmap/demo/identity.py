"""Synthetic phone numbers and resident ID numbers (居民身份证号码).

Phone numbers use real mobile prefixes with "0000" in the middle block, which no carrier hands
out to subscribers in practice, so they read as obviously made up. ID numbers follow
GB 11643-1999: the six-digit region code of 蔡甸区 (420114), the date of birth, a three-digit
sequence whose last digit is odd for men and even for women, and the ISO 7064 MOD 11-2 check
character. They are valid in form and belong to nobody the demo knows of.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from gridmap.core.identity_numbers import id_check  # the check every entry point makes

MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "155",
    "158",
    "177",
    "180",
    "186",
    "187",
    "189",
    "199",
)
REGION = "420114"  # 蔡甸区
REFERENCE_DAY = dt.date(2023, 12, 31)  # ages are counted on the report date, not today


def phone(rng: np.random.Generator) -> str:
    return f"{rng.choice(MOBILE_PREFIXES)}0000{rng.integers(0, 10_000):04d}"


def id_number(gender: str, rng: np.random.Generator, age: tuple[int, int] = (20, 80)) -> str:
    """An 18-digit resident ID number of someone born in 蔡甸区 of the given gender and age."""
    days = int(rng.integers(age[0] * 365, age[1] * 365))
    born = REFERENCE_DAY - dt.timedelta(days=days)
    sequence = int(rng.integers(0, 500)) * 2 + (1 if gender == "男" else 0)
    first17 = f"{REGION}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check(first17)


def gender(rng: np.random.Generator, male_share: float = 0.5) -> str:
    return "男" if rng.random() < male_share else "女"
