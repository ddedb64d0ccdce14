"""Spatial statistics for the governance center's hotspot maps (源头治理).

Pure functions over numpy arrays, scipy sparse matrices and shapely geometries: no database,
no Flask, no Folium. The aim is to find where conflicts start and where they keep coming back:

- :mod:`~gridmap.stats.fishnet` – a square fishnet (渔网格) over a metric bounding box;
- :mod:`~gridmap.stats.weights` – which cells/grids are neighbours (libpysal, imported lazily);
- :mod:`~gridmap.stats.gistar` – Getis-Ord Gi* hot and cold spots, as ArcGIS computes them;
- :mod:`~gridmap.stats.emerging` – Esri's Emerging Hot Spot Analysis over months;
- :mod:`~gridmap.stats.kde` – a smooth kernel density surface of incident points.

Submodules are not imported here, so ``import gridmap.stats`` stays cheap.
"""
