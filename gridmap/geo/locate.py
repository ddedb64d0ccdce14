"""Which street, package area, village, grid and people cover a point — mapit's "areas covering
this point", for one moment (now by default; any past moment answers with the division and the
people in force then)."""

from __future__ import annotations

from datetime import datetime

import psycopg

from gridmap.core.clock import iso_local
from gridmap.data import areas, people
from gridmap.geo.placement import Placement


def locate(
    conn: psycopg.Connection,
    placement: Placement,
    street_code: str,
    lon: float,
    lat: float,
    at: datetime,
) -> dict:
    return locate_with_snapshot(conn, placement, street_code, lon, lat, at)[0]


def locate_with_snapshot(
    conn: psycopg.Connection,
    placement: Placement,
    street_code: str,
    lon: float,
    lat: float,
    at: datetime,
) -> tuple[dict, dict]:
    """The answer of :func:`locate`, and the snapshot columns an incident placed there stores."""
    snap = placement.place_one(conn, street_code, lon, lat, at)
    ctx = areas.unit_context(conn, snap["unit_id"])
    codes = {
        "package_area": ctx["package_area_code"],
        "village": ctx["village_code"],
        "unit": ctx["unit_code"],
        "grid": ctx["grid_code"],
    }
    chain = people.responsible(conn, street_code, at, codes)
    answer = {
        "point": {"lon": lon, "lat": lat, "crs": "EPSG:4326"},
        "at": iso_local(at),
        "synthetic": ctx["synthetic"],
        "division": {
            "id": ctx["division_id"],
            "name": ctx["division_name"],
            "valid_from": iso_local(ctx["division_valid_from"]),
            "valid_to": iso_local(ctx["division_valid_to"]),
        },
        "street": {"code": ctx["street_code"], "name": ctx["street_name"]},
        "package_area": {"code": ctx["package_area_code"], "name": ctx["package_area_name"]},
        "village": {
            "code": ctx["village_code"],
            "name": ctx["village_name"],
            "kind": ctx["village_kind"],
        },
        "grid": {
            "code": ctx["grid_code"],
            "name": ctx["grid_name"],
            "households": ctx["grid_households"],
            "population": ctx["grid_population"],
        },
        "unit": {
            "code": ctx["unit_code"],
            "name": ctx["unit_name"],
            "kind": ctx["unit_kind"],
            "households": ctx["unit_households"],
            "population": ctx["unit_population"],
        },
        "people": [
            {
                "role": p["role"],
                "role_name": p["role_name"],
                "level": p["level"],
                "name": p["name"],
                "title": p["title"],
                "phone": p["phone"],  # their work contact, to call
            }
            for p in chain
        ],
    }
    return answer, snap
