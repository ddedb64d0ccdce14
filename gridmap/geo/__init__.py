"""geo: space. Building a division's areas from its units (``boundaries``), placing points on
a published division (``attribution``, ``placement``: one path for a pin and a million), and
answering "who covers this point" (``locate``).

May import: gridmap.core, gridmap.accounts, gridmap.data.
"""
