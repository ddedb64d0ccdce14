"""Loading the demo street into PostGIS through the same paths real data takes.

The division goes through the planner's draft → publish path, people through the data layer,
incidents through the bulk loader with its validation and attribution, and what followed 2023
(gridmap.demo.present) through the workflow's own calls, transition by transition. The whole
load is one transaction: a failure leaves the previous state untouched. It runs as the owner
role, since replacing the street purges it first.
"""

from __future__ import annotations

import pandas as pd
import psycopg

from gridmap.accounts import pii
from gridmap.core import clock, config
from gridmap.data import demo as demo_data
from gridmap.data import incidents as incident_data
from gridmap.data import links, people, streets, workflow
from gridmap.demo import accounts as demo_accounts
from gridmap.geo.placement import Placement
from gridmap.intake import load as incidents
from gridmap.planner import planning

PRESENT_SEED = 20261201


def is_loaded(conn: psycopg.Connection, street_code: str = "420114004") -> bool:
    street = streets.get(conn, street_code)
    return bool(street and street["synthetic"] and demo_data.hotspots(conn, street_code))


def load_demo(
    conn: psycopg.Connection,
    placement: Placement | None = None,
    today: pd.Timestamp | None = None,
    pii_key: bytes | None = None,
) -> dict:
    """Replace the demo street with a freshly generated one, up to ``today`` (now by default);
    returns headline figures. ``pii_key``: the key of the parties' ID-number hashes (by default
    the one the settings give, gridmap.accounts.pii.key_of)."""
    from gridmap.demo import build

    demo = build()
    key = pii_key or pii.key_of(config.load())
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
        incident_data.add_parties(conn, code, parties, key)
        incident_data.set_reporters_to_grid_members(conn, code, result.batch_id)
        demo_data.insert_hotspots(conn, code, demo.hotspots)
        demo_accounts.create(conn, code)
        now = load_present(conn, placement, demo, result.batch_id, today, key)
    demo_data.refresh_statistics(conn)
    return {
        "村（社区）": len(demo.villages),
        "网格": len(demo.grids),
        "单元": len(demo.units),
        "户数": int(demo.units["households"].sum()),
        "人员": len(demo.people),
        "2023 年事件": result.rows,
        "近 12 个月事件": now,
    }


def deadlines(conn, street_code: str):
    """The street's deadlines as the demo's plan asks for them (gm_due, the one definition)."""

    def due(kind: str, status: str, since: pd.Timestamp, registered: pd.Timestamp):
        found = workflow.due(conn, street_code, kind, status, since, registered)
        return pd.Timestamp(found).tz_convert("Asia/Shanghai")

    return due


def load_present(
    conn, placement, demo, batch_2023: int, today: pd.Timestamp | None, key: bytes
) -> int:
    """2024's follow-up of the cases open at the end of 2023, and the twelve months up to
    ``today``, through the workflow; returns the number of those months' cases."""
    from gridmap.demo import present

    code = demo.street_code
    today = pd.Timestamp(clock.now()).tz_convert("Asia/Shanghai") if today is None else today
    open_cases = pd.DataFrame(demo_data.open_cases(conn, code, batch_2023))
    plan = present.plan(demo.scene, open_cases, today, PRESENT_SEED, deadlines(conn, code))
    workflow.transition_all(
        conn,
        code,
        [(int(m.incident), m.to_status, m.at, None, m.reason) for m in plan.follow_up.itertuples()],
    )
    result = incidents.load(conn, placement, code, plan.cases, source="示意数据（近 12 个月）")
    ids = incidents.incident_ids(conn, code, result)
    incident_data.add_parties(
        conn, code, plan.parties.assign(incident_id=ids[plan.parties["case"]]), key
    )
    incident_data.set_reporters_to_grid_members(conn, code, result.batch_id)
    members = demo_data.reporters(conn, code, result.batch_id)
    steps = pd.concat(
        [plan.moves.assign(what="move"), plan.extensions.assign(what="extend")], ignore_index=True
    ).sort_values(["at", "what"], kind="stable")
    for step in steps.itertuples():
        incident = int(ids[step.case])
        # A grid member works the disputes of their grid; petitions and enforcement are the
        # center's (whose staff are not among the demo's people).
        by = members.get(incident) if plan.cases.at[step.case, "kind"] == "dispute" else None
        if step.what == "move":
            workflow.transition_all(
                conn, code, [(incident, step.to_status, step.at, by, step.reason)]
            )
        else:
            workflow.extend(conn, code, incident, int(step.days), at=step.at, reason=step.reason)
    for link in plan.links.itertuples():
        links.add(
            conn,
            code,
            int(ids[link.from_case]),
            int(ids[link.to_case]),
            link.link,
            at=link.at,
            note=link.note,
        )
    return result.rows
