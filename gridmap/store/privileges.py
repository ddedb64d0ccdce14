"""What the app's database role may do, declared once, table by table.

The owner role owns every table and runs migrations. The role the web app and the command line
use gets only what is listed here: it reads everything, and writes rows where people's work
writes them. It never gets DELETE where history lives (incidents, their events and links,
people, assignments, published divisions are guarded by triggers too), never UPDATE of what an
incident is or of its state (a state changes only through incident_transition(), a function
that runs as the owner and writes the event), and no write at all to the tally (the database's
own triggers keep it). Applied by gridmap.store.migrate after every migration, to the role named in
``GRIDMAP_DATABASE_URL`` (gridmap_app in the embedded cluster); docs/settings.md lists the same.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

NONE = ""
READ = "SELECT"
AREA = "SELECT, INSERT, UPDATE, DELETE"  # drafts only: published areas refuse changes

APP: dict[str, str] = {
    # the street and its versioned boundaries (planners edit drafts and publish them)
    "street": READ,
    "division": AREA,
    "package_area": AREA,
    "village": AREA,
    "grid": AREA,
    "unit": AREA,
    # planners' drafts (revisions append-only) and what a publish started or ended
    "plan": (
        "SELECT, INSERT (street_code, name, note, copied_from, created_by),"
        " UPDATE (name, note, status, division_id, effective, published_by, published_at, summary)"
    ),
    "plan_revision": "SELECT, INSERT",
    "plan_grid": "SELECT, INSERT",
    "plan_grid_member": "SELECT, INSERT",
    "plan_unit": "SELECT, INSERT",
    "plan_assignment": "SELECT, INSERT",
    # people and the six-level chain: ended, never deleted
    "role": READ,
    "person": "SELECT, INSERT, UPDATE (name, gender, phone, title, home, left_at)",
    "assignment": "SELECT, INSERT, UPDATE (valid)",
    # incidents and their history
    "incident_kind": READ,
    "incident_status": READ,
    "incident_category": READ,
    "load_batch": "SELECT, INSERT (street_code, source, rows, tallied)",
    "incident": "SELECT, INSERT, UPDATE (title, description, details, category, reported_by)",
    "incident_party": "SELECT, INSERT, UPDATE (id_key)",
    "incident_event": READ,
    "incident_link": "SELECT, INSERT",
    "incident_note": "SELECT, INSERT",
    "incident_photo": "SELECT, INSERT",
    "incident_responsible": READ,
    "incident_handover": READ,  # written by plan_hand_over(), as the owner
    # the tally, kept by the database's triggers
    "incident_tally": READ,
    "incident_tally_monthly": READ,
    "incident_closed_monthly": READ,
    "incident_bins": READ,
    # accounts (disabled, never deleted) and the audit log (append-only)
    "account_role": READ,
    "account": (
        "SELECT, INSERT (street_code, username, person_id, role, password_hash,"
        " must_set_password), UPDATE (password_hash, must_set_password, failed_attempts,"
        " locked_until, disabled_at, session_epoch, password_set_at)"
    ),
    "audit_action": READ,
    "api_receipt": "SELECT, INSERT",
    "audit_log": (
        "SELECT, INSERT (street_code, account_id, username, action, incident_id, fields,"
        " detail, remote_addr, user_agent)"
    ),
    # workflows, deadlines and the street's calendar (the street edits its own rules)
    "workflow_transition": READ,
    "deadline_rule_default": READ,
    "deadline_rule": (
        "SELECT, INSERT, UPDATE (days, unit, counted_from, extend_days, extend_times, basis),"
        " DELETE"
    ),
    "holiday_default": READ,
    "street_calendar": "SELECT, INSERT, UPDATE (kind, name), DELETE",
    "street_day": READ,
    "link_kind": READ,
    "link_rule": READ,
    # the demo's ground truth, and the schema's own record
    "demo_hotspot": READ,
    "schema_migration": READ,
    "schema_repeatable": READ,
    # the owner's own bookkeeping of a large load's dropped indexes
    "bulk_index_rebuild": NONE,
}

# Functions only the owner may run.
OWNER_ONLY = ("purge_street(text)", "bins_compact(text)")


def apply(conn: psycopg.Connection, role: str) -> None:
    """Grant ``role`` exactly what APP lists (revoking anything else first)."""
    who = sql.Identifier(role)
    conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(who))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who))
    for table, privileges in APP.items():
        if privileges == NONE:
            continue
        conn.execute(
            sql.SQL("GRANT " + privileges + " ON {} TO {}").format(sql.Identifier(table), who)
        )
    # Serial ids of the boundary tables (identity columns need no grant of their own).
    conn.execute(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {}").format(who))
    for function in OWNER_ONLY:
        conn.execute(sql.SQL("REVOKE ALL ON FUNCTION " + function + " FROM PUBLIC"))


def undeclared(conn: psycopg.Connection) -> list[str]:
    """Tables and views of gridmap's schema that APP does not mention (PostGIS's own aside)."""
    rows = conn.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1"""
    ).fetchall()
    return [r["relname"] for r in rows if r["relname"] not in APP]
