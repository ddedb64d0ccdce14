"""The people of the six-level chain and the street's legal resources, with their assignments.

Who holds what (roles as in the ``role`` table):

* package_leader — one street leader per package area (包片党政领导);
* village_secretary — one per village (村/社区党组织书记, usually also its director: 一肩挑);
* village_cadre — two or three per village;
* group_leader — one per unit (村民小组长 / 湾组长 / 小区楼栋长); in a natural village named
  after a clan, usually someone of that clan;
* grid_member — one per grid (full-time in communities, part-time in villages);
* legal_savvy — three 法律明白人 per village, 165 in all, with their homes mapped;
* mediator — one 人民调解员 per village, home mapped;
* legal_adviser — six lawyers, one per package area, each advising its 9–10 villages.

Everyone starts on 2021-01-01 (the division's start) with no end, except a mid-2023 turnover:
the leader of one package area and the members of two grids are replaced on 2023-07-01, so that
incidents before and after that day resolve to different people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import identity, placement
from .geography import Geography
from .names import PersonNamer, clan_of
from .timeline import DIVISION_START, TURNOVER

LEADER_TITLES = (
    "街道党工委副书记",
    "街道办事处副主任",
    "街道人大工委主任",
    "街道武装部长",
    "街道纪工委书记",
    "街道党工委组织委员",
)
SUCCESSOR_TITLE = "街道党工委政法委员"
CADRE_TITLES = {
    "村": ("村党支部副书记", "村委会副主任", "村妇联主席", "村治保主任", "村会计"),
    "社区": ("社区党委副书记", "社区居委会副主任", "社区妇联主席", "社区治保主任"),
}
SECRETARY_TITLES = {"村": "村党支部书记、村委会主任", "社区": "社区党委书记、居委会主任"}
GROUP_TITLES = {"自然湾": "湾组长", "村民小组": "村民小组长", "小区": "小区楼栋长"}
GRID_TITLES = {"村": "兼职网格员", "社区": "专职网格员"}
LEGAL_SAVVY_PER_VILLAGE = 3


class Roster:
    """Collects people and their assignments as rows."""

    def __init__(self, rng: np.random.Generator, namer: PersonNamer) -> None:
        self.rng = rng
        self.namer = namer
        self.people: list[dict] = []
        self.assignments: list[dict] = []

    def hire(
        self,
        title: str,
        male_share: float = 0.5,
        clan: str | None = None,
        home: tuple[float, float] = (np.nan, np.nan),
    ) -> str:
        gender = identity.gender(self.rng, male_share)
        key = f"P{len(self.people) + 1:04d}"
        self.people.append(
            {
                "key": key,
                "name": self.namer(gender, clan),
                "gender": gender,
                "phone": identity.phone(self.rng),
                "title": title,
                "lon": home[0],
                "lat": home[1],
            }
        )
        return key

    def assign(
        self,
        key: str,
        role: str,
        scope: str,
        valid_from: pd.Timestamp = DIVISION_START,
        valid_to: pd.Timestamp | None = None,
    ) -> None:
        self.assignments.append(
            {
                "person_key": key,
                "role": role,
                "scope_code": scope,
                "valid_from": valid_from,
                "valid_to": pd.NaT if valid_to is None else valid_to,
            }
        )

    def appoint(self, role: str, scope: str, title: str, **person) -> str:
        key = self.hire(title, **person)
        self.assign(key, role, scope)
        return key

    def replace(self, role: str, scope: str, title: str, **person) -> str:
        """End the current holder's assignment at the turnover and appoint a successor."""
        old = next(
            a
            for a in self.assignments
            if a["role"] == role and a["scope_code"] == scope and a["valid_to"] is pd.NaT
        )
        old["valid_to"] = TURNOVER
        key = self.hire(title, **person)
        self.assign(key, role, scope, valid_from=TURNOVER)
        return key

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        assignments = pd.DataFrame(self.assignments)
        for column in ("valid_from", "valid_to"):
            assignments[column] = pd.to_datetime(assignments[column]).dt.tz_convert(TURNOVER.tz)
        return pd.DataFrame(self.people), assignments


def build_people(
    geo: Geography,
    turnover_grids: list[str],
    turnover_area: str,
    namer: PersonNamer,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People and assignments; ``turnover_*`` name the scopes whose holders change mid-2023."""
    roster = Roster(rng, namer)
    appoint_leaders(roster, geo)
    for village in geo.villages.itertuples():
        appoint_village(roster, geo, village)
    appoint_advisers(roster, geo)
    roster.replace("package_leader", turnover_area, SUCCESSOR_TITLE, male_share=0.6)
    for grid in turnover_grids:
        kind = geo.villages.set_index("code").at[grid[:12], "kind"]
        roster.replace("grid_member", grid, GRID_TITLES[kind], male_share=0.4)
    return roster.frames()


def appoint_leaders(roster: Roster, geo: Geography) -> None:
    for code, title in zip(geo.package_areas["code"], LEADER_TITLES, strict=True):
        roster.appoint("package_leader", code, title, male_share=0.75)


def appoint_village(roster: Roster, geo: Geography, village) -> None:
    """The secretary, cadres, group leaders, grid members and resources of one village."""
    kind, code = village.kind, village.code
    roster.appoint("village_secretary", code, SECRETARY_TITLES[kind], male_share=0.8)
    cadres = roster.rng.choice(CADRE_TITLES[kind], size=roster.rng.integers(2, 4), replace=False)
    for title in cadres:
        share = 0.0 if "妇联" in title else 0.6  # 妇联主席 chairs the women's federation
        roster.appoint("village_cadre", code, str(title), male_share=share)
    units = geo.units[geo.units["village_code"] == code]
    for unit in units.itertuples():
        clan = clan_of(unit.name) if roster.rng.random() < 0.7 else None
        title = GROUP_TITLES[unit.kind]
        roster.appoint("group_leader", unit.code, title, male_share=0.75, clan=clan)
    for grid in geo.grids.loc[geo.grids["village_code"] == code, "code"]:
        roster.appoint("grid_member", grid, GRID_TITLES[kind], male_share=0.45)
    homes = village_homes(geo, code, LEGAL_SAVVY_PER_VILLAGE + 1, roster.rng)
    for home in homes[:-1]:
        roster.appoint("legal_savvy", code, "法律明白人", home=home)
    roster.appoint(
        "mediator",
        code,
        f"{'村' if kind == '村' else '社区'}人民调解委员会调解员",
        male_share=0.7,
        home=homes[-1],
    )


def village_homes(
    geo: Geography, village_code: str, n: int, rng: np.random.Generator
) -> list[tuple[float, float]]:
    """Homes (lon, lat) of n people of a village, in units drawn by households."""
    mine = np.flatnonzero(geo.units["village_code"].to_numpy() == village_code)
    picks = mine[placement.weighted_units(geo.units["households"].to_numpy()[mine], n, rng)]
    lon, lat = placement.points_in(geo.units.geometry.to_numpy(), picks, rng)
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def appoint_advisers(roster: Roster, geo: Geography) -> None:
    """One lawyer per package area, advising each of its villages (one row per village).

    Lawyers work from firms in town, outside the street, so their homes are not mapped.
    """
    for area in geo.package_areas["code"]:
        key = roster.hire("执业律师、村（社区）法律顾问", male_share=0.6)
        for village in geo.villages.loc[geo.villages["package_area_code"] == area, "code"]:
            roster.assign(key, "legal_adviser", village)
