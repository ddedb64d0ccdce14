"""Spatial statistics for the governance center's hotspot maps (源头治理).

Pure functions over numpy arrays, scipy sparse matrices and shapely geometries: no database,
no Flask, no Folium. The aim is to find where conflicts start and where they keep coming back:

- :mod:`~gridmap.center.stats.fishnet` – a square fishnet (渔网格) over a metric bounding box;
- :mod:`~gridmap.center.stats.weights` – which cells/grids are neighbours (libpysal, imported
lazily);
- :mod:`~gridmap.center.stats.gistar` – Getis-Ord Gi* hot and cold spots, as ArcGIS computes them;
- :mod:`~gridmap.center.stats.emerging` – Esri's Emerging Hot Spot Analysis over months;
- :mod:`~gridmap.center.stats.kde` – a smooth kernel density surface of incident points.

Submodules are not imported here, so ``import gridmap.center.stats`` stays cheap.
"""
