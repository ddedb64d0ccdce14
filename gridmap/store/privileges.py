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
    "street": "SELECT, UPDATE (closure_review)",
    # a division is published only through plan_publish (or by the owner): the app writes
    # drafts, and cannot set a division's status or validity
    "division": "SELECT, INSERT, UPDATE (name, note, boundary), DELETE",
    "package_area": AREA,
    "village": AREA,
    "grid": AREA,
    "unit": AREA,
    # planners' drafts (revisions append-only) and what a publish started or ended
    "plan": (
        "SELECT, INSERT (street_code, name, note, copied_from, created_by), UPDATE (name, note)"
    ),  # published by plan_publish, cancelled by plan_withdraw, handed over by plan_hand_over
    "plan_revision": "SELECT, INSERT",
    "plan_grid": "SELECT, INSERT",
    "plan_grid_member": "SELECT, INSERT",
    "plan_unit": "SELECT, INSERT",
    "plan_assignment": "SELECT, INSERT",
    # people and the six-level chain: ended, never deleted
    "role": READ,
    "person": "SELECT, INSERT, UPDATE (name, gender, phone, title, home, left_at)",
    # corrections of the past (superseded_at, corrects, reason) only through
    # assignment_correct() and person_correct_left(), which check their own preconditions
    "assignment": (
        "SELECT, INSERT (street_code, person_id, role, scope_code, valid), UPDATE (valid)"
    ),
    "assignment_standing": READ,
    "person_correction": READ,
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
    # the center's work on a case: 督办 / 催办 (answered once) and 回访
    "incident_supervision": (
        "SELECT, INSERT (street_code, incident_id, kind, note, answer_by, by_person, by_account),"
        " UPDATE (answer, answered_by, answered_at)"
    ),
    # 转办 to a 联动单位 (sent by the center, replied once by the department's account)
    "department": "SELECT, INSERT, UPDATE (name, active)",
    "department_default": READ,
    "incident_referral": (
        "SELECT, INSERT (street_code, incident_id, department_code, note, reply_by, by_person,"
        " by_account), UPDATE (reply, replied_by, replied_at)"
    ),
    "incident_callback": (
        "SELECT, INSERT (street_code, incident_id, closed_at, result, note, by_person, by_account)"
    ),
    # the tally, kept by the database's triggers
    "incident_tally": READ,
    "incident_tally_monthly": READ,
    "incident_closed_monthly": READ,
    "incident_bins": READ,
    # accounts (disabled, never deleted) and the audit log (append-only)
    "account_role": READ,
    "account": (
        "SELECT, INSERT (street_code, username, person_id, role, password_hash,"
        " must_set_password, department_code), UPDATE (password_hash, must_set_password,"
        " failed_attempts, locked_until, disabled_at, session_epoch, password_set_at)"
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

# gridmap's own functions the app's role may execute; every other one (trigger functions, the
# owner's purge and compaction, helpers that only the owner's functions call) only the owner.
# Trigger functions need no grant to fire; the helpers a trigger calls as the writing role do.
APP_FUNCTIONS = (
    # Beijing time, the street's calendar and deadlines, the tally's cells (read in queries
    # and by the triggers that run as the writer)
    "gm_local(timestamp with time zone)",
    "gm_day(timestamp with time zone)",
    "gm_day_start(date)",
    "gm_month(timestamp with time zone)",
    "gm_clock(timestamp with time zone,timestamp with time zone,timestamp with time zone,"
    "timestamp with time zone)",
    "gm_deadline(text,timestamp with time zone,integer,text)",
    "gm_due(text,text,text,timestamp with time zone,timestamp with time zone)",
    "gm_bin_size()",
    "gm_bin_x(geometry)",
    "gm_bin_y(geometry)",
    "responsible_people(text,timestamp with time zone,text,text,text,text)",
    "gm_is_owner()",
    "gm_backdate_floor()",
    "gm_correcting()",
    "tally_append_sql(text,integer,integer[])",
    "bins_append_sql(text,integer,integer[])",
    "tally_skipped(integer[])",
    "street_days_rebuild(text)",
    # the doors through which the app changes what it may not write itself; each checks its
    # own preconditions (a load's own batch, a plan's own division, a present person)
    "incident_transition(text,bigint,text,timestamp with time zone,integer,text,text)",
    "incident_extend(text,bigint,integer,timestamp with time zone,integer,text)",
    "plan_publish(text,integer,integer,timestamp with time zone,integer,jsonb)",
    "plan_withdraw(text,integer,integer)",
    "plan_hand_over(text,integer)",
    "assignment_correct(text,integer,tstzrange,text,integer)",
    "person_correct_left(text,integer,timestamp with time zone,text,integer)",
    "bulk_indexes_drop()",
    "bulk_indexes_restore()",
    "incident_analyze()",
    "tally_fold(text,integer)",
    "tally_compact(text)",
)

_OWN_FUNCTIONS = """
    SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public'
       AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
     ORDER BY 1"""


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
    own = [r["signature"] for r in conn.execute(_OWN_FUNCTIONS).fetchall()]
    missing = sorted(set(APP_FUNCTIONS) - set(own))
    if missing:
        raise ValueError("privileges.APP_FUNCTIONS 列出了不存在的函数：" + "、".join(missing))
    for function in own:
        conn.execute(sql.SQL("REVOKE ALL ON FUNCTION " + function + " FROM PUBLIC, {}").format(who))
    for function in APP_FUNCTIONS:
        conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION " + function + " TO {}").format(who))


def executable(conn: psycopg.Connection, role: str) -> list[str]:
    """gridmap's own functions ``role`` may execute (PostGIS's and btree_gist's aside)."""
    return [
        r["signature"]
        for r in conn.execute(_OWN_FUNCTIONS).fetchall()
        if conn.execute(
            "SELECT has_function_privilege(%s, %s, 'EXECUTE') AS ok", (role, r["signature"])
        ).fetchone()["ok"]
    ]


def undeclared(conn: psycopg.Connection) -> list[str]:
    """Tables and views of gridmap's schema that APP does not mention (PostGIS's own aside)."""
    rows = conn.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')
              AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 1"""
    ).fetchall()
    return [r["relname"] for r in rows if r["relname"] not in APP]
