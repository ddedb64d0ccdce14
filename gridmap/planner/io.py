"""A plan's village to and from files, for the planner's page and ``gridmap plans``.

An upload goes through the very path of a page save (gridmap.planner.body.content, then save): the
same checks, the same refusals, a new revision on the draft it was read against. What a file
cannot say is kept from the draft: the grid members of a grid that is already there, the units'
edges, households and names. A download is the draft as it stands, in the formats an upload
reads, so that a planner can edit it outside the app and bring it back.
"""

from __future__ import annotations

import geopandas as gpd
import shapely

from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.core.errors import BadInput
from gridmap.planner import body as plan_body
from gridmap.planner import check as plancheck
from gridmap.planner import files as planfiles
from gridmap.planner import plans

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


def import_file(
    conn,
    actor: Actor,
    plan_id: int,
    village_code: str,
    data: bytes,
    filename: str,
    rules: plans.Rules,
) -> tuple[int, plancheck.Check]:
    """Save the village's plan as the file gives it; returns (revision, check)."""
    plans.author(actor, "edit_plan")
    base = plans.draft(conn, actor.scope, plan_id, village_code)
    imported = planfiles.read_plan(data, filename, village_code, base.units[["code", "geometry"]])
    new = plan_body.content(base, _body(base, imported))
    return plans.save(conn, actor, base, new, rules)


def _body(base: plans.Draft, imported: planfiles.Imported) -> dict:
    """What a page would send for this assignment. A CSV names no grid (its "name" is the
    code): a grid already in the draft keeps its name then, a new one gets the default."""
    old = {g["code"]: g for g in base.grids}
    grids = []
    for code in sorted(set(imported.assignment.values())):
        given = imported.names.get(code, code)
        name = given if given and given != code else old.get(code, {}).get("name")
        grids.append({"code": code, "name": name, "members": old.get(code, {}).get("members", [])})
    units = [{"code": c, "grid": imported.assignment[c]} for c in base.units["code"]]
    return {"grids": grids, "units": units}


def export(conn, scope: Scope, plan_id: int, village_code: str, fmt: str) -> tuple[bytes, str, str]:
    """The village's draft as a file: (content, mimetype, download filename)."""
    if fmt not in MIMETYPES:
        raise BadInput("导出格式只能是 csv、geojson 或 gpkg")
    d = plans.draft(conn, scope, plan_id, village_code)
    filename = f"plan{plan_id}-{village_code}.{fmt}"
    if fmt == "csv":
        assignment = dict(zip(d.units["code"], d.units["grid_code"], strict=True))
        return planfiles.export_csv(assignment), MIMETYPES[fmt], filename
    grids = grid_shapes(d)
    write = planfiles.export_geojson if fmt == "geojson" else planfiles.export_gpkg
    return write(grids), MIMETYPES[fmt], filename


def grid_shapes(d: plans.Draft) -> gpd.GeoDataFrame:
    """Each grid of the draft as the union of its units. A grid without units has no shape
    and is left out: a file with it could not be uploaded again (it would be refused)."""
    rows, shapes = [], []
    for g in d.grids:
        mine = d.units[d.units["grid_code"] == g["code"]]
        if not len(mine):
            continue
        rows.append(
            {
                "code": g["code"],
                "name": g["name"],
                "village_code": d.village["code"],
                "households": int(mine["households"].sum()),
                "population": int(mine["population"].sum()),
            }
        )
        # A saved draft's units are a valid coverage: the fast union is the exact one.
        shapes.append(shapely.coverage_union_all(mine.geometry.values))
    return gpd.GeoDataFrame(rows, columns=planfiles.EXPORT_COLUMNS[:-1], geometry=shapes, crs=4326)
