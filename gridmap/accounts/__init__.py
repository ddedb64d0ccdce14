"""accounts: who is asking and what they may see. The scope of a request (``scope``: the street
and the areas a person answers for), personal data and its masks (``pii``), and passwords
(``passwords``).

May import: gridmap.core.
"""
