"""Grids or villages coloured by incident count, or by rate per 1,000 households (the fair
comparison between a dense community grid and a sparse village grid)."""

from __future__ import annotations

import numpy as np

from layers.common import esc, feature, geojson_layer, table
from layers.legend import Legend

COLOURS = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"]


def build(
    rows: list[dict], metric: str, show: bool = False, level: str = "网格"
) -> tuple[object, Legend]:
    """``rows`` carry geojson, code, name, parent (the area it belongs to), households, count
    and rate; ``level`` names what they are (网格 or 村（社区）)."""
    key, label = ("rate", "每千户事件数") if metric == "rate" else ("count", "事件数")
    breaks = _breaks([r[key] for r in rows])
    features = []
    for row in rows:
        colour = COLOURS[int(np.searchsorted(breaks, row[key], side="right"))]
        features.append(
            feature(
                row["geojson"],
                {
                    "code": row["code"],
                    "popup": table(
                        [
                            (level, row["name"]),
                            ("编码", row["code"]),
                            ("所属", row["parent"]),
                            ("事件数", row["count"]),
                            ("户数", row["households"]),
                            ("每千户事件数", f"{row['rate']:.1f}"),
                        ]
                    ),
                    "tooltip": f"{esc(row['name'])}：{esc(_fmt(row[key]))}",
                    "style": {"fillColor": colour},
                },
            )
        )
    style = {"color": "#777", "weight": 0.6, "fillOpacity": 0.7}
    layer = geojson_layer(features, f"{level}{label}", style, show=show)
    return layer, Legend(f"{level}{label}", _legend_items(breaks), layer)


def _breaks(values: list[float]) -> np.ndarray:
    """Five quantile breaks (six classes), collapsed where values repeat."""
    if not values:
        return np.array([])
    return np.unique(np.quantile(np.asarray(values, dtype=float), [0.2, 0.4, 0.6, 0.8, 0.95]))


def _legend_items(breaks: np.ndarray) -> list[tuple[str, str]]:
    edges = [0.0, *breaks.tolist()]
    items = [(COLOURS[i], f"{_fmt(lo)}～{_fmt(edges[i + 1])}") for i, lo in enumerate(edges[:-1])]
    items.append((COLOURS[len(breaks)], f"≥ {_fmt(edges[-1])}"))
    return items


def _fmt(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
