"""Placing points on the street: the one attribution path.

For each point and the moment it refers to, find the division in force at that moment and the
unit of that division containing the point; the unit gives the grid, village and package area.
A single pin, ``/api/locate`` and a bulk load of a million incidents all call :meth:`place`.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import psycopg

from gridmap.core.errors import BadInput, OutsideStreet
from gridmap.data import divisions
from gridmap.geo import attribution

SNAPSHOT = [
    "division_id",
    "unit_id",
    "grid_id",
    "unit_code",
    "grid_code",
    "village_code",
    "package_area_code",
]

# The column of a division index's units that gives each snapshot column after division_id.
_FROM_INDEX = {col: "code" if col == "unit_code" else col for col in SNAPSHOT[1:]}


class Placement:
    """Spatial indexes of published divisions, built once per process and reused.

    A published division never changes, so an index built from it never goes stale.
    """

    def __init__(self) -> None:
        self._indexes: dict[int, attribution.DivisionIndex] = {}
        self._lock = threading.Lock()

    def index(self, conn: psycopg.Connection, division_id: int) -> attribution.DivisionIndex:
        with self._lock:
            if division_id not in self._indexes:
                units = divisions.units_for_index(conn, division_id)
                self._indexes[division_id] = attribution.build_index(division_id, units)
            return self._indexes[division_id]

    def place(self, conn: psycopg.Connection, street_code: str, lon, lat, at) -> pd.DataFrame:
        """The snapshot columns for every point; refuses points outside the street."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        at = pd.to_datetime(pd.Series(at), utc=True).reset_index(drop=True)
        which = _division_at(divisions.published(conn, street_code), at)
        columns = {
            c: np.empty(len(lon), dtype=np.int64 if c.endswith("_id") else object) for c in SNAPSHOT
        }
        for division_id in np.unique(which):
            rows = np.flatnonzero(which == division_id)
            index = self.index(conn, int(division_id))
            found = attribution.attribute(index, lon[rows], lat[rows])
            outside = rows[found == attribution.OUTSIDE]
            if outside.size:
                raise _outside(lon, lat, outside)
            columns["division_id"][rows] = int(division_id)
            for col, source in _FROM_INDEX.items():
                columns[col][rows] = index.units[source].to_numpy()[found]
        return pd.DataFrame(columns)

    def place_one(
        self, conn: psycopg.Connection, street_code: str, lon: float, lat: float, at
    ) -> dict:
        """The snapshot of one point (a pin): the same division choice and the same index as
        :meth:`place`, without the frames a million rows need."""
        which = _division_at(divisions.published(conn, street_code), pd.Series([at]))
        index = self.index(conn, int(which[0]))
        x, y = np.array([lon], dtype=float), np.array([lat], dtype=float)
        found = attribution.attribute(index, x, y)
        if found[0] == attribution.OUTSIDE:
            raise _outside(x, y, np.array([0]))
        row = index.units.iloc[int(found[0])]
        snap = {"division_id": int(which[0])}
        for col, source in _FROM_INDEX.items():
            snap[col] = int(row[source]) if col.endswith("_id") else row[source]
        return snap


def _division_at(published: list[dict], at: pd.Series) -> np.ndarray:
    """Id of the division in force at each moment; refuses moments that none covers."""
    if not published:
        raise BadInput("本街道还没有已发布的网格划分，无法定位。")
    never = np.iinfo(np.int64).max
    starts = np.array([pd.Timestamp(d["valid_from"]).value for d in published])
    ends = np.array(
        [pd.Timestamp(d["valid_to"]).value if d["valid_to"] else never for d in published]
    )
    nanos = at.dt.tz_convert(None).dt.as_unit("ns").to_numpy().astype("int64")
    pos = np.searchsorted(starts, nanos, side="right") - 1
    ok = (pos >= 0) & (nanos < ends[np.clip(pos, 0, None)])
    if not ok.all():
        first = at[~ok].iloc[0].tz_convert("Asia/Shanghai")
        earliest = pd.Timestamp(published[0]["valid_from"]).tz_convert("Asia/Shanghai")
        raise BadInput(
            f"{first:%Y-%m-%d %H:%M} 时没有生效的网格划分（最早的划分自 "
            f"{earliest:%Y-%m-%d} 起生效）",
            details={"rows": _rows(~ok)},
        )
    ids = np.array([d["id"] for d in published])
    return ids[pos]


def _outside(lon: np.ndarray, lat: np.ndarray, rows: np.ndarray) -> OutsideStreet:
    first = rows[0]
    where = f"（经度 {lon[first]:.6f}，纬度 {lat[first]:.6f}）"
    if len(lon) == 1:
        return OutsideStreet(f"该位置{where}不在本街道的网格范围内，请核对坐标。")
    return OutsideStreet(
        f"有 {len(rows)} 条记录的位置不在本街道的网格范围内，例如第 {first + 1} 条{where}；"
        "未保存任何记录。",
        details={"rows": [int(r) + 1 for r in rows[:100]]},
    )


def _rows(mask: np.ndarray) -> list[int]:
    return [int(r) + 1 for r in np.flatnonzero(mask)[:100]]
