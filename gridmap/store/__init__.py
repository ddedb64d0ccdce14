"""store: where the record lives. The embedded PostgreSQL + PostGIS cluster (``cluster``,
``dbsetup``), its owner and app roles and what the app's role may do (``privileges``), the
schema's migrations (``migrate``, the SQL in ``gridmap/migrations``), connections (``db``: the
one owner of the pool), throwaway databases for tests and benches (``sandbox``), backups with
pgBackRest (``backup``), restoring them into a fresh instance (``restore``) and the tally's
upkeep (``upkeep``).

The SQL that reads and writes the record is not here but in gridmap.data.

May import: gridmap.core.
"""
