"""Integer codes for the rows of a frame: the same combination of values, the same code.

Bulk paths (the binary COPY writer, the tally) work on a million rows by coding each row's
combination of a few text columns once, then doing arithmetic on the codes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def factorize_rows(frame: pd.DataFrame, columns) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's combination of ``columns`` (0, 1, … in order of first appearance),
    and the first row of each combination."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        more, distinct = pd.factorize(frame[col], use_na_sentinel=False)
        codes, _ = pd.factorize(codes * max(len(distinct), 1) + more)
    return codes, firsts(codes, int(codes.max()) + 1 if len(codes) else 0)


def combinations(frame: pd.DataFrame, columns) -> tuple[np.ndarray, list[tuple]]:
    """Code of each row's combination of ``columns``, and the combinations in code order."""
    codes, first = factorize_rows(frame, columns)
    return codes, list(frame.iloc[first][list(columns)].itertuples(index=False, name=None))


def firsts(codes: np.ndarray, count: int) -> np.ndarray:
    """The first row of each of ``count`` codes."""
    first = np.zeros(count, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return first
