"""center: the governance center's (综治中心) questions of the record. Its filters
(``filters``), the analysis they ask for (``analysis``: counts, rates, Gi* hot spots, emerging
patterns, kernel density, on aggregates PostGIS makes), the service page and API share
(``service``), the spatial statistics themselves (``stats``, PySAL and SciPy), and the
view printed and exported (``export``; drawn on one A4 page by ``printout`` in the Chinese
font ``cjkfont`` finds, tabulated as XLSX and CSV by ``sheets``).

May import: gridmap.core, gridmap.accounts, gridmap.data.
"""
