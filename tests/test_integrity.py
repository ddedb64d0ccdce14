"""The database refuses what can never be true, whoever writes: each probe of the issue "The
record keeps itself true", tried directly in SQL as a new user would, as the app's role and,
where it matters, as the owner. Each passed on the schema of migration 0007."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import psycopg
import pytest

from gridmap.accounts.scope import Scope
from gridmap.data import people
from gridmap.store import cluster
from tests import small_street as st

INSERT = """
INSERT INTO incident (street_code, kind, category, status, geom, occurred_at, reported_at,
                      closed_at, status_since, due_at, division_id, unit_id, grid_id, unit_code,
                      grid_code, village_code, package_area_code)
SELECT %(street)s, %(kind)s, '', %(status)s, ST_SetSRID(ST_MakePoint(114.005, 30.005), 4326),
       %(occurred)s, %(reported)s, %(closed)s,
       coalesce(%(closed)s::timestamptz, %(reported)s::timestamptz),
       CASE WHEN %(with_due)s THEN coalesce(
           gm_due(u.street_code, %(kind)s, %(status)s, %(reported)s, %(reported)s),
           %(reported)s::timestamptz + interval '30 days') END,
       coalesce(%(division)s, u.division_id),
       coalesce(%(unit)s, u.id), coalesce(%(grid)s, g.id), u.code, coalesce(%(grid_code)s, g.code),
       v.code, p.code
  FROM unit u JOIN grid g ON g.id = u.grid_id JOIN village v ON v.id = u.village_id
  JOIN package_area p ON p.id = v.package_area_id
 WHERE u.street_code = '420114999' AND u.code = %(unit_code)s
"""
GOOD = {
    "street": st.CODE,
    "kind": "dispute",
    "status": "found",
    "occurred": "2021-05-01 10:00+08",
    "reported": "2021-05-01 11:00+08",
    "closed": None,
    "division": None,
    "unit": None,
    "grid": None,
    "grid_code": None,
    "unit_code": st.U1,
    "with_due": True,
}


@pytest.fixture()
def street(conn, owner):
    division = st.create(owner, app=conn)
    return division


def refused(conn, sql, params=(), words=None, error=psycopg.Error):
    """The statement fails, at the latest when committed (with ``words`` in the message), and
    nothing of it stays."""
    with pytest.raises(error) as caught:
        conn.execute(sql, params)
        conn.commit()
    conn.rollback()
    if words:
        assert words in str(caught.value), str(caught.value)


def test_a_good_row_is_accepted_as_the_control(conn, street):
    conn.execute(INSERT, GOOD)
    assert (
        conn.execute(
            "SELECT count(*) AS n FROM incident WHERE street_code = %s", (st.CODE,)
        ).fetchone()["n"]
        == 1
    )
    conn.rollback()


@pytest.mark.parametrize("role", ["app", "owner"])
@pytest.mark.parametrize(
    "change,words",
    [
        ({"kind": "riot", "status": "found"}, "没有状态"),  # a kind that does not exist
        ({"status": "agreement"}, "没有状态「agreement」"),  # a state of another kind
        ({"status": "resolved"}, "结案时间"),  # final without a closing time
        ({"closed": "2021-05-02 10:00+08"}, "结案时间"),  # open with a closing time
        ({"unit": 999_999}, "落格快照不一致"),  # a unit that does not exist
        ({"grid": 999_999}, "落格快照不一致"),  # a grid that does not exist
        ({"grid_code": st.G3}, "落格快照不一致"),  # a grid the unit does not belong to
        ({"street": "420114998"}, "街道"),  # a street that does not exist
        ({"occurred": "2019-05-01 10:00+08", "reported": "2019-05-01 11:00+08"}, "并未生效"),
        ({"reported": "2021-04-30 10:00+08"}, "incident_times_in_order"),  # reported before
        ({"occurred": "2099-05-01 10:00+08", "reported": "2099-05-01 11:00+08"}, "未来"),
        ({"with_due": False}, "须有本环节的办理期限"),  # an open case without its deadline
    ],
)
def test_an_untrue_incident_is_refused(conn, owner, street, role, change, words):
    writer = conn if role == "app" else owner
    refused(writer, INSERT, {**GOOD, **change}, words)


def test_a_snapshot_of_another_division_is_refused(conn, owner, street):
    # A second division, B, published from 2022: a unit of A named in B's period is untrue.
    from datetime import datetime

    from gridmap.core.clock import LOCAL
    from gridmap.planner import planning

    draft = planning.load_draft(owner, st.CODE, "B", *st.frames(moved=True))
    planning.publish(owner, draft, datetime(2022, 1, 1, tzinfo=LOCAL))  # the owner's door
    owner.commit()
    refused(
        conn,
        INSERT,
        {**GOOD, "occurred": "2022-05-01 10:00+08", "reported": "2022-05-01 11:00+08"},
        "并未生效",
    )


@pytest.mark.parametrize("role", ["app", "owner"])
def test_a_published_division_is_history(conn, owner, street, role):
    writer = conn if role == "app" else owner
    # Deleting it (which would cascade to its areas under the incidents that point at them).
    refused(writer, "DELETE FROM division WHERE id = %s", (street,), "不能删除")
    # Un-publishing it, changing its period, its outline; editing a unit.
    refused(writer, "UPDATE division SET status = 'draft', valid = NULL WHERE id = %s", (street,))
    refused(
        writer,
        "UPDATE division SET valid = tstzrange('2019-01-01+08', NULL) WHERE id = %s",
        (street,),
        # the app's role may not write a division's period at all (only plan_publish does)
        "不能撤销发布或修改" if role == "owner" else "permission denied",
    )
    refused(
        writer,
        "UPDATE division SET boundary = ST_Multi(ST_Buffer(boundary, 0.01)) WHERE id = %s",
        (street,),
        "不能撤销发布或修改",
    )
    refused(writer, "UPDATE unit SET households = 1 WHERE division_id = %s", (street,), "已发布")
    # Closing its open period without publishing a successor.
    refused(
        writer,
        "UPDATE division SET valid = tstzrange(lower(valid), '2030-01-01+08') WHERE id = %s",
        (street,),
        "不衔接" if role == "owner" else "permission denied",
    )


def test_no_session_setting_opens_the_freeze(conn, owner, street):
    for writer in (conn, owner):
        writer.execute("SELECT set_config('gridmap.purge', %s, true)", (st.CODE,))
        refused(writer, "UPDATE grid SET name = 'x' WHERE street_code = %s", (st.CODE,), "已发布")


def test_only_the_owner_may_purge_a_street(conn, owner, street):
    refused(conn, "SELECT purge_street(%s)", (st.CODE,), error=psycopg.errors.InsufficientPrivilege)
    owner.execute("SELECT purge_street(%s)", (st.CODE,))
    assert (
        owner.execute(
            "SELECT count(*) AS n FROM division WHERE street_code = %s", (st.CODE,)
        ).fetchone()["n"]
        == 0
    )
    owner.rollback()


@pytest.mark.parametrize("role", ["app", "owner"])
def test_a_person_is_ended_not_deleted(conn, owner, street, role):
    writer = conn if role == "app" else owner
    leader = conn.execute(
        "SELECT person_id FROM assignment WHERE street_code = %s AND role = 'package_leader'"
        " ORDER BY person_id LIMIT 1",
        (st.CODE,),
    ).fetchone()["person_id"]
    refused(writer, "DELETE FROM person WHERE street_code = %s AND id = %s", (st.CODE, leader))
    refused(writer, "DELETE FROM assignment WHERE street_code = %s", (st.CODE,))


def test_a_person_who_leaves_keeps_their_name_on_the_incidents_of_their_time(
    conn, street, placement
):
    import pandas as pd

    from gridmap.core.clock import LOCAL
    from gridmap.data import incidents as incident_data
    from gridmap.intake import load as incidents

    frame = pd.DataFrame(
        [
            {
                "kind": "dispute",
                "status": "found",
                "lon": 114.005,
                "lat": 30.005,
                "occurred_at": "2021-05-01 10:00",
                "reported_at": "2021-05-01 11:00",
            }
        ]
    )
    result = incidents.load(conn, placement, st.CODE, frame, source="t")
    case = incident_data.ids_of_batch(conn, st.CODE, result.batch_id)[0]
    member = next(
        r
        for r in incident_data.responsible(conn, Scope.street(st.CODE), case)
        if r["role"] == "grid_member"
    )
    conn.commit()
    # An end is recorded when it happens (at most a week late): history is not rewritten.
    with pytest.raises(Exception, match="早于 7 天前"):
        people.end_person(conn, st.CODE, member["person_id"], pd.Timestamp("2022-03-01", tz=LOCAL))
    conn.rollback()
    people.end_person(conn, st.CODE, member["person_id"], pd.Timestamp.now(tz=LOCAL).floor("s"))
    conn.commit()
    after = [r["name"] for r in incident_data.responsible(conn, Scope.street(st.CODE), case)]
    assert member["name"] in after  # still named on the incident of their time
    open_now = conn.execute(
        "SELECT count(*) AS n FROM assignment WHERE street_code = %s AND person_id = %s"
        " AND upper_inf(valid)",
        (st.CODE, member["person_id"]),
    ).fetchone()["n"]
    assert open_now == 0  # their assignments ended when they left
    with pytest.raises(Exception, match="离任"):
        people.end_person(conn, st.CODE, member["person_id"], pd.Timestamp.now(tz=LOCAL))
    conn.rollback()


def test_the_apps_role_cannot_change_the_schema_or_its_guards(conn, street):
    me = conn.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert me == {"rolsuper": False, "rolcreaterole": False, "rolcreatedb": False}
    for sql in (
        "ALTER TABLE incident DISABLE TRIGGER incident_guard",
        "DROP TRIGGER incident_guard ON incident",
        "ALTER TABLE incident DROP CONSTRAINT incident_times_in_order",
        "SET session_replication_role = replica",
        "CREATE TEMP TABLE scratch (a int)",
        "CREATE TABLE scratch (a int)",
        "DELETE FROM incident_event",
        "UPDATE incident SET occurred_at = occurred_at - interval '1 day'",
        "DELETE FROM incident",
    ):
        refused(conn, sql)


def test_the_owner_is_no_superuser_either(owner):
    me = owner.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    assert me == {"rolsuper": False}


def test_the_database_speaks_beijing_time(conn, owner):
    for c in (conn, owner):
        assert c.execute("SHOW timezone").fetchone()["TimeZone"] == "Asia/Shanghai"


def test_the_embedded_cluster_authenticates_and_keeps_its_socket_to_itself(settings):
    pg = cluster.from_config(settings)
    hba = (pg.data_dir / "pg_hba.conf").read_text() if os.access(pg.data_dir, os.R_OK) else ""
    if hba:
        rules = [line.split() for line in hba.splitlines() if line and not line.startswith("#")]
        assert rules and all(r[-1] == "scram-sha-256" for r in rules), rules
    secrets = Path(pg.secrets_file)
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    socket_dir = stat.S_IMODE(pg.socket_dir.stat().st_mode)
    assert socket_dir == 0o700
    sockets = [s for s in pg.socket_dir.glob(".s.PGSQL.*") if not s.name.endswith(".lock")]
    assert sockets and all(stat.S_IMODE(s.stat().st_mode) == 0o700 for s in sockets)
    # Without the password file, no role gets in.
    bare = f"postgresql://{cluster.APP}@/gridmap?host={pg.socket_dir}&port={pg.port}"
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(bare + "&passfile=/nonexistent", connect_timeout=3)
