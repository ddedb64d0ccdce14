"""The demo's accounts: one for every kind of account, each tied to a demo person.

Shown on the sign-in page in demo mode only (gridmap run-demo), with one shared password that
needs no change at first sign-in. A real street's accounts are created by its administrator
(the administration page, or ``gridmap accounts``), with one-time passwords.
"""

from __future__ import annotations

import pandas as pd
import psycopg

from gridmap.accounts import passwords
from gridmap.data import accounts, people

PASSWORD = "gridmap-demo-2026"
# Office staff of the street, invented for the demo (the chain's people come with the demo).
OFFICE = pd.DataFrame(
    {
        "name": ["周晓雯", "韩立国", "沈佳怡", "邓志强"],
        "gender": ["女", "男", "女", "男"],
        "phone": ["027-84981001", "027-84981002", "027-84981003", "027-84981110"],
        "title": [
            "街道综治中心值班员",
            "街道网格化管理办公室规划员",
            "街道纪工委审计员",
            "侏儒山派出所联络民警",
        ],
        "lon": [None] * 4,
        "lat": [None] * 4,
    }
)
# username, account role, what the sign-in page calls it, how its person is found.
ACCOUNTS = (
    ("admin", "admin", "系统管理员", None),
    ("center", "center", "综治中心（全街道）", "office:0"),
    ("planner", "planner", "规划人员", "office:1"),
    ("auditor", "auditor", "审计员", "office:2"),
    ("leader", "chain", "包片领导（本片区）", "package_leader"),
    ("secretary", "chain", "村书记（本村）", "village_secretary"),
    ("groupleader", "chain", "小组长（本组）", "group_leader"),
    ("gridmember", "chain", "网格员（本网格）", "grid_member"),
    ("paichusuo", "department", "联动单位（派出所）", "office:3"),
)
DEPARTMENTS = {"paichusuo": "police"}  # a 联动单位's account and its department

# The chain's demo people: the leader of the first package area, and below them, in the same
# area, a village's secretary, a unit's group leader and a grid's member, all in office now.
_CHAIN = """
WITH pa AS (SELECT a.scope_code AS code, a.person_id FROM assignment_standing a
             WHERE a.street_code = %(s)s AND a.role = 'package_leader' AND a.valid @> now()
             ORDER BY a.scope_code LIMIT 1),
     vil AS (SELECT v.code FROM village v JOIN package_area p ON p.id = v.package_area_id
              JOIN division d ON d.id = p.division_id AND d.valid @> now()
             WHERE d.street_code = %(s)s AND p.code = (SELECT code FROM pa)
             ORDER BY v.code LIMIT 1)
SELECT 'package_leader' AS role, person_id FROM pa
UNION ALL
SELECT a.role, min(a.person_id) FROM assignment_standing a
 WHERE a.street_code = %(s)s AND a.valid @> now()
   AND a.role IN ('village_secretary', 'group_leader', 'grid_member')
   AND left(a.scope_code, 12) = (SELECT code FROM vil)
 GROUP BY a.role
"""


def create(conn: psycopg.Connection, street_code: str) -> int:
    """The demo's accounts (after its people and assignments are loaded)."""
    office = people.add_people(conn, street_code, OFFICE)
    chain = {r["role"]: r["person_id"] for r in conn.execute(_CHAIN, {"s": street_code})}
    digest = passwords.hash_password(PASSWORD)
    for username, role, _what, source in ACCOUNTS:
        if source is None:
            person = None
        elif source.startswith("office:"):
            person = office[int(source.split(":")[1])]
        else:
            person = chain[source]
        accounts.create(
            conn,
            street_code,
            username,
            role,
            person,
            digest,
            must_set_password=False,
            department_code=DEPARTMENTS.get(username),
        )
    return len(ACCOUNTS)


def listed(conn: psycopg.Connection, street_code: str) -> list[dict]:
    """The demo's accounts as the sign-in page lists them."""
    what = {username: label for username, _r, label, _s in ACCOUNTS}
    return [
        {
            "username": a["username"],
            "what": what[a["username"]],
            "person_name": a["person_name"],
            "password": PASSWORD,
        }
        for a in accounts.listing(conn, street_code)
        if a["username"] in what
    ]
