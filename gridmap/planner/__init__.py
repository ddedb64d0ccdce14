"""planner: the planners' plans (网格调整方案) for redrawing grids. A village's draft, its
save and check (``plans``, ``check``), the workload it is balanced by (``workload``), the
suggested rebalance (``rebalance``), cutting a unit (``unitedit``), plan files in and out
(``files``, ``io``), publishing a plan as a new division and handing open cases over
(``release``, ``planning``).

May import: gridmap.core, gridmap.accounts, gridmap.data, gridmap.geo.
"""
