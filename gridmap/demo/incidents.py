"""Incidents of the report year and their parties, assembled from the kind-specific modules.

Every incident lies inside a unit. Columns: kind, category, status, title, description, lon,
lat, occurred_at, reported_at, due_at, closed_at (Asia/Shanghai; due/closed may be NaT) and
details (a dict). Rows are sorted by occurred_at; ``parties.incident_index`` is a row position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from . import placement
from .geography import Geography
from .hotspots import Cluster
from .parties import PartyMaker
from .timeline import TZ

COLUMNS = [
    "kind",
    "category",
    "status",
    "title",
    "description",
    "lon",
    "lat",
    "occurred_at",
    "reported_at",
    "due_at",
    "closed_at",
    "details",
]
TIME_COLUMNS = ["occurred_at", "reported_at", "due_at", "closed_at"]


@dataclass
class Scene:
    """What the incident generators draw on: the units, their villages, the hotspot clusters."""

    geo: Geography
    clusters: list[Cluster]
    parties: PartyMaker
    rng: np.random.Generator
    offices: dict[str, tuple[float, float]] = field(init=False)

    def __post_init__(self) -> None:
        units = self.geo.units
        self.households = units["households"].to_numpy()
        self.kind = units["kind"].to_numpy()
        self.unit_name = units["name"].to_numpy()
        self.village_of = units["village_code"].to_numpy()
        self.grid_of = units["grid_code"].to_numpy()
        self.polygons = units.geometry.to_numpy()
        self.village_name = dict(
            zip(self.geo.villages["code"], self.geo.villages["name"], strict=True)
        )
        self.village_kind = dict(
            zip(self.geo.villages["code"], self.geo.villages["kind"], strict=True)
        )
        self.offices = village_offices(units)

    def weights(self, town_factor: float = 1.0) -> np.ndarray:
        """Households per unit, with housing estates (小区) weighted by ``town_factor``."""
        return self.households * np.where(self.kind == "小区", town_factor, 1.0)

    def draw_units(self, n: int, town_factor: float = 1.0, within=None) -> np.ndarray:
        """n units drawn by (weighted) households, optionally among ``within`` only."""
        weights = self.weights(town_factor)
        if within is not None:
            weights = np.where(within, weights, 0.0)
        return placement.weighted_units(weights, n, self.rng)

    def locate(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return placement.points_in(self.polygons, units, self.rng)

    def place(self, unit: int) -> str:
        """How a title names a unit: 杨岭村张家湾, 侏儒社区锦绣嘉园, 杨岭村三组."""
        name, village = self.unit_name[unit], self.village_name[self.village_of[unit]]
        return name if name.startswith(village) else village + name


def village_offices(units) -> dict[str, tuple[float, float]]:
    """The village committee's office: a point inside the unit nearest the village's middle."""
    centres = shapely.get_coordinates(shapely.centroid(units.geometry.to_numpy()))
    offices = {}
    for code, rows in units.groupby("village_code").indices.items():
        middle = centres[rows].mean(axis=0)
        nearest = rows[int(np.argmin(np.hypot(*(centres[rows] - middle).T)))]
        point = shapely.point_on_surface(units.geometry.iloc[nearest])
        offices[code] = (point.x, point.y)
    return offices


def frame(kind: str, **columns) -> pd.DataFrame:
    """An incident table of one kind; ``parties`` (lists of dicts) rides along until assembly."""
    table = pd.DataFrame({"kind": kind, **columns})
    for column in TIME_COLUMNS:
        if column not in table:
            table[column] = pd.NaT
    if "parties" not in table:
        table["parties"] = [[] for _ in range(len(table))]
    return table


def assemble(tables: list[pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All incidents sorted by time, and their parties pointing at row positions."""
    table = pd.concat(tables, ignore_index=True)
    for column in TIME_COLUMNS:
        table[column] = pd.to_datetime(table[column], utc=True).dt.tz_convert(TZ)
    table = table.sort_values(["occurred_at", "kind"], kind="mergesort", ignore_index=True)
    parties = [
        {"incident_index": i, **party}
        for i, group in enumerate(table["parties"])
        for party in group
    ]
    party_table = pd.DataFrame(
        parties, columns=["incident_index", "role", "name", "id_number", "phone"]
    )
    return table[COLUMNS], party_table
