"""cases: working a case (案件) once it is in the record. What a list of cases asks for
(``query``).

May import: gridmap.core, gridmap.accounts, gridmap.data.
"""
