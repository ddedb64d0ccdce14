"""geo: space. Building a division's areas from its units (``boundaries``), placing points on
a published division (``attribution``, ``placement``: one path for a pin and a million),
answering "who covers this point" (``locate``), and reading the base map the street supplies as
an MBTiles or PMTiles file (``tilefiles``).

May import: gridmap.core, gridmap.accounts, gridmap.data.
"""
