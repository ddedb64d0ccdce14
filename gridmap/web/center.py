"""The governance center (综治中心): the hotspot map, its filters and the hotspot table.

The same page serves everyone who follows cases: the center sees the street; a person of the
six-level chain sees their own areas (their scope, from their assignments now), with their
name, their counts and their overdue cases. The statistics stay the street's.
"""

from __future__ import annotations

from urllib.parse import urlencode

import shapely
from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user

import layers
from gridmap.cases import service as cases_service
from gridmap.center import filters, hotwords
from gridmap.center import service as center_service
from gridmap.center.analysis import Analysis
from gridmap.core import params
from gridmap.store import backup, db
from gridmap.web import access, mapping, users

bp = Blueprint("center", __name__, url_prefix="/center")
CELLS_NAME = "高发地块（500 米方格）"
METRICS = {"rate": "每千户事件数", "count": "事件数"}
# The hotspot panel's words, as class names of their colours (static/gridmap.css).
WORD_CLASSES = {
    hotwords.PERSISTENT: "persistent",
    hotwords.HIGH: "high",
    hotwords.NEW: "new",
    hotwords.EASING: "easing",
}


@bp.get("/")
@access.requires("see_incidents")
def page():
    scope = users.scope()
    metric = params.choice(request.args, "metric", "着色指标 metric", METRICS, "rate")
    focus = params.integer(request.args, "focus", "案件编号 focus", lo=1)
    with db.connection() as conn:
        # ?focus=ID (the case page's link back to the map): the map opens at that case.
        at = cases_service.focus(conn, users.actor(), focus) if focus else None
        p = center_service.page(
            conn, current_app.extensions["gridmap.analyst"], users.actor(), request.args
        )
    f, result, pas, vills = p.filters, p.analysis, p.package_areas, p.villages
    visible = {g["package_area_code"] for g in result.grids.to_dict("records")}
    shown_villages = {g["village_code"] for g in result.grids.to_dict("records")}
    shown_villages |= {u["village_code"] for u in p.units}  # a group leader's village
    if not scope.whole:  # the areas of the person's grids, and figures only for whole ones
        pas = [p for p in pas if p["code"] in visible]
        vills = [v for v in vills if v["code"] in shown_villages]
        whole = [
            v
            for v in vills
            if scope.allows_grid(
                {"village_code": v["code"], "package_area_code": v["package_area_code"]}
            )
        ]
    else:
        whole = vills
    grids = center_service.narrowed(result.grids, f)
    m = _map(grids, result, pas, whole, p.resources, f, metric, p.units)
    _ground(m, vills, grids, p.units)
    return render_template(
        "center.html",
        street=p.street,
        f=f,
        ref=p.reference,
        metric=metric,
        map=mapping.components(m, collapsed=True),
        categories=sorted(
            {(c, n) for (k, c), n in p.reference["categories"].items() if k in f.kinds}
        ),
        package_areas=pas,
        villages=vills,
        states=filters.STATES,
        total=p.unit_total if scope.by_unit else (int(grids["count"].sum()) if len(grids) else 0),
        hotspots=_table(grids),
        too_few=result.too_few,
        too_few_words=hotwords.TOO_FEW,
        min_events=hotwords.MIN_EVENTS,
        scope_name=_scope_name(f, pas, vills),
        scope=scope,
        mine=p.mine,
        person=current_user.display_name,
        backup_words=backup.status_words(current_app.config) if scope.whole else None,
        focus=at and {**at, "url": url_for("cases.page", incident_id=at["id"])},
    )


def _map(grids, result: Analysis, pas, vills, resources, f, metric, units):
    colours = {
        pa["code"]: layers.common.PALETTE[i % len(layers.common.PALETTE)]
        for i, pa in enumerate(pas)
    }
    # The map opens on what the person answers for: their grids, or a group leader's units.
    outlines = (
        list(grids["geojson"]) or [u["geojson"] for u in units] or [result.division["boundary"]]
    )
    west, south, east, north = shapely.total_bounds(shapely.from_geojson(outlines))
    m = mapping.new_map(current_app.config, [[south, west], [north, east]])
    rows = grids.assign(parent=grids["village_name"]).to_dict("records")
    registry = layers.REGISTRY
    rates, rate_legend = registry["grid_rates"].build(rows, metric)
    village_rates, village_legend = registry["grid_rates"].build(
        _village_rows(grids, vills), metric, level="村（社区）"
    )
    spots = registry["hotspots"].build(rows)
    cells = registry["hotspots"].build(
        result.cells.to_dict("records"), CELLS_NAME, show=False, only_hot=True
    )
    trends = registry["emerging"].build(rows)
    heat = registry["heat"].build(result.heat)
    for layer in (
        rates,
        village_rates,
        spots,
        cells,
        trends,
        heat,
        registry["package_areas"].build(pas, colours),
        registry["resources"].build(resources),
    ):
        layer.add_to(m)
    cluster, loader = registry["incidents"].build(
        url_for("api.incidents_in_view") + "?" + _query(f), case_base=_case_base()
    )
    cluster.add_to(m)
    m.add_child(loader)
    m.add_child(registry["incidents"].legend(cluster))
    if len(grids):  # a group leader's map holds no grid: no grid's legend either
        hot_title = f"高发网格：{hotwords.TOO_FEW}" if result.too_few else "高发网格"
        for legend in (
            rate_legend,
            village_legend,
            registry["hotspots"].legend(spots, hot_title, result.too_few),
            registry["hotspots"].legend(cells, CELLS_NAME, result.too_few),
            registry["emerging"].legend(set(grids["trend_word"]), trends),
            registry["heat"].legend(heat),
        ):
            m.add_child(legend)
    return m


def _ground(m, vills: list[dict], grids, units: list[dict]) -> None:
    """What the map is read by: a group leader's units outlined, and the place names (villages
    always, grids once zoomed in)."""
    if units:
        layers.REGISTRY["units"].build(units).add_to(m)
    group, labels = layers.REGISTRY["labels"].build(
        vills, grids[["name", "geojson"]].to_dict("records"), units
    )
    group.add_to(m)
    m.add_child(labels)


def _case_base() -> str:
    """The address of a case's page without its id (``/cases/``): the popups add the id."""
    return url_for("cases.page", incident_id=0).removesuffix("0")


def _village_rows(grids, vills) -> list[dict]:
    """Grid counts and households summed per village, on the village outlines."""
    sums = grids.groupby("village_code")[["count", "households"]].sum()
    rows = []
    for v in vills:
        if v["code"] not in sums.index:
            continue
        count, households = (int(x) for x in sums.loc[v["code"]])
        rows.append(
            {
                "code": v["code"],
                "name": v["name"],
                "parent": v["package_area_name"],
                "geojson": v["geojson"],
                "count": count,
                "households": households,
                "rate": 1000 * count / households if households else 0.0,
            }
        )
    return rows


def _query(f: filters.Filters) -> str:
    return urlencode(f.query(), doseq=True)


def _table(grids) -> list[dict]:
    """One row per significant hotspot grid (a Gi* hot spot after the FDR correction, with
    incidents of its own), in words, the statistics beside them for a tooltip."""
    hot = grids[grids["word"] != hotwords.NONE]
    hot = hot.sort_values(["gi_bin", "z", "count"], ascending=False)
    return [
        {
            **r,
            "word_class": WORD_CLASSES[r["word"]],
            "sure": hotwords.SURE[int(r["gi_bin"])],
            "details": hotwords.details(r),
        }
        for r in hot.to_dict("records")
    ]


def _scope_name(f, pas, vills) -> str:
    if f.village:
        return next((v["name"] for v in vills if v["code"] == f.village), f.village)
    if f.package_area:
        return next((p["name"] for p in pas if p["code"] == f.package_area), f.package_area)
    return ""
