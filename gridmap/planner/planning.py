"""The planner's path for boundaries: load a draft division, check it, publish it.

Publishing closes the division in force at the effective date and opens the new one; both stay
queryable. An effective date may lie in the future (a division announced ahead of time), but
not before an incident already placed on the division it replaces: that incident would then sit
in a division no longer in force when it happened.
"""

from __future__ import annotations

from datetime import datetime

import geopandas as gpd
import pandas as pd
import psycopg

from gridmap.core.errors import BadInput, Conflict, NotFound
from gridmap.data import divisions
from gridmap.geo import boundaries


def load_draft(
    conn: psycopg.Connection,
    street_code: str,
    name: str,
    package_areas: pd.DataFrame,
    villages: pd.DataFrame,
    grids: pd.DataFrame,
    units: gpd.GeoDataFrame,
    note: str = "",
) -> int:
    """Check and store a complete division as a draft; returns its id."""
    areas = boundaries.assemble(package_areas, villages, grids, units)
    with conn.transaction():
        division_id = divisions.create_draft(conn, street_code, name, note)
        divisions.insert_areas(conn, division_id, street_code, areas)
    return division_id


def publish(conn: psycopg.Connection, division_id: int, effective: datetime) -> None:
    """Put a draft in force from ``effective`` on, closing the division it replaces.

    The owner's door (a street's first division, the demo): the app's role publishes only
    through a plan (plan_publish, gridmap.planner.release), and the database checks what is
    published either way (division_refuse_problems)."""
    with conn.transaction():
        check_publishable(conn, division_id, effective)
        divisions.close_open(conn, divisions.get(conn, division_id)["street_code"], effective)
        divisions.mark_published(conn, division_id, effective)


def check_publishable(conn: psycopg.Connection, division_id: int, effective: datetime) -> None:
    """Refuse, in words, a draft that cannot go in force from ``effective``."""
    if effective.tzinfo is None:
        raise BadInput("生效时间必须带时区，例如 2024-01-01T00:00:00+08:00")
    with conn.transaction():
        draft = divisions.get(conn, division_id)
        if draft is None:
            raise NotFound(f"区划版本 {division_id} 不存在")
        if draft["status"] != "draft":
            raise Conflict(f"区划版本 {division_id} 已发布，不能再次发布")
        street = draft["street_code"]
        later = divisions.later_than(conn, street, effective)
        if later:
            raise Conflict(
                f"已有区划版本在 {later[0]['valid_from']:%Y-%m-%d} 或之后生效，"
                "新版本的生效时间必须晚于它"
            )
        for current in divisions.published(conn, street):
            newest = divisions.latest_incident_time(conn, current["id"])
            if current["valid_to"] is None and newest is not None and newest >= effective:
                raise Conflict(
                    f"生效时间 {effective:%Y-%m-%d} 早于现行区划上最新事件的发生时间"
                    f"（{newest:%Y-%m-%d %H:%M}），这些事件将失去所属区划"
                )
