"""The synthetic demo street (gridmap.demo.build): pure, no database.

The street is built once per module; the determinism test builds it again.
"""

from __future__ import annotations

import csv
import io
import time
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from gridmap.demo import DemoStreet, build

pytestmark = pytest.mark.filterwarnings("error")
TZ = "Asia/Shanghai"
SNAPSHOT = pd.Timestamp("2024-01-01", tz=TZ)
TURNOVER = pd.Timestamp("2023-07-01", tz=TZ)
SEAT = (113.8380, 30.4417)
SINGLE_HOLDER_ROLES = ("package_leader", "village_secretary", "group_leader")
FINAL = {
    "dispute": {"resolved", "referred"},
    "mediation": {"agreement", "no_agreement"},
    "petition": {"closed"},
    "enforcement": {"closed"},
    "legal_consultation": {"done"},
    "legal_checkup": {"done"},
    "legal_publicity": {"done"},
    "enforcement_training": {"done"},
}
DISPUTE_CATEGORIES = {
    "neighbour",
    "land",
    "family",
    "labour",
    "contract",
    "acquisition",
    "damage",
    "other",
}
CATEGORIES = {
    "dispute": DISPUTE_CATEGORIES,
    "mediation": DISPUTE_CATEGORIES,
    "legal_consultation": DISPUTE_CATEGORIES,
    "petition": {
        "acquisition",
        "rural_affairs",
        "social_security",
        "construction",
        "environment",
        "law",
        "other",
    },
    "enforcement": {"city_management", "work_safety", "environment"},
    "legal_checkup": {"village"},
    "legal_publicity": {"civil_code", "constitution", "anti_fraud", "other"},
    "enforcement_training": {"training"},
}
STATUSES = {
    "dispute": {"found", "mediating", "resolved", "referred"},
    "mediation": {"accepted", "mediating", "agreement", "no_agreement"},
    "petition": {"registered", "accepted", "handled", "closed"},
    "enforcement": {"opened", "investigated", "decided", "closed"},
}


@pytest.fixture(scope="module")
def timed() -> tuple[DemoStreet, float]:
    start = time.perf_counter()
    street = build()
    return street, time.perf_counter() - start


@pytest.fixture(scope="module")
def street(timed) -> DemoStreet:
    return timed[0]


@pytest.fixture(scope="module")
def metric(street):
    """Units in metres (EPSG:4547, the CRS the demo is built in)."""
    return street.units.to_crs("EPSG:4547")


@pytest.fixture(scope="module")
def located(street) -> pd.DataFrame:
    """Incidents with the unit, grid and village each point falls in."""
    polygons = street.units.geometry.to_numpy()
    tree = shapely.STRtree(polygons)
    points = shapely.points(street.incidents["lon"], street.incidents["lat"])
    which, unit = tree.query(points, predicate="within")
    assert np.array_equal(which, np.arange(len(points))), "every point lies in exactly one unit"
    units = street.units.iloc[unit]
    return street.incidents.assign(
        unit_code=units["code"].to_numpy(),
        grid_code=units["grid_code"].to_numpy(),
        village_code=units["village_code"].to_numpy(),
    )


def union_of(units, mask) -> shapely.Geometry:
    return shapely.coverage_union_all(units.geometry.to_numpy()[np.asarray(mask)])


def holders(assignments: pd.DataFrame, role: str, scope: str, at: pd.Timestamp) -> list[str]:
    rows = assignments[(assignments["role"] == role) & (assignments["scope_code"] == scope)]
    live = (rows["valid_from"] <= at) & (rows["valid_to"].isna() | (at < rows["valid_to"]))
    return sorted(rows.loc[live, "person_key"])


# --- the build as a whole ----------------------------------------------------------------------


def test_builds_quickly(timed):
    assert timed[1] < 5.0


def test_deterministic(street):
    again = build()
    for name in (
        "package_areas",
        "villages",
        "grids",
        "people",
        "assignments",
        "incidents",
        "parties",
        "hotspots",
    ):
        pd.testing.assert_frame_equal(getattr(street, name), getattr(again, name), obj=name)
    pd.testing.assert_frame_equal(
        street.units.drop(columns="geometry"), again.units.drop(columns="geometry")
    )
    assert list(shapely.to_wkb(street.units.geometry)) == list(shapely.to_wkb(again.units.geometry))
    assert street.division_valid_from == again.division_valid_from


def test_seed_changes_the_geometry(street):
    other = build(7)
    assert list(other.villages["code"]) == list(street.villages["code"])
    assert list(shapely.to_wkb(other.units.geometry)) != list(shapely.to_wkb(street.units.geometry))


def test_identity(street):
    assert street.street_code == "420114004"
    assert street.street_name == "侏儒山街道"
    assert street.division_valid_from == pd.Timestamp("2021-01-01", tz=TZ)
    assert str(street.division_valid_from.tz) == TZ


# --- the division --------------------------------------------------------------------------------


def test_villages_are_the_official_list(street):
    text = (
        resources.files("gridmap.demo")
        .joinpath("zhurushan_units_nbs2023.csv")
        .read_text(encoding="utf-8")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 55
    villages = street.villages
    assert list(villages["code"]) == [r["nbs_code"] for r in rows]
    assert list(villages["name"]) == [r["name"] for r in rows]
    assert list(villages["kind"]) == [r["kind"] for r in rows]
    assert villages["code"].str.fullmatch(r"\d{12}").all()


def test_package_areas(street):
    areas, villages = street.package_areas, street.villages
    assert list(areas["code"]) == [f"420114004-P{i}" for i in range(1, 7)]
    assert list(areas["name"]) == [
        "侏儒山一片",
        "侏儒山二片",
        "侏儒山三片",
        "侏儒山四片",
        "洪北片区",
        "成功片区",
    ]
    assert set(villages["package_area_code"]) == set(areas["code"])
    sizes = villages.groupby("package_area_code").size()
    assert list(sizes) == [9, 9, 9, 9, 10, 9]
    name_of = dict(zip(areas["code"], areas["name"], strict=True))
    rows = csv.DictReader(
        io.StringIO(
            resources.files("gridmap.demo")
            .joinpath("zhurushan_units_nbs2023.csv")
            .read_text(encoding="utf-8")
        )
    )
    pianqu = {r["nbs_code"]: r["pianqu"] for r in rows}
    for code, area in zip(villages["code"], villages["package_area_code"], strict=True):
        assert name_of[area].startswith(pianqu[code].removesuffix("片区"))


def test_area(street, metric):
    assert metric.area.sum() / 1e6 == pytest.approx(178.55, rel=0.005)
    geodesic = sum(
        abs(Geod(ellps="GRS80").geometry_area_perimeter(g)[0]) for g in street.units.geometry
    )
    assert geodesic / 1e6 == pytest.approx(178.55, rel=0.005)


def test_units_are_a_valid_gap_free_coverage(street, metric):
    polygons = street.units.geometry.to_numpy()
    assert street.units.crs.to_epsg() == 4326
    assert (shapely.get_type_id(polygons) == 3).all(), "every unit is one Polygon"
    assert shapely.is_valid(polygons).all()
    assert shapely.coverage_is_valid(polygons)
    assert shapely.coverage_is_valid(metric.geometry.to_numpy())
    street_polygon = shapely.coverage_union_all(polygons)
    assert street_polygon.geom_type == "Polygon" and not street_polygon.interiors
    whole = shapely.coverage_union_all(metric.geometry.to_numpy())
    assert abs(whole.area - metric.area.sum()) < 1e-9 * whole.area


def test_unit_counts_and_sizes(street, metric):
    assert 500 <= len(street.units) <= 700
    km2 = metric.area / 1e6
    assert km2.min() > 0.02
    rural = (street.units["kind"] != "小区").to_numpy()
    assert km2[~rural].median() < km2[rural].median(), "community units are smaller"


def test_every_village_grid_and_package_area_is_one_piece(street):
    units = street.units
    for code in street.villages["code"]:
        assert union_of(units, units["village_code"] == code).geom_type == "Polygon", code
    for code in street.grids["code"]:
        assert union_of(units, units["grid_code"] == code).geom_type == "Polygon", code
    area_of = dict(zip(street.villages["code"], street.villages["package_area_code"], strict=True))
    unit_area = units["village_code"].map(area_of)
    for code in street.package_areas["code"]:
        assert union_of(units, unit_area == code).geom_type == "Polygon", code


def test_grids(street):
    grids, units = street.grids, street.units
    per_village = grids.groupby("village_code").size()
    assert set(per_village.index) == set(street.villages["code"])
    assert per_village.between(2, 6).all()
    assert grids["code"].is_unique
    assert (grids["code"].str[:12] == grids["village_code"]).all()
    assert grids["code"].str[12:].isin([f"{i:03d}" for i in range(1, 7)]).all()
    village_name = dict(zip(street.villages["code"], street.villages["name"], strict=True))
    for grid in grids.itertuples():
        assert grid.name == f"{village_name[grid.village_code]}第{int(grid.code[12:])}网格"
    assert set(units["grid_code"]) == set(grids["code"])
    rural = units[units["kind"] != "小区"].groupby("grid_code").size()
    assert rural.between(1, 4).all()


def test_unit_codes_names_kinds(street):
    units = street.units
    assert units["code"].str.fullmatch(r"\d{15}").all()
    assert units["code"].is_unique
    assert (units["code"].str[:12] == units["village_code"]).all()
    assert (units["grid_code"].str[:12] == units["village_code"]).all()
    assert not set(units["code"]) & set(street.grids["code"])
    kind_of = dict(zip(street.villages["code"], street.villages["kind"], strict=True))
    community = units["village_code"].map(kind_of) == "社区"
    assert (units.loc[community, "kind"] == "小区").all()
    assert units.loc[~community, "kind"].isin(["村民小组", "自然湾"]).all()
    assert (units.loc[~community, "kind"] == "自然湾").mean() > 0.5
    assert not units.duplicated(["village_code", "name"]).any()


def test_households_and_population(street):
    units = street.units
    assert units["households"].sum() == pytest.approx(25_000, rel=0.03)
    ratio = units["population"].sum() / units["households"].sum()
    assert 2.8 <= ratio <= 3.3
    assert (units["population"] / units["households"]).between(2.8, 3.3).all()
    town = units["kind"] == "小区"
    assert units.loc[town, "households"].between(150, 400).all()
    assert units.loc[~town, "households"].between(25, 80).all()
    assert units["households"].dtype.kind == "i" and units["population"].dtype.kind == "i"


def test_seat_is_in_zhuru_community(street):
    inside = shapely.contains_xy(street.units.geometry.to_numpy(), *SEAT)
    assert inside.sum() == 1
    assert street.units.loc[inside, "village_code"].item() == "420114004001"


# --- people and assignments --------------------------------------------------------------------


def test_people(street):
    people = street.people
    assert people["key"].is_unique
    assert people["gender"].isin(["男", "女"]).all()
    assert people["phone"].str.fullmatch(r"1\d{10}").all()
    assert (people["title"].str.len() > 0).all()
    assigned = set(street.assignments["person_key"])
    assert assigned == set(people["key"])


def test_role_counts(street):
    a, units, grids = street.assignments, street.units, street.grids
    now = pd.Timestamp("2023-12-31 12:00", tz=TZ)
    live = a[(a["valid_from"] <= now) & (a["valid_to"].isna() | (now < a["valid_to"]))]
    per_scope = live.groupby(["role", "scope_code"]).size()
    assert set(per_scope["package_leader"].index) == set(street.package_areas["code"])
    assert set(per_scope["village_secretary"].index) == set(street.villages["code"])
    assert set(per_scope["group_leader"].index) == set(units["code"])
    assert set(per_scope["grid_member"].index) == set(grids["code"])
    assert set(per_scope["mediator"].index) == set(street.villages["code"])
    for role in ("package_leader", "village_secretary", "group_leader", "grid_member", "mediator"):
        assert (per_scope[role] == 1).all(), role
    assert per_scope["village_cadre"].between(2, 3).all()
    assert len(per_scope["village_cadre"]) == 55
    savvy = a[a["role"] == "legal_savvy"]
    assert len(savvy) == 165 and savvy["person_key"].is_unique
    assert savvy.groupby("scope_code").size().between(2, 4).all()
    advisers = a[a["role"] == "legal_adviser"]
    assert advisers["scope_code"].is_unique and set(advisers["scope_code"]) == set(
        street.villages["code"]
    )
    assert 5 <= advisers["person_key"].nunique() <= 7
    assert advisers.groupby("person_key").size().between(8, 11).all()


def test_assignment_times(street):
    a = street.assignments
    for column in ("valid_from", "valid_to"):
        assert str(a[column].dt.tz) == TZ
    start = pd.Timestamp("2021-01-01", tz=TZ)
    assert (a["valid_from"] >= start).all()
    assert ((a["valid_from"] == start) | (a["valid_from"] == TURNOVER)).all()
    assert (a["valid_to"].isna() | (a["valid_to"] > a["valid_from"])).all()


def test_single_holder_periods_never_overlap(street):
    a = street.assignments
    for role in SINGLE_HOLDER_ROLES:
        for scope, rows in a[a["role"] == role].groupby("scope_code"):
            rows = rows.sort_values("valid_from")
            ends = rows["valid_to"].fillna(pd.Timestamp("2100-01-01", tz=TZ)).tolist()
            starts = rows["valid_from"].tolist()
            assert all(end <= nxt for end, nxt in zip(ends[:-1], starts[1:], strict=True)), (
                role,
                scope,
            )


def test_turnover_in_2023(street):
    a = street.assignments
    ended = a[a["valid_to"].notna()]
    assert (ended["valid_to"] == TURNOVER).all()
    assert sorted(ended["role"]) == ["grid_member", "grid_member", "package_leader"]
    for row in ended.itertuples():
        before = holders(a, row.role, row.scope_code, TURNOVER - pd.Timedelta(seconds=1))
        after = holders(a, row.role, row.scope_code, TURNOVER)
        assert before == [row.person_key] and len(after) == 1 and after != before


def test_incidents_resolve_to_the_holder_of_their_time(street, located):
    a = street.assignments
    changed = a[a["valid_to"].notna() & (a["role"] == "grid_member")]["scope_code"]
    for grid in changed:
        here = located[located["grid_code"] == grid]
        early = here[here["occurred_at"] < TURNOVER]
        late = here[here["occurred_at"] >= TURNOVER]
        assert len(early) and len(late), "the changed grids have incidents on both sides"
        first = {tuple(holders(a, "grid_member", grid, t)) for t in early["occurred_at"]}
        second = {tuple(holders(a, "grid_member", grid, t)) for t in late["occurred_at"]}
        assert len(first) == len(second) == 1 and first != second
    area = a[a["valid_to"].notna() & (a["role"] == "package_leader")]["scope_code"].item()
    area_of = dict(zip(street.villages["code"], street.villages["package_area_code"], strict=True))
    here = located[located["village_code"].map(area_of) == area]
    who = {t < TURNOVER: tuple(holders(a, "package_leader", area, t)) for t in here["occurred_at"]}
    assert len(who) == 2 and who[True] != who[False]


def test_resource_homes_are_in_their_village(street):
    a, people, units = street.assignments, street.people.set_index("key"), street.units
    for role in ("legal_savvy", "mediator"):
        for row in a[a["role"] == role].itertuples():
            lon, lat = people.loc[row.person_key, ["lon", "lat"]]
            village = union_of(units, units["village_code"] == row.scope_code)
            assert shapely.contains_xy(village, lon, lat), (role, row.person_key)
    others = a[~a["role"].isin(["legal_savvy", "mediator"])]["person_key"]
    assert people.loc[others.unique(), "lon"].isna().all()


# --- incidents -----------------------------------------------------------------------------------


def test_calibrated_totals(street):
    inc = street.incidents
    count = inc.groupby(["kind", "status"]).size()
    assert count["dispute"]["resolved"] == 700
    assert count["dispute"].get("referred", 0) == pytest.approx(15, abs=5)
    assert 1 <= count["dispute"].get("found", 0) + count["dispute"].get("mediating", 0) <= 10
    assert count["mediation"].sum() == 42
    assert count["mediation"]["agreement"] == 41 and count["mediation"]["no_agreement"] == 1
    assert 80 <= count["petition"].sum() <= 100
    assert 130 <= count["enforcement"].sum() <= 170
    assert count["legal_consultation"].to_dict() == {"done": 25}
    assert count["legal_publicity"].to_dict() == {"done": 17}
    assert count["enforcement_training"].to_dict() == {"done": 15}
    assert count["legal_checkup"]["done"] == pytest.approx(20, abs=3)


def test_resolved_disputes_are_resolved_in_2023(street):
    inc = street.incidents
    resolved = inc[(inc["kind"] == "dispute") & (inc["status"] == "resolved")]
    assert (
        resolved["closed_at"]
        .between(pd.Timestamp("2023-01-01", tz=TZ), SNAPSHOT, inclusive="left")
        .all()
    )
    still_open = inc[(inc["kind"] == "dispute") & inc["status"].isin(["found", "mediating"])]
    assert (still_open["occurred_at"] >= pd.Timestamp("2023-12-01", tz=TZ)).all()


def test_codes_of_kinds_categories_and_statuses(street):
    inc = street.incidents
    assert set(inc["kind"]) == set(CATEGORIES)
    for kind, rows in inc.groupby("kind"):
        assert set(rows["category"]) <= CATEGORIES[kind], kind
        assert set(rows["status"]) <= STATUSES.get(kind, {"done"}), kind
    assert (inc["title"].str.len().between(4, 40)).all()
    assert (inc["description"].str.len() > 0).all()


def test_times(street):
    inc = street.incidents
    for column in ("occurred_at", "reported_at", "due_at", "closed_at"):
        assert str(inc[column].dt.tz) == TZ, column
    year_start = pd.Timestamp("2023-01-01", tz=TZ)
    assert inc["occurred_at"].between(year_start, SNAPSHOT, inclusive="left").all()
    assert inc["occurred_at"].is_monotonic_increasing
    assert (inc["reported_at"] >= inc["occurred_at"]).all()
    assert (inc["reported_at"] < SNAPSHOT).all()
    closed = inc["closed_at"].notna()
    assert (inc.loc[closed, "closed_at"] >= inc.loc[closed, "reported_at"]).all()
    assert (inc.loc[closed, "closed_at"] < SNAPSHOT).all()
    final = np.array([s in FINAL[k] for k, s in zip(inc["kind"], inc["status"], strict=True)])
    assert np.array_equal(final, closed.to_numpy()), "closed_at is set exactly for final statuses"
    workflow = inc["kind"].isin(["dispute", "mediation", "petition", "enforcement"])
    assert inc.loc[workflow, "due_at"].notna().all()
    assert inc.loc[~workflow, "due_at"].isna().all()


def test_seasons(street):
    inc = street.incidents
    month = inc["occurred_at"].dt.month
    family = inc[(inc["kind"] == "dispute") & (inc["category"] == "family")]
    per_month = family["occurred_at"].dt.month.value_counts().reindex(range(1, 13), fill_value=0)
    assert per_month[[1, 2]].mean() > 1.8 * per_month[[6, 7, 8]].mean()
    land = inc[(inc["kind"] == "dispute") & (inc["category"] == "land")]
    spring = land["occurred_at"].dt.month.between(3, 5).sum()
    winter = land["occurred_at"].dt.month.isin([12, 1, 2]).sum()
    assert spring > 2 * winter
    assert month.nunique() == 12


def test_petitions(street):
    inc = street.incidents
    petitions = inc[inc["kind"] == "petition"]
    assert (petitions["due_at"] - petitions["occurred_at"] == pd.Timedelta(days=60)).all()
    details = pd.DataFrame(list(petitions["details"]))
    assert set(details.columns) == {"channel", "repeat"}
    assert details["channel"].isin(["来访", "来信", "电话", "网上"]).all()
    assert details["repeat"].map(type).eq(bool).all() and 5 <= details["repeat"].sum() <= 25
    open_ = petitions[petitions["status"] != "closed"]
    overdue = open_[open_["due_at"] < SNAPSHOT - pd.Timedelta(days=60)]
    assert 4 <= len(overdue) <= 8
    assert (open_[open_["due_at"] < SNAPSHOT].index.isin(overdue.index)).all()


def test_enforcement_details(street):
    inc = street.incidents
    enforcement = inc[inc["kind"] == "enforcement"]
    details = pd.DataFrame(list(enforcement["details"]))
    assert details["action"].isin(["检查", "责令整改", "行政处罚"]).all()
    assert details["legal_basis"].str.fullmatch(r"《.+》").all()


def test_trainings_at_the_seat(street):
    training = street.incidents[street.incidents["kind"] == "enforcement_training"]
    assert np.allclose(training[["lon", "lat"]].to_numpy(), SEAT)


def test_every_incident_is_inside_the_street(street, located):
    assert len(located) == len(street.incidents)
    assert street.incidents[["lon", "lat"]].notna().all().all()


def test_parties(street):
    parties, inc = street.parties, street.incidents
    assert parties["incident_index"].between(0, len(inc) - 1).all()
    kinds = inc["kind"].to_numpy()[parties["incident_index"]]
    assert set(kinds) == {"dispute", "mediation", "petition"}
    per = parties.groupby("incident_index").size()
    with_parties = inc.index[inc["kind"].isin(["dispute", "mediation", "petition"])]
    assert set(per.index) == set(with_parties) and per.between(1, 2).all()
    assert parties["role"].isin(["当事人", "信访人", "被申请人"]).all()
    assert set(parties.loc[kinds == "petition", "role"]) == {"信访人"}
    assert parties["phone"].str.fullmatch(r"1\d{10}").all()
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    for number in parties["id_number"]:
        assert len(number) == 18 and number[:17].isdigit()
        total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
        assert number[17] == "10X98765432"[total % 11]


def test_repeat_petitions_name_the_same_person(street):
    inc, parties = street.incidents, street.parties
    repeat = [
        i for i, d in enumerate(inc["details"]) if inc["kind"].iat[i] == "petition" and d["repeat"]
    ]
    petitioners = parties[parties["role"] == "信访人"]
    first = petitioners[~petitioners["incident_index"].isin(repeat)]
    again = petitioners[petitioners["incident_index"].isin(repeat)]
    assert len(again) and again["id_number"].isin(first["id_number"]).all()


# --- planted hotspots ----------------------------------------------------------------------------


def test_hotspot_table(street):
    spots = street.hotspots
    assert list(spots.columns) == ["name", "pattern", "kind", "category", "grid_codes", "months"]
    assert len(spots) >= 3 and spots["name"].is_unique
    assert {"persistent", "diminishing"} <= set(spots["pattern"])
    assert set(spots["pattern"]) & {"new", "consecutive", "intensifying"}
    grids = set(street.grids["code"])
    for spot in spots.itertuples():
        assert spot.kind == "dispute"
        assert 2 <= len(spot.grid_codes) <= 4 and set(spot.grid_codes) <= grids
        assert len({g[:12] for g in spot.grid_codes}) <= 2
        assert all(1 <= m <= 12 for m in spot.months)
        units = street.units
        assert union_of(units, units["grid_code"].isin(spot.grid_codes)).geom_type == "Polygon"


def test_hotspots_are_far_apart(street, metric):
    shapes = [
        union_of(metric, metric["grid_code"].isin(codes)) for codes in street.hotspots["grid_codes"]
    ]
    for i, a in enumerate(shapes):
        for b in shapes[i + 1 :]:
            assert a.distance(b) > 2000


def test_hotspot_grids_stand_out(street, located, metric):
    disputes = located[located["kind"] == "dispute"]
    count = disputes.groupby("grid_code").size().reindex(street.grids["code"], fill_value=0)
    area = metric.assign(km2=metric.area / 1e6).groupby("grid_code")["km2"].sum()
    density = count / area
    for spot in street.hotspots.itertuples():
        assert (count[spot.grid_codes] >= 4 * count.median()).all(), spot.name
        assert (density[spot.grid_codes] >= 3 * density.median()).all(), spot.name


def test_hotspot_patterns_in_time(street, located):
    disputes = located[located["kind"] == "dispute"]
    for spot in street.hotspots.itertuples():
        mine = disputes[
            disputes["grid_code"].isin(spot.grid_codes) & (disputes["category"] == spot.category)
        ]
        per_month = mine["occurred_at"].dt.month.value_counts().reindex(range(1, 13), fill_value=0)
        if spot.pattern == "persistent":
            assert (per_month >= 4).all()
        elif spot.pattern in ("new", "consecutive", "intensifying"):
            assert per_month[1:8].sum() <= 4 and per_month[12] > per_month[9] >= 4
        elif spot.pattern == "diminishing":
            # falling all year, still above the background in December
            assert per_month[1:4].min() >= 10 and per_month[12] >= 3
            assert per_month[1:3].mean() > 2 * per_month[10:12].mean()
