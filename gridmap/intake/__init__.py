"""intake: everything that brings incidents in. Rows read and checked (``rows``) and loaded in
bulk (``load``), with the decision to fold a large batch into the tally (``fold``); ledger files
(``ledger``); and a grid member's pin from the phone (``pins``).

May import: gridmap.core, gridmap.accounts, gridmap.data, gridmap.geo.
"""
