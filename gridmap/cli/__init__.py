"""cli: the ``gridmap`` command (``main``) and its groups (``accounts``, ``cases``, ``plans``;
``backup``: the ``db`` group's backups), who a command acts as (``acting``), and what
``gridmap serve`` runs from time to time (``upkeep``: the tally's compaction, the handover of
plans come into force, the daily backup). Commands parse, call the services and print; writes
are dry runs unless ``--commit``.

May import: every package but gridmap.web.
"""
