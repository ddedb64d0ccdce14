"""people: the street's people as gridmap knows them. Signing in and out, one's own password and
the account of a session (``sessions``); the administrator's accounts, people and assignments of
the six-level chain, and the auditor's reading of the log (``staffing``). Shared by the pages
and ``gridmap accounts``; every change is in the audit log in the same transaction.

May import: gridmap.core, gridmap.accounts, gridmap.data.
"""
