"""Whether a large batch of incidents is worth adding to incident_tally.

The governance center asks the same questions of millions of incidents all day — how many per
grid and month, of these kinds and categories, open or closed — and incident_tally (migration
0011) answers them from a row per grid, kind, category, state and year. The database keeps it.
A large load is written without it (its batch is marked untallied and readers count it
directly), then folded in by one aggregate, when the fold pays: a tally only pays where it
aggregates. Measured on a million incidents: the demo street's batch needs about 140,000
tally rows (folded); the same million over 10,000 grids needs almost a row per incident, and
reading such a tally would save the center nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridmap.core import rowcodes
from gridmap.core.clock import OFFSET

# Batches this large are written untallied and folded in afterwards, in one aggregate: the
# tally's statement trigger would do the same work inside the load's transaction.
DEFER_FROM = 100_000
# ... and folded only when their tally would have at most a row per four incidents.
AT_MOST = 0.25


def rows_needed(frame: pd.DataFrame) -> int:
    """How many tally rows a batch needs: one per grid, kind, category, state and year of
    occurrence, one per grid, kind and year of occurrence, and one per grid, kind, category and
    year of closing."""
    occurred = _years(frame["occurred_at"])
    closed = frame["closed_at"].notna().to_numpy()
    keys = frame[["grid_id", "kind", "category"]].assign(closed=closed)
    by_occurrence, _ = rowcodes.factorize_rows(keys.assign(year=occurred), [*keys, "year"])
    count = int(by_occurrence.max()) + 1 if len(frame) else 0
    if len(frame):  # the rollup of every category and state (migration 0014)
        rollup, _ = rowcodes.factorize_rows(
            frame[["grid_id", "kind"]].assign(year=occurred), ["grid_id", "kind", "year"]
        )
        count += int(rollup.max()) + 1
    if closed.any():
        shut = keys[closed].assign(year=_years(frame["closed_at"][closed]))
        by_closing, _ = rowcodes.factorize_rows(shut, [*keys, "year"])
        count += int(by_closing.max()) + 1
    return count


def worth_keeping(frame: pd.DataFrame) -> bool:
    """Whether a large batch goes into the tally (see AT_MOST)."""
    return rows_needed(frame) <= AT_MOST * len(frame)


def _years(times: pd.Series) -> np.ndarray:
    local = times.dt.tz_convert(None) + OFFSET
    return local.dt.year.to_numpy()
