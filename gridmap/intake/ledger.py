"""Reading a ledger file (台账): a CSV as the street's offices write it, as columns of text.

Ledgers come from Excel and from other systems. Chinese Excel saves "CSV" in GB18030/GBK (or
UTF-8 with a byte-order mark when asked for "CSV UTF-8"), some tools write UTF-16; all of these
are read. A file that none of them decodes (Latin-1 bytes, say) is refused with a message to
save it as UTF-8, never read as mojibake. The table must be a table: one header line of at most
:data:`MAX_COLUMNS` names, each named once, and every record with exactly as many fields; a
record with more or fewer is named by its line, since shifted fields would put a title into a
time or a longitude into a category.

What the columns hold is checked by :func:`gridmap.intake.load.prepare`, the same for a file as
for any other frame; this module only turns bytes into text.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from gridmap.core.errors import BadInput

# Far more than the dozen fields an incident has. The header line is read and counted before
# the rest of the file, so a file of 200,000 columns is refused after reading 64 KiB.
MAX_COLUMNS = 100
HEADER_BYTES = 64 * 1024
SAVE_AS = "请在 Excel 中“另存为” CSV UTF-8（逗号分隔）后再导入。"
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"))
_BOMS += ((codecs.BOM_UTF16_BE, "utf-16"),)


def read(path: Path) -> pd.DataFrame:
    """The file's records as a frame of text columns (empty fields missing), or BadInput."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEADER_BYTES)
            encoding = _bom(head)
            width = _check_header(head, encoding)
            data = head + f.read()
    except OSError as exc:
        raise BadInput(f"无法读取文件 {path}：{exc.strerror}") from None
    if encoding == "utf-16":
        data = _decode(data, "utf-16").encode("utf-8")
        encoding = "utf-8"
    elif encoding == "utf-8-sig":
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    _check_fields(data, width)
    return _parse(data, encoding or "utf-8")


def _one_encoding(data: bytes) -> None:
    """Refuse a file that is not UTF-8 yet has lines that are: rows pasted together from a
    UTF-8 file and a GBK one. GB18030 decodes nearly any bytes, so read whole it would turn
    the UTF-8 lines into mojibake (涓枃 for 中文) without a word; each line is one or the other."""
    utf8, other = [], []
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8.append(number)
        except UnicodeDecodeError:
            other.append(number)
        if utf8 and other:
            raise BadInput(
                f"文件混用了两种编码：第 {utf8[0]} 行是 UTF-8，第 {other[0]} 行是 GBK/GB18030，"
                f"无法确定按哪一种读取；未保存任何记录。请把所有行统一为一种编码。{SAVE_AS}"
            )


def _bom(head: bytes) -> str | None:
    """The encoding a byte-order mark announces; None when there is none."""
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def _check_header(head: bytes, encoding: str | None) -> int:
    """The number of columns, from the first line; refuses an empty or oversized header."""
    text = _decode(head, encoding or "utf-8", partial=True) if encoding else _guess(head)
    if not text.strip():
        raise BadInput("文件是空的：第一行应是表头（字段名），其后每行一条记录。")
    line, newline, _ = text.lstrip("\ufeff").partition("\n")
    if not newline and len(head) == HEADER_BYTES:
        raise BadInput(f"表头过长：最多 {MAX_COLUMNS} 列。请检查文件是否为逗号分隔的 CSV。")
    names = next(csv.reader([line]), [])
    if len(names) > MAX_COLUMNS:
        raise BadInput(f"列数过多：表头有 {len(names)} 列，最多 {MAX_COLUMNS} 列。")
    stripped = [n.strip() for n in names]
    if "" in stripped:
        raise BadInput(f"表头第 {stripped.index('') + 1} 列没有字段名。")
    if twice := sorted({n for n in stripped if stripped.count(n) > 1}):
        raise BadInput(f"表头中字段重复：{'、'.join(repr(n) for n in twice)}")
    return len(names)


def _guess(head: bytes) -> str:
    """The header as text: UTF-8 if it is, else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return _decode(head, encoding, partial=True, refuse=False)
        except UnicodeDecodeError:
            continue
    raise BadInput(f"无法识别文件的编码（既不是 UTF-8，也不是 GBK/GB18030）。{SAVE_AS}")


def _decode(data: bytes, encoding: str, partial: bool = False, refuse: bool = True) -> str:
    """Strict decoding; ``partial`` allows a character cut at the end of ``data``."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        return decoder.decode(data, final=not partial)
    except UnicodeDecodeError:
        if not refuse:
            raise
        raise BadInput(f"文件不是有效的 {encoding.upper()} 编码。{SAVE_AS}") from None


def _check_fields(data: bytes, width: int) -> None:
    """Refuse records with more or fewer fields than the header, naming their lines.

    Commas and line ends are ASCII bytes in UTF-8 and GB18030 alike (no multi-byte character
    contains one), so in a file without quotes each line's commas can be counted in one numpy
    pass over the bytes. A file with quotes (a field holding a comma or a line break) or with
    bare carriage returns is read by the csv module instead, which knows the rules.
    """
    bare_returns = b"\r" in data and data.count(b"\r") != data.count(b"\r\n")
    if b'"' in data or bare_returns:
        lines, counts = _fields_by_csv(data)
    else:
        lines, counts = _fields_by_bytes(data)
    bad = np.flatnonzero(counts != width)
    if bad.size:
        shown = "、".join(f"第 {lines[i]} 行（{counts[i]} 个）" for i in bad[:10])
        more = f" 等 {bad.size} 行" if bad.size > 10 else ""
        raise BadInput(
            f"字段个数与表头（{width} 个）不符：{shown}{more}。请检查是否多了或少了逗号；"
            "未保存任何记录。",
            details={"lines": [int(lines[i]) for i in bad[:100]]},
        )


def _fields_by_bytes(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Line numbers and field counts of the non-blank records after the header.

    The commas of a line are the bytes it loses when every comma is deleted: two scans for
    line ends (before and after the deletion), no array as long as the file per comma.
    """
    ends = _line_ends(data)
    commas_before = ends - _line_ends(data.translate(None, b","))
    starts = np.concatenate([[0], ends[:-1] + 1])
    counts = np.diff(commas_before, prepend=0) + 1
    carriage = np.frombuffer(data, dtype=np.uint8)[np.maximum(ends - 1, 0)] == ord("\r")
    length = ends - starts - carriage
    lines = np.arange(1, ends.size + 1)
    keep = (length > 0) & (lines > 1)  # blank lines are skipped, as pandas skips them
    return lines[keep], counts[keep]


def _line_ends(data: bytes) -> np.ndarray:
    """Positions of the line ends, and the end of the data as that of the last line."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    return np.append(ends, len(data))


def _fields_by_csv(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    text = data.decode("utf-8", errors="replace")  # counting only; bytes are decoded later
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    lines, counts = [], []
    start = reader.line_num + 1
    try:
        for row in reader:
            if row:
                lines.append(start)
                counts.append(len(row))
            start = reader.line_num + 1
    except csv.Error as exc:
        limit = csv.field_size_limit()
        why = f"有字段超过 {limit} 个字符" if "field limit" in str(exc) else str(exc)
        raise BadInput(f"文件第 {start} 行无法按 CSV 读取：{why}；未保存任何记录。") from None
    return np.array(lines, dtype=int), np.array(counts, dtype=int)


def _parse(data: bytes, encoding: str) -> pd.DataFrame:
    """The records as text; UTF-8 first, then GB18030, which Chinese Excel writes."""
    for guess in (encoding, "gb18030") if encoding == "utf-8" else (encoding,):
        if guess == "gb18030":
            _one_encoding(data)
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                dtype=str,
                keep_default_na=False,
                na_values=[""],
                encoding=guess,
                encoding_errors="strict",
            )
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise BadInput(f"文件无法按 CSV 读取：{str(exc).strip()}。{SAVE_AS}") from None
        frame.columns = [str(c).strip() for c in frame.columns]
        return frame
    raise BadInput(f"无法识别文件的编码（既不是 UTF-8，也不是 GBK/GB18030）。{SAVE_AS}")
