"""A square fishnet (渔网格) over a bounding box in a metric CRS.

Administrative grids (网格) differ in size and shape, so counts per grid mix "many incidents"
with "a big grid". A fishnet of equal squares removes that effect: every cell covers the same
area, so a high count means a dense place, which is what a hot spot map should show.

Cells are numbered row-major from the south-west corner: cell ``row * ncols + col`` spans
``[x0 + col*cell, x0 + (col+1)*cell) × [y0 + row*cell, y0 + (row+1)*cell)``. Row 0 is the
southernmost row; flip rows (``numpy.flipud``) for image overlays that start at the top. This
order is the one :func:`gridmap.center.stats.weights.lattice_weights` uses, so ``counts`` can go
straight into :func:`gridmap.center.stats.gistar.hotspots`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely


@dataclass(frozen=True)
class Fishnet:
    """``ncols × nrows`` square cells of side ``cell`` with the south-west corner at (x0, y0)."""

    x0: float
    y0: float
    cell: float
    ncols: int
    nrows: int

    def __post_init__(self) -> None:
        if not self.cell > 0:
            raise ValueError("cell size must be positive")
        if self.ncols < 1 or self.nrows < 1:
            raise ValueError("a fishnet needs at least one row and one column")

    @classmethod
    def covering(cls, bounds: tuple[float, float, float, float], cell: float) -> Fishnet:
        """The smallest fishnet anchored at (minx, miny) that covers ``bounds``."""
        minx, miny, maxx, maxy = bounds
        ncols = max(1, math.ceil((maxx - minx) / cell))
        nrows = max(1, math.ceil((maxy - miny) / cell))
        return cls(float(minx), float(miny), float(cell), ncols, nrows)

    @property
    def n(self) -> int:
        """Number of cells."""
        return self.ncols * self.nrows

    @property
    def shape(self) -> tuple[int, int]:
        """``(nrows, ncols)``: the shape of a 2-D array of per-cell values."""
        return self.nrows, self.ncols

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(minx, miny, maxx, maxy)`` of the whole fishnet."""
        return (
            self.x0,
            self.y0,
            self.x0 + self.ncols * self.cell,
            self.y0 + self.nrows * self.cell,
        )

    def cell_rc(self, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of each point (0 where outside), and a mask of the points inside."""
        col = np.floor((np.asarray(x, dtype=float) - self.x0) / self.cell)
        row = np.floor((np.asarray(y, dtype=float) - self.y0) / self.cell)
        inside = (col >= 0) & (col < self.ncols) & (row >= 0) & (row < self.nrows)
        # Outside (and NaN) points get row = col = 0 before the cast, which would warn.
        row = np.where(inside, row, 0).astype(np.int64)
        col = np.where(inside, col, 0).astype(np.int64)
        return row, col, inside

    def index(self, x, y) -> np.ndarray:
        """Flat row-major cell id of each point; -1 for points outside (or NaN coordinates)."""
        row, col, inside = self.cell_rc(x, y)
        return np.where(inside, row * self.ncols + col, -1)

    def counts(self, x, y, weights=None) -> np.ndarray:
        """Points (or summed ``weights``) per cell, flat and row-major; outside points dropped."""
        ids = self.index(x, y)
        keep = ids >= 0
        w = None if weights is None else np.asarray(weights, dtype=float)[keep]
        return np.bincount(ids[keep], weights=w, minlength=self.n)

    def centers(self) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre x and y, flat and row-major."""
        rows, cols = np.divmod(np.arange(self.n), self.ncols)
        return self.x0 + (cols + 0.5) * self.cell, self.y0 + (rows + 0.5) * self.cell

    def polygons(self) -> np.ndarray:
        """Cell squares as a shapely array, flat and row-major (same ids as ``index``)."""
        cx, cy = self.centers()
        half = self.cell / 2
        return shapely.box(cx - half, cy - half, cx + half, cy + half)
