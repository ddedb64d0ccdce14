"""center: the governance center's (综治中心) questions of the record. Its filters
(``filters``), the analysis they ask for (``analysis``: counts, rates, Gi* hot spots, emerging
patterns, kernel density, on aggregates PostGIS makes), the service page and API share
(``service``), and the spatial statistics themselves (``stats``, PySAL and SciPy).

May import: gridmap.core, gridmap.accounts, gridmap.data.
"""
