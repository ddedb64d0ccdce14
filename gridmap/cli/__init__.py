"""cli: the ``gridmap`` command (``main``) and its groups (``accounts``, ``cases``, ``plans``).
Commands parse, call the services and print; writes are dry runs unless ``--commit``.

May import: every package but gridmap.web.
"""
