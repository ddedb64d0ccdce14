"""The center's view as tables (表格导出): the incidents shown and the hotspot grids, as an
XLSX workbook or as CSV files that Excel and WPS open with their Chinese intact.

Text people typed (a title, a name) is data, never a formula: a cell that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return would be run by a spreadsheet (CSV/formula
injection, e.g. ``=HYPERLINK(...)`` calling out with the row's data). In the workbook such text
is a string cell marked "quote prefix", shown as written and kept as text when edited; in CSV,
which has no types, it is written after an apostrophe, which spreadsheets read as "text".
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from gridmap.center.export import View
from gridmap.core import clock

INCIDENT_COLUMNS = (
    "事件编号",
    "类型",
    "分类",
    "标题",
    "状态",
    "信号灯",
    "发生时间",
    "办理期限",
    "村（社区）",
    "网格",
)
HOTSPOT_COLUMNS = (
    "网格",
    "网格编码",
    "村（社区）",
    "片区",
    "事件数",
    "每千户事件数",
    "判断",
    "把握",
    "包片领导",
    "Gi* z 值",
    "p 值",
    "FDR 校正 q 值",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV without it in the system's code page (GBK): 乱码
TABLES = {"incidents": "事件清单", "hotspots": "高发网格"}


def incident_rows(view: View) -> Iterator[list]:
    for i in view.incidents:
        yield [
            i["id"],
            i["kind_name"],
            i["category_name"],
            i["title"],
            ("已办结" if i["is_final"] else "办理中") + f"（{i['status_name']}）",
            _light(i),
            f"{clock.local(i['occurred_at']):%Y-%m-%d %H:%M}",
            clock.deadline_words(i["due_at"]) if not i["is_final"] else "",
            i["village_name"],
            f"{i['grid_name']}（{i['grid_code']}）" if i["grid_code"] else "",
        ]


def hotspot_rows(view: View) -> Iterator[list]:
    for h in view.hotspots:
        yield [
            h["name"],
            h["code"],
            h["village_name"],
            h["package_area_name"],
            int(h["count"]),
            round(float(h["rate"]), 2),
            h["word"],
            h["sure"],
            h.get("leader") or "空缺",
            round(float(h["z"]), 3),
            round(float(h["p"]), 5),
            round(float(h["q"]), 5),
        ]


def notes(view: View) -> list[str]:
    """What a table's reader must know: whose view, the filters, a cut, the 示意数据 mark."""
    lines = [view.title, view.scope_words]
    lines += [f"{label}：{value}" for label, value in view.words]
    if view.truncated:
        lines.append(_cut(view))
    if view.hotspot_note:
        lines.append(f"高发网格：{view.hotspot_note}")
    if view.street.get("synthetic"):
        lines.append("示意数据：边界、人员与事件均为虚构。")
    when = clock.local(view.printed_at)
    lines.append(f"导出：{view.printed_by}　{when:%Y-%m-%d %H:%M}（北京时间）")
    return lines


def xlsx(view: View) -> bytes:
    """A workbook: 事件清单, 高发网格, and 说明 (the notes). Written row by row (openpyxl's
    write-only mode keeps no sheet in memory) into a temporary file."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, columns, rows in (
        (TABLES["incidents"], INCIDENT_COLUMNS, incident_rows(view)),
        (TABLES["hotspots"], HOTSPOT_COLUMNS, hotspot_rows(view)),
    ):
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        sheet.append([_cell(sheet, c, bold) for c in columns])
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    about = book.create_sheet("说明")
    for line in notes(view):
        about.append([_cell(about, line)])
    with tempfile.TemporaryFile() as out:
        book.save(out)
        out.seek(0)
        return out.read()


def csv_chunks(view: View, table: str) -> Iterator[bytes]:
    """One table as UTF-8 CSV with a BOM, in chunks of a few hundred rows (streamed)."""
    columns, rows = (
        (INCIDENT_COLUMNS, incident_rows(view))
        if table == "incidents"
        else (HOTSPOT_COLUMNS, hotspot_rows(view))
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([_csv_value(v) for v in row])
        if n % 500 == 0:
            yield _drain(buffer)
    if table == "incidents" and view.truncated:
        writer.writerow([f"（{_cut(view)}）"])
    yield _drain(buffer)


def _cut(view: View) -> str:
    n = len(view.incidents)
    return f"事件超过 {n} 件，只列出最新的 {n} 件；请缩小筛选范围。"


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode("utf-8")


def _cell(sheet, value, font: Font | None = None) -> WriteOnlyCell:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever it starts with
        cell.quotePrefix = value.startswith(FORMULA_STARTS)
    if font is not None:
        cell.font = font
    return cell


def _csv_value(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _light(i: dict) -> str:
    if i["is_final"] or i["days_left"] is None:
        return i["light_name"]
    d = i["days_left"]
    left = f"超期 {-d} 天" if d < 0 else ("今天到期" if d == 0 else f"剩 {d} 天")
    return f"{i['light_name']}（{left}）"
