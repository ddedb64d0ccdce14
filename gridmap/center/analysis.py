"""The governance center's analysis of one filter set: counts and rates per grid, Gi* hot and
cold spots on the grids and on a 500 m fishnet, each grid's emerging pattern over months, and
a kernel density surface.

Incidents are aggregated in PostGIS (counts per grid and month, counts per 100 m bin); the
statistics run on those few thousand numbers with :mod:`gridmap.center.stats`. Hot spots are
computed over the whole street even when the view is narrowed to one package area, so that a
leader's view shows the same hot spots as the street's, without edge effects at the area's border.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import psycopg
import shapely

from gridmap.accounts.scope import Scope
from gridmap.center import hotwords
from gridmap.center.filters import Filters
from gridmap.center.stats import emerging, gistar, kde, weights
from gridmap.center.stats.fishnet import Fishnet
from gridmap.core.errors import NotFound
from gridmap.data import areas, tally

FINE = 100.0  # metres: about the bins PostGIS counts in (migration 0013: 96 m × 99.5 m here)
CELL = 500.0  # metres: the fishnet on which Gi* finds finer patterns than grids
KDE_CELL, BANDWIDTH = 200.0, 800.0  # metres: heat raster and quartic kernel radius
HEAT_FLOOR = 0.04  # heat cells below this share of the peak are left out of the page


@dataclass
class Analysis:
    division: dict
    at: datetime
    grids: pd.DataFrame  # one row per grid of the division, with statistics
    cells: pd.DataFrame  # significant fishnet cells: geojson, count, z, p, gi_bin
    heat: list[tuple[float, float, float]]  # (lat, lon, weight 0–1)
    total: int
    # Fewer incidents in the street than a hot spot analysis needs (hotwords.MIN_EVENTS):
    # every grid is then "not significant", and the page says why instead of labelling any.
    too_few: bool = False


class Analyst:
    """Spatial weights of each published division's grids, built once (divisions never change)."""

    def __init__(self) -> None:
        self._weights: dict[int, object] = {}
        self._lock = threading.Lock()

    def grid_weights(self, division_id: int, geojson: list[str]):
        with self._lock:
            if division_id not in self._weights:
                geoms = shapely.from_geojson(geojson)
                self._weights[division_id] = weights.to_sparse(weights.polygon_weights(geoms))
            return self._weights[division_id]

    def analyse(
        self,
        conn: psycopg.Connection,
        scope: Scope,
        f: Filters,
        now: datetime,
        detail: bool = True,
    ) -> Analysis:
        """Statistics for one filter set; ``detail`` adds the fishnet and the heat surface.

        The statistics are the street's (no edge effects at an area's border); what is returned
        is only what ``scope`` may see: its grids, the fishnet cells and heat inside them, and
        their total. A scope of units (a group leader) sees no grid's figures, since a grid
        holds other units' incidents too."""
        street_code = scope.street_code
        at = min(now, f.end - timedelta(microseconds=1))
        division = areas.in_force(conn, street_code, at)
        if division is None:
            raise NotFound(f"{at:%Y-%m-%d} 没有生效的网格划分。")
        street_wide = replace(f, package_area="", village="")
        street = Scope.street(street_code)  # for the statistics only, never returned as such
        grids = pd.DataFrame(areas.grid_shapes(conn, division["id"]))
        leaders = {p["code"]: p["leader"] for p in areas.package_areas(conn, division["id"], at)}
        grids["leader"] = grids["package_area_code"].map(leaders).fillna("")
        months = tally.read(
            conn, "occurred", f.period, street_wide, street, by="grid_month", now=now
        )
        cube = _cube(months, grids, f)
        too_few = cube.sum() < hotwords.MIN_EVENTS
        w = self.grid_weights(division["id"], list(grids["geojson"]))
        grids = _grid_statistics(grids, cube, w, too_few)
        cells, heat = (
            pd.DataFrame(columns=["code", "name", "geojson", "count", "z", "p", "gi_bin"]),
            [],
        )
        if detail:
            bins = tally.read(conn, "cells", f.period, street_wide, street, by="cell", now=now)
            frame = _Frame.on_lattice(division["boundary_bbox"], bins.dlon, bins.dlat)
            points = frame.centres(bins)
            if not too_few:
                cells = _fishnet(points, frame, shapely.from_geojson(division["boundary"]))
            heat = _heat(points, frame)
        if not scope.whole:
            grids, cells, heat = _within(scope, grids, cells, heat)
            total = int(grids["count"].sum())
            return Analysis(division, at, grids, cells, heat, total, too_few)
        return Analysis(division, at, grids, cells, heat, int(cube.sum()), too_few)


def _within(scope: Scope, grids: pd.DataFrame, cells: pd.DataFrame, heat: list):
    """What a scoped person sees of the street's analysis: their grids, and the fishnet cells
    and heat points inside those grids (nothing of the rest, not even a count)."""
    keep = [
        scope.allows_grid(g)
        for g in grids[["code", "village_code", "package_area_code"]].to_dict("records")
    ]
    grids = grids[keep]
    if grids.empty:
        return grids, cells.iloc[0:0], []
    area = shapely.union_all(shapely.from_geojson(list(grids["geojson"])))
    shapely.prepare(area)
    if len(cells):
        centres = shapely.centroid(shapely.from_geojson(list(cells["geojson"])))
        cells = cells[shapely.contains(area, centres)]
    if heat:
        lat, lon = np.array([h[0] for h in heat]), np.array([h[1] for h in heat])
        heat = [
            h for h, inside in zip(heat, shapely.contains_xy(area, lon, lat), strict=True) if inside
        ]
    return grids, cells, heat


def _cube(rows: list[dict], grids: pd.DataFrame, f: Filters) -> np.ndarray:
    """Counts as months × grids (grid order of ``grids``)."""
    months = f.months()
    cube = np.zeros((len(months), len(grids)))
    col = {code: j for j, code in enumerate(grids["code"])}
    row = {m: i for i, m in enumerate(months)}
    for r in rows:
        if r["grid_code"] in col and r["month"] in row:
            cube[row[r["month"]], col[r["grid_code"]]] += r["n"]
    return cube


def _grid_statistics(grids: pd.DataFrame, cube: np.ndarray, w, too_few: bool) -> pd.DataFrame:
    """Counts, rates, Gi* and the emerging pattern of every grid, and its word
    (gridmap.center.hotwords). With ``too_few`` incidents no statistic is computed."""
    counts = cube.sum(axis=0)
    households = grids["households"].to_numpy(dtype=float)
    if too_few:
        spots, trends = _no_spots(len(grids)), _no_trends(len(grids))
    else:
        spots = gistar.hotspots(counts, w)
        trends = emerging.emerging_hotspots(cube, w) if len(cube) >= 2 else _no_trends(len(grids))
    # A grid with no incident is no hotspot, whatever its neighbours (Gi* sums a grid with
    # those around it, so an empty grid between busy ones can score hot): it keeps its z and p,
    # but not the class nor a hot pattern.
    empty = counts == 0
    gi_bin = np.where(empty & (spots["gi_bin"].to_numpy() > 0), 0, spots["gi_bin"].to_numpy())
    hot = trends["code"].str.endswith("_hot").to_numpy()
    category = np.where(empty & hot, "no_pattern", trends["code"].to_numpy())
    bounds = shapely.bounds(shapely.from_geojson(list(grids["geojson"])))
    return grids.assign(
        count=counts.astype(int),
        rate=np.where(households > 0, 1000 * counts / np.maximum(households, 1), 0.0),
        z=spots["z"].to_numpy(),
        p=spots["p"].to_numpy(),
        q=spots["q"].to_numpy(),
        gi_bin=gi_bin.astype(int),
        category=category,
        category_name=[emerging.NAMES_ZH[c] for c in category],
        trend_z=trends["trend_z"].to_numpy(),
        trend_p=trends["trend_p"].to_numpy(),
        word=[hotwords.word(b, c, n) for b, c, n in zip(gi_bin, category, counts, strict=True)],
        trend_word=[hotwords.trend_word(c) for c in category],
        bounds=[list(map(float, b)) for b in bounds],
    )


def _no_spots(n: int) -> pd.DataFrame:
    """Too few incidents to test: no grid is a hot or a cold spot."""
    return pd.DataFrame({"z": np.zeros(n), "p": np.ones(n), "q": np.ones(n), "gi_bin": [0] * n})


def _no_trends(n: int) -> pd.DataFrame:
    """A one-month period has no trend to speak of (nor too few incidents)."""
    return pd.DataFrame(
        {
            "code": ["no_pattern"] * n,
            "name_zh": ["无显著模式"] * n,
            "trend_z": [0.0] * n,
            "trend_p": [1.0] * n,
        }
    )


@dataclass(frozen=True)
class _Frame:
    """A local metric frame (equirectangular at the street's latitude: errors of a few parts
    in ten thousand over a street, far below a fishnet cell)."""

    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude here
    ky: float  # metres per degree of latitude

    @classmethod
    def on_lattice(cls, bbox: list[float], dlon: float, dlat: float) -> _Frame:
        """The frame whose origin is the corner of the bins' cell at the street's south-west."""
        west, south, _east, north = bbox
        mid = np.radians((south + north) / 2)
        return cls(
            float(np.floor(west / dlon) * dlon),
            float(np.floor(south / dlat) * dlat),
            111_320.0 * float(np.cos(mid)),
            110_574.0,
        )

    def centres(self, bins: tally.Bins) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bins' cell centres in this frame's metres, and their counts."""
        x = ((bins.ix + 0.5) * bins.dlon - self.lon0) * self.kx
        y = ((bins.iy + 0.5) * bins.dlat - self.lat0) * self.ky
        return x, y, bins.n.astype(float)

    def to_lonlat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return self.lon0 + np.asarray(x) / self.kx, self.lat0 + np.asarray(y) / self.ky


def _fishnet(points, frame: _Frame, boundary) -> pd.DataFrame:
    """Gi* on 500 m cells inside the street; returns the significant cells only."""
    west, south, east, north = boundary.bounds
    width, height = (east - frame.lon0) * frame.kx, (north - frame.lat0) * frame.ky
    net = Fishnet.covering((0.0, 0.0, width, height), CELL)
    x, y, n = points
    counts = net.counts(x, y, n)
    cx, cy = net.centers()
    lon, lat = frame.to_lonlat(cx, cy)
    inside = np.flatnonzero(shapely.contains_xy(boundary, lon, lat))
    w = weights.lattice_sparse(net.nrows, net.ncols)[inside][:, inside]
    spots = gistar.hotspots(counts[inside], w)
    # As for grids: a cell with no incident is never a hot spot, whatever its neighbours.
    gi_bin = spots["gi_bin"].to_numpy()
    keep = (gi_bin < 0) | ((gi_bin > 0) & (counts[inside] > 0))
    cells = inside[keep]
    polygons = net.polygons()[cells]
    lonlat = shapely.transform(polygons, lambda xy: np.column_stack(frame.to_lonlat(*xy.T)))
    return pd.DataFrame(
        {
            "code": [f"C{c}" for c in cells],
            "name": [f"格元 {c}" for c in cells],
            "geojson": shapely.to_geojson(lonlat),
            "count": counts[cells].astype(int),
            "z": spots["z"].to_numpy()[keep],
            "p": spots["p"].to_numpy()[keep],
            "gi_bin": spots["gi_bin"].to_numpy()[keep],
        }
    )


def _heat(points, frame: _Frame) -> list[tuple[float, float, float]]:
    x, y, n = points
    if not len(n):
        return []
    grid, net = kde.density(
        x, y, (0.0, 0.0, x.max() + FINE, y.max() + FINE), KDE_CELL, BANDWIDTH, weights=n
    )
    peak = grid.max()
    if peak <= 0:
        return []
    cx, cy = net.centers()
    lon, lat = frame.to_lonlat(cx, cy)
    share = grid.ravel() / peak
    keep = np.flatnonzero(share >= HEAT_FLOOR)
    return [
        (round(float(lat[i]), 5), round(float(lon[i]), 5), round(float(share[i]), 3)) for i in keep
    ]
