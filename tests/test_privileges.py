"""What the app's database role may do is declared once (gridmap.store.privileges), applied by the
migrations, documented, and holds in the database."""

from __future__ import annotations

import re
from pathlib import Path

from gridmap.store import privileges

DOCS = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def test_every_table_and_view_declares_the_apps_privileges(owner):
    assert privileges.undeclared(owner) == []


def test_the_documented_grants_are_the_declared_ones():
    documented = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|$", DOCS.read_text(), re.M))
    for table, granted in privileges.APP.items():
        assert table in documented, table
        assert documented[table].strip() == (granted or "—（none: the owner only）"), table


def test_the_database_grants_what_is_declared(conn):
    rows = conn.execute(
        """SELECT table_name, string_agg(privilege_type, ', ' ORDER BY privilege_type) AS p
             FROM information_schema.role_table_grants
            WHERE grantee = current_user AND table_schema = 'public' GROUP BY 1"""
    ).fetchall()
    granted = {r["table_name"]: set(r["p"].split(", ")) for r in rows}
    for table, declared in privileges.APP.items():
        columns = re.findall(r"(\w+) \(", declared)  # column-level: UPDATE (title, …)
        whole = {p.strip() for p in re.sub(r"\w+ \([^)]*\)", "", declared).split(",")}
        whole = {p for p in whole if p}
        assert whole <= granted.get(table, set()), table
        assert "DELETE" not in granted.get(table, set()) or "DELETE" in declared, table
        assert not ({"UPDATE"} & granted.get(table, set())) or "UPDATE" in whole, table
        assert set(columns) <= {"INSERT", "UPDATE"}, table
    assert "bulk_index_rebuild" not in granted
    # Where history lives, the app may add rows but not delete them.
    for table in ("incident", "incident_event", "incident_link", "person", "assignment"):
        assert "DELETE" not in granted.get(table, set()), table
