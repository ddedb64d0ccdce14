"""The center's view on one A4 page (打印): title, period, filters in words, the map drawn on
the server, its legend, the counts, the hotspot grids, who printed it and when, and the
示意数据 mark on a synthetic street. One figure, written as a PDF or as a PNG.

Drawn with GeoPandas and matplotlib, with no browser and no tiles: the map a printout needs is
the street's own boundaries (villages, grids) and its incidents coloured by their light, with
the hotspot grids shaded. matplotlib's PDF backend sets the text as text in an embedded subset
of the Chinese font (gridmap.center.cjkfont), so a PDF stays small, searchable and copyable;
reportlab could not embed the CFF outlines Debian's Noto CJK fonts carry.

Every string that people typed (names of villages and grids, a leader's name) is drawn with
``parse_math=False``: a ``$`` in a name is a character, never matplotlib's mathtext.
"""

from __future__ import annotations

import io
import math
import unicodedata

import matplotlib

matplotlib.use("agg")  # a server draws into files, never into a window

import geopandas as gpd  # noqa: E402
import shapely  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from gridmap.center import cjkfont  # noqa: E402
from gridmap.center.export import LIGHTS, View  # noqa: E402
from gridmap.core import clock  # noqa: E402

A4 = (210 / 25.4, 297 / 25.4)  # inches, portrait
MAP_BOX = (0.05, 0.375, 0.90, 0.49)  # left, bottom, width, height, as fractions of the page
PNG_DPI = 150  # 1240 × 1754 pixels: sharp on a screen, readable printed
HOT_FILL = {3: "#ef8a47", 2: "#f5b47e", 1: "#fad7b5"}  # orange: red is kept for overdue
MARK = "#c62828"
TABLE_ROWS = 12
# Marker order: what needs attention is drawn last, on top.
DRAW_ORDER = ("closed", "none", "green", "yellow", "red")
COLOUR_WORDS = {"red": "红", "yellow": "黄", "green": "绿", "closed": "灰", "none": "蓝"}


def pdf(view: View) -> bytes:
    out = io.BytesIO()
    _figure(view).savefig(out, format="pdf", metadata={"Title": view.title, "Creator": "gridmap"})
    return out.getvalue()


def png(view: View, dpi: int = PNG_DPI) -> bytes:
    out = io.BytesIO()
    _figure(view).savefig(
        out, format="png", dpi=dpi, metadata={"Title": view.title, "Software": "gridmap"}
    )
    return out.getvalue()


def map_extent(view: View) -> tuple[float, float, float, float]:
    """The map's west, south, east and north: the view's focus with a margin, widened so that
    it fills MAP_BOX at true proportions (a degree of longitude is shorter than one of
    latitude here)."""
    outlines = view.focus or [view.boundary]
    west, south, east, north = shapely.total_bounds(shapely.from_geojson(outlines))
    if view.incidents and not view.focus:
        west, south, east, north = _with_points(view, (west, south, east, north))
    mid = (south + north) / 2
    kx = math.cos(math.radians(mid))
    width, height = max((east - west) * kx, 1e-4), max(north - south, 1e-4)
    box = (MAP_BOX[2] * A4[0]) / (MAP_BOX[3] * A4[1])
    width, height = width * 1.06, height * 1.06
    if width / height < box:
        width = height * box
    else:
        height = width / box
    cx, cy = (west + east) / 2, mid
    return cx - width / kx / 2, cy - height / 2, cx + width / kx / 2, cy + height / 2


def page_point(extent, lon: float, lat: float) -> tuple[float, float]:
    """Where a point of the map lies on the page, as fractions from the page's left and top."""
    west, south, east, north = extent
    left, bottom, width, height = MAP_BOX
    x = left + (lon - west) / (east - west) * width
    y = bottom + (lat - south) / (north - south) * height
    return x, 1 - y


def _with_points(view: View, bounds):
    lons = [i["lon"] for i in view.incidents]
    lats = [i["lat"] for i in view.incidents]
    return (
        min(bounds[0], *lons),
        min(bounds[1], *lats),
        max(bounds[2], *lons),
        max(bounds[3], *lats),
    )


class _Page:
    """A4 figure with the Chinese font at hand: text is always text, never mathtext."""

    def __init__(self) -> None:
        self.family = cjkfont.family()
        self.fig = Figure(figsize=A4)

    def font(self, size: float, bold: bool = False) -> FontProperties:
        # DejaVu Sans (matplotlib's own) for what the Chinese font lacks
        family = [self.family, "DejaVu Sans"]
        return FontProperties(family=family, size=size, weight="bold" if bold else "normal")

    def text(self, x, y, s, size=8.5, bold=False, **kw):
        return self.fig.text(x, y, s, fontproperties=self.font(size, bold), parse_math=False, **kw)


def _figure(view: View) -> Figure:
    page = _Page()
    _heading(page, view)
    extent = map_extent(view)
    ax = page.fig.add_axes(MAP_BOX)
    _map(page, ax, view, extent)
    _legend(page, view)
    _counts(page, view)
    _hotspot_table(page, view)
    _footer(page, view)
    return page.fig


def _heading(page: _Page, view: View) -> None:
    page.text(0.05, 0.962, view.title, size=16, bold=True, va="baseline")
    page.text(0.05, 0.940, view.scope_words, size=9.5, color="#444", va="baseline")
    if view.street.get("synthetic"):
        page.text(
            0.95,
            0.960,
            "示意数据",
            size=13,
            bold=True,
            color=MARK,
            ha="right",
            va="baseline",
            bbox={"boxstyle": "square,pad=0.35", "ec": MARK, "fc": "white", "lw": 1.4},
        )
    parts = [f"{label}：{value}" for label, value in view.words]
    lines = _wrap(parts, "　｜　", 104)
    if len(lines) > 3:
        lines = [*lines[:2], _clip(lines[2], 50)]
    for n, line in enumerate(lines):
        page.text(0.05, 0.915 - n * 0.0165, line, size=8.5, va="baseline")


def _map(page: _Page, ax, view: View, extent) -> None:
    ax.set_axis_off()
    west, south, east, north = extent
    ground = gpd.GeoSeries(shapely.from_geojson([view.boundary]), crs=4326)
    ground.plot(ax=ax, aspect=None, facecolor="#f1f1f1", edgecolor="#222", linewidth=1.1)
    villages = gpd.GeoSeries(shapely.from_geojson([v["geojson"] for v in view.villages]), crs=4326)
    if view.ground:  # the other grids, faint: where the view lies in the street
        gpd.GeoSeries(shapely.from_geojson(view.ground), crs=4326).plot(
            ax=ax, aspect=None, facecolor="none", edgecolor="#cfcfcf", linewidth=0.25
        )
    if len(view.grids):
        grids = gpd.GeoSeries(shapely.from_geojson(list(view.grids["geojson"])), crs=4326)
        grids.plot(ax=ax, aspect=None, facecolor="white", edgecolor="#b5b5b5", linewidth=0.3)
        _shade_hotspots(ax, view)
    if len(villages):
        villages.plot(ax=ax, aspect=None, facecolor="none", edgecolor="#555", linewidth=0.7)
    _labels(page, ax, view, villages, extent)
    _markers(ax, view)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect("auto")
    _scale_bar(page, ax, extent)
    if view.street.get("synthetic"):
        ax.text(
            0.99,
            0.01,
            "示意数据：边界、人员与事件均为虚构",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            color=MARK,
            fontproperties=page.font(7),
            parse_math=False,
            zorder=6,
            bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
        )


def _shade_hotspots(ax, view: View) -> None:
    for gi_bin, colour in HOT_FILL.items():
        shapes = [h["geojson"] for h in view.hotspots if int(h["gi_bin"]) == gi_bin]
        if shapes:
            gpd.GeoSeries(shapely.from_geojson(shapes), crs=4326).plot(
                ax=ax, aspect=None, facecolor=colour, edgecolor="#b5b5b5", linewidth=0.3
            )


def _labels(page: _Page, ax, view: View, villages, extent) -> None:
    """Village names at a point inside each village on the map; grid names too when the map
    shows a few grids only (a village, a grid member's grids)."""
    west, south, east, north = extent
    shown = [
        (p.x, p.y, v["name"])
        for p, v in zip(villages.representative_point(), view.villages, strict=True)
        if west < p.x < east and south < p.y < north
    ]
    size = 6.5 if len(shown) <= 30 else 5.2
    for x, y, name in shown:
        ax.text(
            x,
            y,
            name,
            ha="center",
            va="center",
            color="#333",
            fontproperties=page.font(size, bold=True),
            parse_math=False,
            clip_on=True,
        )
    if 0 < len(view.grids) <= 40:
        points = shapely.point_on_surface(shapely.from_geojson(list(view.grids["geojson"])))
        for p, name in zip(points, view.grids["name"], strict=True):
            ax.text(
                p.x,
                p.y,
                name,
                ha="center",
                va="top",
                color="#777",
                fontproperties=page.font(4.8),
                parse_math=False,
                clip_on=True,
            )


def _markers(ax, view: View) -> None:
    size = 14 if len(view.incidents) <= 2000 else 6
    for key in DRAW_ORDER:
        points = [(i["lon"], i["lat"]) for i in view.incidents if i["light_key"] == key]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.scatter(
                xs, ys, s=size, c=LIGHTS[key][1], edgecolors="white", linewidths=0.35, zorder=5
            )


def _scale_bar(page: _Page, ax, extent) -> None:
    west, south, east, north = extent
    km_across = (east - west) * 111.32 * math.cos(math.radians((south + north) / 2))
    length = next(k for k in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if k >= km_across / 6)
    share = length / km_across
    ax.plot([0.02, 0.02 + share], [0.025, 0.025], transform=ax.transAxes, color="#222", lw=2)
    words = f"{length:g} 公里" if length >= 1 else f"{length * 1000:g} 米"
    ax.text(
        0.02,
        0.04,
        words,
        transform=ax.transAxes,
        fontproperties=page.font(7),
        parse_math=False,
    )
    ax.text(
        0.98,
        0.97,
        "北 ↑",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontproperties=page.font(8, bold=True),
        parse_math=False,
    )


def _legend(page: _Page, view: View) -> None:
    present = {i["light_key"] for i in view.incidents}
    keys = ["red", "yellow", "green", "closed"] + (["none"] if "none" in present else [])
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=5.5,
            markerfacecolor=LIGHTS[k][1],
            markeredgecolor="white",
            label=f"{COLOUR_WORDS[k]}：{LIGHTS[k][0]}",
        )
        for k in keys
    ]
    handles += [
        Patch(facecolor=HOT_FILL[b], edgecolor="#b5b5b5", label=f"高发网格·{_short(b)}")
        for b in (3, 2, 1)
    ]
    handles += [
        Line2D([], [], color="#555", lw=0.9, label="村（社区）界"),
        Line2D([], [], color="#b5b5b5", lw=0.6, label="网格界"),
    ]
    page.fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.05, MAP_BOX[1] - 0.004),
        ncol=5,
        frameon=False,
        prop=page.font(7.5),
        title="图例",
        title_fontproperties=page.font(8, bold=True),
        alignment="left",
        handlelength=1.4,
        columnspacing=1.2,
    )


def _short(gi_bin: int) -> str:
    return {3: "十分明显", 2: "明显", 1: "略有迹象"}[gi_bin]


def _counts(page: _Page, view: View) -> None:
    counts = view.light_counts()
    shown = len(view.incidents)
    parts = "、".join(
        f"{LIGHTS[k][0]} {counts[k]}" for k in ("red", "yellow", "green", "none") if counts[k]
    )
    split = f"办理中 {shown - counts['closed']} 件" + (f"（{parts}）" if parts else "")
    split += f"，已办结 {counts['closed']} 件"
    if view.truncated:  # the split is of the incidents listed, not of all
        line = f"共 {view.total} 件事件；地图与表格只列出最新的 {shown} 件（{split}）"
        line += "，请缩小筛选范围。"
    else:
        line = f"共 {shown} 件事件：{split}。"
    page.text(0.05, 0.292, line, size=9, bold=True, va="baseline")


def _hotspot_table(page: _Page, view: View) -> None:
    page.text(0.05, 0.268, "高发网格（统计上显著，按显著程度排序）", size=9.5, bold=True)
    if not view.hotspots:
        page.text(0.05, 0.250, view.hotspot_note, size=8.5, color="#444")
        return
    columns = [
        (0.05, "网格"),
        (0.27, "村（社区）"),
        (0.43, "事件数"),
        (0.50, "每千户"),
        (0.58, "判断"),
        (0.67, "把握"),
        (0.81, "包片领导"),
    ]
    y = 0.250
    for x, name in columns:
        page.text(x, y, name, size=8, bold=True, color="#333")
    for row in view.hotspots[:TABLE_ROWS]:
        y -= 0.0148
        cells = [
            _clip(row["name"], 14),
            _clip(row["village_name"], 10),
            str(int(row["count"])),
            f"{row['rate']:.1f}",
            row["word"],
            row["sure"],
            _clip(row.get("leader") or "空缺", 10),
        ]
        for (x, _name), value in zip(columns, cells, strict=True):
            page.text(x, y, value, size=8)
    rest = len(view.hotspots) - TABLE_ROWS
    if rest > 0:
        page.text(0.05, y - 0.0148, f"另有 {rest} 个高发网格，见表格导出（XLSX）。", size=8)


def _footer(page: _Page, view: View) -> None:
    when = clock.local(view.printed_at)
    line = f"打印：{view.printed_by}　{clock.day_words(view.printed_at)} {when:%H:%M}（北京时间）"
    page.text(0.05, 0.030, line, size=7.5, color="#444")
    page.text(0.95, 0.030, "gridmap 网格化治理地图", size=7.5, color="#888", ha="right")
    if view.street.get("synthetic"):
        page.text(
            0.05,
            0.016,
            "示意数据：边界、人员与事件均为虚构，不代表真实情况。",
            size=7.5,
            color=MARK,
        )


def _clip(text: str, limit: int) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _wrap(parts: list[str], separator: str, width: int) -> list[str]:
    """The parts on lines of at most ``width`` columns (a Chinese character counts two),
    broken between parts, and inside a part only when it is longer than a line."""
    lines, line = [], ""
    for part in parts:
        joined = f"{line}{separator}{part}" if line else part
        if _columns(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in part:
            if _columns(line + ch) > width:
                lines.append(line)
                line = ""
            line += ch
    if line:
        lines.append(line)
    return lines


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
