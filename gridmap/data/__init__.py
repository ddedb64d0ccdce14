"""The data layer: every SQL statement gridmap runs lives in this package.

Functions take an open psycopg connection (rows as dicts) and plain Python / pandas values, and
return the same. They do not commit: the caller owns the transaction, so a command or a request
either stores everything it was given or nothing.
"""
