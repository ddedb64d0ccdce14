"""Loading the demo street into PostGIS through the same paths real data takes.

The division goes through the planner's draft → publish path, people through the data layer,
incidents through the bulk loader with its validation and attribution. The whole load is one
transaction: a failure leaves the previous state untouched.
"""

from __future__ import annotations

import psycopg

from gridmap import incidents, planning
from gridmap.data import demo as demo_data
from gridmap.data import incidents as incident_data
from gridmap.data import people, streets
from gridmap.placement import Placement


def is_loaded(conn: psycopg.Connection, street_code: str = "420114004") -> bool:
    street = streets.get(conn, street_code)
    return bool(street and street["synthetic"] and demo_data.hotspots(conn, street_code))


def load_demo(conn: psycopg.Connection, placement: Placement | None = None) -> dict:
    """Replace the demo street with a freshly generated one; returns headline figures."""
    from gridmap.demo import build

    demo = build()
    placement = placement or Placement()
    code = demo.street_code
    with conn.transaction():
        streets.purge(conn, code)
        streets.upsert(conn, code, demo.street_name, synthetic=True)
        division = planning.load_draft(
            conn,
            code,
            "示意区划（2021 年起）",
            demo.package_areas,
            demo.villages,
            demo.grids,
            demo.units,
            note="示意数据：边界为虚构",
        )
        planning.publish(conn, division, demo.division_valid_from.to_pydatetime())
        ids = people.add_people(conn, code, demo.people)
        person_of = dict(zip(demo.people["key"], ids, strict=True))
        people.assign(
            conn,
            code,
            demo.assignments.assign(person_id=demo.assignments["person_key"].map(person_of)),
        )
        result = incidents.load(conn, placement, code, demo.incidents, source="示意数据")
        incident_ids = incidents.incident_ids(conn, code, result)
        parties = demo.parties.assign(
            incident_id=[incident_ids[i] for i in demo.parties["incident_index"]]
        )
        incident_data.add_parties(conn, code, parties)
        incident_data.set_reporters_to_grid_members(conn, code, result.batch_id)
        demo_data.insert_hotspots(conn, code, demo.hotspots)
    return {
        "村（社区）": len(demo.villages),
        "网格": len(demo.grids),
        "单元": len(demo.units),
        "户数": int(demo.units["households"].sum()),
        "人员": len(demo.people),
        "事件": result.rows,
    }
