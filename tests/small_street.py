"""A small street built in the tests (mapit style): four square units in two villages.

y=30.02 +---------+---------+
        |   U3    |   U4    |      V1 = U1 + U3 (grid G1)
        | V1 / G1 | V2 / G3 |      V2 = U2 (grid G2) + U4 (grid G3)
y=30.01 +---------+---------+      P1 = V1, P2 = V2
        |   U1    |   U2    |
        | V1 / G1 | V2 / G2 |      division "B" moves U4 into G2 and drops G3
y=30.00 +---------+---------+
      x=114.00  114.01    114.02
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from gridmap.accounts import passwords
from gridmap.data import accounts, people, streets
from gridmap.demo import accounts as demo_accounts
from gridmap.planner import planning

CODE = "420114999"
V1, V2 = CODE + "201", CODE + "202"
U1, U3 = V1 + "001", V1 + "002"
U2, U4 = V2 + "001", V2 + "002"
G1, G2, G3 = V1 + "001", V2 + "001", V2 + "002"
X0, Y0, S = 114.00, 30.00, 0.01


def square(col: int, row: int) -> shapely.Polygon:
    x, y = X0 + col * S, Y0 + row * S
    return shapely.box(x, y, x + S, y + S)


def frames(moved: bool = False, grid_names: dict | None = None):
    package_areas = pd.DataFrame({"code": [CODE + "-P1", CODE + "-P2"], "name": ["一片", "二片"]})
    villages = pd.DataFrame(
        {
            "code": [V1, V2],
            "name": ["甲村", "乙社区"],
            "kind": ["村", "社区"],
            "package_area_code": [CODE + "-P1", CODE + "-P2"],
        }
    )
    grid_codes = [G1, G2] if moved else [G1, G2, G3]
    grids = pd.DataFrame(
        {
            "code": grid_codes,
            "name": [(grid_names or {}).get(c, f"网格{c[-1]}") for c in grid_codes],
            "village_code": [c[:12] for c in grid_codes],
        }
    )
    units = gpd.GeoDataFrame(
        {
            "code": [U1, U3, U2, U4],
            "name": ["张家湾", "李家台", "幸福小区", "和平小区"],
            "kind": ["自然湾", "自然湾", "小区", "小区"],
            "village_code": [V1, V1, V2, V2],
            "grid_code": [G1, G1, G2, G2 if moved else G3],
            "households": [40, 30, 300, 250],
            "population": [120, 90, 900, 760],
            "geometry": [square(0, 0), square(0, 1), square(1, 0), square(1, 1)],
        },
        crs=4326,
    )
    return package_areas, villages, grids, units


def create(
    owner,
    published_from: str = "2020-01-01T00:00:00+08:00",
    app=None,
    grid_names=None,
    with_accounts: bool = True,
) -> int:
    """Replace the small street (committed), through a connection as the owner role, since
    purging a street is the owner's door; returns the id of its first (published) division.

    ``app``, the test's own connection, is rolled back first: a transaction of its that holds
    the street's rows would keep the purge waiting. ``with_accounts=False`` leaves out the
    accounts (a database at an older migration has not their columns yet).
    """
    if app is not None:
        app.rollback()
    owner.rollback()
    with owner.transaction():
        streets.purge(owner, CODE)
        streets.upsert(owner, CODE, "测试街道", synthetic=True)
        division = planning.load_draft(owner, CODE, "A", *frames(grid_names=grid_names))
        planning.publish(owner, division, pd.Timestamp(published_from).to_pydatetime())
        staff = pd.DataFrame(
            {
                "name": [
                    "包一",
                    "包二",
                    "书记甲",
                    "书记乙",
                    "组长一",
                    "组长三",
                    "组长二",
                    "组长四",
                    "网格员一",
                    "网格员二",
                    "网格员三",
                    "网格员二接任",
                ],
                "gender": ["男"] * 12,
                "phone": [None] * 12,
                "title": [""] * 12,
                "lon": [None] * 12,
                "lat": [None] * 12,
            }
        )
        ids = dict(zip(staff["name"], people.add_people(owner, CODE, staff), strict=True))
        t0, t1 = pd.Timestamp("2019-01-01T00:00+08:00"), pd.Timestamp("2021-07-01T00:00+08:00")
        rows = [
            ("包一", "package_leader", CODE + "-P1", t0, pd.NaT),
            ("包二", "package_leader", CODE + "-P2", t0, pd.NaT),
            ("书记甲", "village_secretary", V1, t0, pd.NaT),
            ("书记乙", "village_secretary", V2, t0, pd.NaT),
            ("组长一", "group_leader", U1, t0, pd.NaT),
            ("组长三", "group_leader", U3, t0, pd.NaT),
            ("组长二", "group_leader", U2, t0, pd.NaT),
            ("组长四", "group_leader", U4, t0, pd.NaT),
            ("网格员一", "grid_member", G1, t0, pd.NaT),
            ("网格员二", "grid_member", G2, t0, t1),
            ("网格员二接任", "grid_member", G2, t1, pd.NaT),
            ("网格员三", "grid_member", G3, t0, pd.NaT),
        ]
        frame = pd.DataFrame(rows, columns=["who", "role", "scope_code", "valid_from", "valid_to"])
        people.assign(owner, CODE, frame.assign(person_id=frame["who"].map(ids)))
        digest = passwords.hash_password(demo_accounts.PASSWORD)
        for username, role, who in ACCOUNTS if with_accounts else ():
            department = "police" if role == "department" else None  # 派出所
            accounts.create(owner, CODE, username, role, ids.get(who), digest, False, department)
    owner.commit()
    return division


# Accounts of the small street (the demo's password): the whole street, and people of the chain.
ACCOUNTS = (
    ("center", "center", "包二"),
    ("leader1", "chain", "包一"),
    ("secretary2", "chain", "书记乙"),
    ("grouper1", "chain", "组长一"),
    ("member1", "chain", "网格员一"),
    ("member2old", "chain", "网格员二"),
    ("admin", "admin", None),
    ("planner", "planner", "书记甲"),
    ("planner2", "planner", "书记乙"),
    ("auditor", "auditor", "书记甲"),
    ("police1", "department", "包二"),
)
