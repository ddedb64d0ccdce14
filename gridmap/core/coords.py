"""Coordinates on the way in: validation, and GCJ-02 or BD-09 → WGS84.

gridmap stores WGS84 / CGCS2000 (EPSG:4326; the two differ by well under a metre here). Phone map
SDKs and WeChat report GCJ-02 ("Mars" coordinates), offset by about 610 m at 侏儒山, which must be
converted before anything is stored. The published one-step inverse is off by up to ~4.5 m; we
iterate the forward transform instead (a fixed-point solve), which converges to centimetres.
Baidu's SDKs report BD-09, a further distortion of GCJ-02 (about 1 km from WGS84 here); it is
inverted the same way, then as GCJ-02.
"""

from __future__ import annotations

import numpy as np

from gridmap.core import params
from gridmap.core.errors import BadInput

SYSTEMS = {
    "wgs84": "WGS84/CGCS2000（浏览器定位、GPS）",
    "gcj02": "GCJ-02（高德、腾讯地图与微信）",
    "bd09": "BD-09（百度地图）",
}
_X_PI = np.pi * 3000.0 / 180.0
_A = 6378245.0  # Krasovsky 1940 semi-major axis, as used by the GCJ-02 formula
_EE = 0.00669342162296594323


def parse_lonlat(lon: object, lat: object) -> tuple[float, float]:
    """One pair from a form, a query string or the command line, read as plain decimal
    numbers (gridmap.core.params), with a message a person understands."""
    x, y = params.parse_number(lon, "经度"), params.parse_number(lat, "纬度")
    problems = check_range(np.array([x]), np.array([y]))
    if problems.size:
        raise BadInput(f"经纬度超出范围：经度应在 -180～180，纬度应在 -90～90（收到 {x}, {y}）")
    return x, y


def check_range(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Positions of pairs that are not finite or out of range."""
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    bad |= (np.abs(lon) > 180) | (np.abs(lat) > 90)
    return np.flatnonzero(bad)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _offset(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, tol: float = 1e-9) -> tuple:
    """Invert GCJ-02 by fixed-point iteration on its forward formula."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return _invert(wgs84_to_gcj02, lon, lat, lon.copy(), lat.copy(), tol)


def _invert(forward, lon: np.ndarray, lat: np.ndarray, x: np.ndarray, y: np.ndarray, tol):
    """Solve forward(x, y) = (lon, lat) from a first guess: x ← x − (f(x) − target). The
    offsets vary slowly, so each step gains about three orders of magnitude."""
    for _ in range(30):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.all(np.abs(ex) < tol) and np.all(np.abs(ey) < tol):
            break
    return x, y


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # The rectangle GCJ-02 implementations use; outside it the formula is not applied.
    return (lon > 73.66) & (lon < 135.05) & (lat > 3.86) & (lat < 53.55)


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Baidu's forward formula (as its SDKs apply it to GCJ-02)."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray, tol: float = 1e-10) -> tuple:
    """Invert BD-09 by fixed-point iteration on the forward formula (the usual closed-form
    inverse is off by up to a few decimetres)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return _invert(gcj02_to_bd09, lon, lat, lon - 0.0065, lat - 0.006, tol)


def to_wgs84(lon, lat, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``crs`` (one of SYSTEMS) as WGS84, the system gridmap stores."""
    if crs == "wgs84":
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if crs == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if crs == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    raise BadInput(f"未知的坐标系 {crs!r}：应为 " + "、".join(SYSTEMS))
