"""PostgreSQL's binary COPY format, built a column at a time with numpy.

A binary COPY stream is a header, then per row a 2-byte field count and, per field, a 4-byte
length (-1 for NULL) and the value in the type's binary form, then a trailer. Building it row by
row in Python costs microseconds a row; here every column becomes either a byte matrix (one row
of bytes per record, when the field has the same width on every row) or an array of byte
strings, and :func:`join_rows` interleaves them. Text that repeats (codes, kinds) is encoded
once per distinct value.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from gridmap.core import rowcodes

HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension
TRAILER = b"\xff\xff"
NULL = b"\xff\xff\xff\xff"
EPOCH_2000_US = 946_684_800_000_000  # PostgreSQL counts microseconds from 2000-01-01 UTC
POINT_4326 = (25).to_bytes(4, "big") + b"\x01\x01\x00\x00\x20\xe6\x10\x00\x00"  # EWKB head


def repeat(value: bytes, n: int) -> np.ndarray:
    """The same field on ``n`` rows."""
    return np.broadcast_to(np.frombuffer(value, dtype=np.uint8), (n, len(value)))


def field_count(columns: int, n: int) -> np.ndarray:
    return repeat(columns.to_bytes(2, "big"), n)


def points(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """geometry(Point, 4326) fields: EWKB, little-endian, with the SRID."""
    xy = np.column_stack([np.asarray(lon, dtype="<f8"), np.asarray(lat, dtype="<f8")])
    return np.concatenate([repeat(POINT_4326, len(xy)), xy.view(np.uint8)], axis=1)


def numbers(values: np.ndarray, missing, dtype: str) -> np.ndarray:
    """Fixed-width number fields (">i2", ">i4", ">i8", ">f8"; "|b1" for booleans): a byte
    matrix, or byte strings per row when some are NULL."""
    width = np.dtype(dtype).itemsize
    missing = np.zeros(len(values), dtype=bool) if missing is None else np.asarray(missing, bool)
    if missing.all():
        return repeat(NULL, len(values))
    fields = np.concatenate(
        [
            repeat(width.to_bytes(4, "big"), len(values)),
            np.asarray(values).astype(dtype).view(np.uint8).reshape(-1, width),
        ],
        axis=1,
    )
    if not missing.any():
        return fields
    rows = np.array(fields.view(f"V{4 + width}").ravel().tolist(), dtype=object)
    rows[missing] = NULL
    return rows


def timestamps(values: pd.Series) -> np.ndarray:
    """timestamptz fields from UTC-aware times; NaT is NULL."""
    stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("us")
    missing = stamps.isna()
    return numbers(np.where(missing, 0, stamps.asi8 - EPOCH_2000_US), missing, ">i8")


def text_fields(
    frame: pd.DataFrame,
    group: tuple[str, ...],
    encode,
    encoded: dict | None = None,
) -> np.ndarray:
    """The fields of the text columns ``group``, which travel together, for every row.

    ``encode(column, value)`` gives one field's bytes. Each distinct combination of values is
    encoded once; ``encoded``, when given, keeps the combinations that repeat for later chunks.
    """
    codes, firsts = rowcodes.factorize_rows(frame, group)
    remember = encoded is not None and len(firsts) * 4 <= len(frame)
    fields = []
    for values in frame.iloc[firsts][list(group)].itertuples(index=False, name=None):
        field = encoded.get((group, values)) if encoded is not None else None
        if field is None:
            field = b"".join(encode(c, v) for c, v in zip(group, values, strict=True))
            if remember:
                encoded[(group, values)] = field
        fields.append(field)
    if len({len(f) for f in fields}) == 1:  # the same width on every row
        table = np.frombuffer(b"".join(fields), dtype=np.uint8).reshape(len(fields), -1)
        return table[codes]
    return np.array(fields, dtype=object)[codes]


def field(data: bytes) -> bytes:
    """A field: its length, then its bytes."""
    return len(data).to_bytes(4, "big") + data


def text(value: str, encoding: str) -> bytes:
    return field(value.encode(encoding))


def join_rows(parts: list[np.ndarray]) -> bytes:
    """Concatenate, row by row, byte matrices (same width on every row) and byte strings."""
    segments, run = [], []
    for part in [*parts, None]:
        if part is not None and part.dtype == np.uint8:
            run.append(part)
            continue
        if run:
            block = np.ascontiguousarray(np.concatenate(run, axis=1))
            segments.append(block.view(f"V{block.shape[1]}").ravel())
            run = []
        if part is not None:
            segments.append(part)
    if len(segments) == 1:
        return segments[0].tobytes()
    columns = [s.tolist() if s.dtype != object else s for s in segments]
    return b"".join(itertools.chain.from_iterable(zip(*columns, strict=True)))
