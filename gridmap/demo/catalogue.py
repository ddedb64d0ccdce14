"""The official list of the street's villages and communities, and its package areas.

The names and 12-digit codes are real (国家统计局 2023 统计用区划代码); they ship with the
package as ``zhurushan_units_nbs2023.csv`` so the demo never reads anything outside ``gridmap``.

The ``pianqu`` column names the three administrative areas of the street: 侏儒山 (the old
township, 36 villages and communities), 洪北片区 (10) and 成功片区 (9). For 包片 work the street
splits 侏儒山 into four package areas of nine, so there are six package areas in all, each with
one leader and nine or ten villages.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

STREET_CODE = "420114004"
STREET_NAME = "侏儒山街道"
CSV_NAME = "zhurushan_units_nbs2023.csv"

#: The three administrative areas in the order they are grown, with the number of package
#: areas each is split into and the names those package areas get.
ADMIN_AREAS: dict[str, list[str]] = {
    "侏儒山": ["侏儒山一片", "侏儒山二片", "侏儒山三片", "侏儒山四片"],
    "洪北片区": ["洪北片区"],
    "成功片区": ["成功片区"],
}


@dataclass(frozen=True)
class Member:
    """One village (村) or community (社区) as the statistics bureau lists it."""

    code: str
    name: str
    kind: str  # '村' | '社区'
    admin_area: str  # the csv's pianqu

    @property
    def is_community(self) -> bool:
        return self.kind == "社区"


def read_members() -> list[Member]:
    """The 55 villages and communities, in the csv's (official) order."""
    text = resources.files(__package__).joinpath(CSV_NAME).read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    members = [Member(r["nbs_code"], r["name"], r["kind"], r["pianqu"]) for r in rows]
    unknown = {m.admin_area for m in members} - ADMIN_AREAS.keys()
    if unknown:
        raise ValueError(f"{CSV_NAME}: unknown pianqu {sorted(unknown)}")
    return members


def package_area_code(serial: int) -> str:
    """Package areas have no official code; the demo numbers them under the street's."""
    return f"{STREET_CODE}-P{serial}"
