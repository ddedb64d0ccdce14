"""The database refuses the untrue writes of the issue "What the database accepts is true for
plans, people, accounts and the audit log": each class tried in SQL as the app's role (and,
where it is no deliberate power of the owner's, as the owner), with the refusal's Chinese
sentence as gridmap.data.dberrors passes it on, and nothing of the write left behind."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest

from gridmap.data import dberrors
from gridmap.planner import planning
from gridmap.store import privileges
from tests import small_street as st
from tests.test_integrity import GOOD, INSERT


@pytest.fixture()
def street(conn, owner):
    return st.create(owner, app=conn)


def refused(conn, statement, params=(), words=None):
    """The statement fails (at the latest when committed), its refusal reaches a person as a
    Chinese sentence containing ``words``, and the transaction is rolled back."""
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(statement, params)
        conn.commit()
    conn.rollback()
    error = dberrors.translate(caught.value)
    message = str(error) if error is not None else str(caught.value)
    if words:
        assert words in message, message
    return caught.value


def denied(conn, statement, params=()):
    """The app's role has no right to the statement at all."""
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement, params)
    conn.rollback()


def one(conn, query, params=()):
    row = conn.execute(query, params).fetchone()
    conn.rollback()
    return row


def ids(conn) -> dict[str, int]:
    rows = conn.execute("SELECT id, name FROM person WHERE street_code = %s", (st.CODE,))
    found = {r["name"]: r["id"] for r in rows.fetchall()}
    conn.rollback()
    return found


def account(conn, username: str) -> int:
    return one(
        conn, "SELECT id FROM account WHERE street_code = %s AND username = %s", (st.CODE, username)
    )["id"]


def new_plan(conn) -> int:
    plan = conn.execute(
        "INSERT INTO plan (street_code, name, created_by) VALUES (%s, '测试方案', %s) RETURNING id",
        (st.CODE, account(conn, "planner")),
    ).fetchone()["id"]
    conn.commit()
    return plan


# A published division and the plans that publish divisions


def test_a_plan_cannot_be_marked_published_by_an_update(conn, owner, street):
    plan = new_plan(conn)
    denied(
        conn,
        "UPDATE plan SET status = 'published' WHERE street_code = %s AND id = %s",
        (st.CODE, plan),
    )
    # Not even the owner: a plan is published with the division it made, by plan_publish.
    refused(
        owner,
        """UPDATE plan SET status = 'published', division_id = %s, effective = now() + '1 day',
                          published_by = created_by, published_at = now()
            WHERE street_code = %s AND id = %s""",
        (street, st.CODE, plan),
        "只能随它自己新建并发布的区划版本一起发布",
    )
    # So a withdrawal cannot reach the division in force.
    refused(
        conn,
        "SELECT plan_withdraw(%s, %s, %s)",
        (st.CODE, plan, account(conn, "planner")),
        "未发布",
    )
    assert one(conn, "SELECT count(*) AS n FROM division WHERE id = %s", (street,))["n"] == 1


def test_hand_over_of_a_plan_never_published_changes_nothing(conn, street):
    plan = new_plan(conn)
    assert one(conn, "SELECT plan_hand_over(%s, %s) AS n", (st.CODE, plan))["n"] == 0
    row = one(
        conn, "SELECT handed_over_at FROM plan WHERE street_code = %s AND id = %s", (st.CODE, plan)
    )
    assert row["handed_over_at"] is None


@pytest.mark.parametrize("role", ["app", "owner"])
def test_a_published_division_keeps_its_boundary(conn, owner, street, role):
    writer = conn if role == "app" else owner
    refused(writer, "UPDATE division SET boundary = NULL WHERE id = %s", (street,), "已发布")
    assert one(conn, "SELECT boundary IS NOT NULL AS b FROM division WHERE id = %s", (street,))["b"]


def test_the_app_cannot_publish_a_division_by_sql(conn, owner, street):
    draft = planning.load_draft(owner, st.CODE, "B", *st.frames(moved=True))
    owner.commit()
    denied(conn, "UPDATE division SET status = 'published' WHERE id = %s", (draft,))
    denied(conn, "UPDATE division SET valid = tstzrange(now(), NULL) WHERE id = %s", (draft,))


PUBLISH = """UPDATE division SET status = 'published',
                    valid = tstzrange('2030-01-01 00:00+08', NULL) WHERE id = %s"""


@pytest.mark.parametrize(
    "breakage,words",
    [
        # two units overlapping: U4 drawn over U2
        (
            "UPDATE unit SET geom = (SELECT geom FROM unit WHERE division_id = %(d)s AND code = "
            "%(u2)s) WHERE division_id = %(d)s AND code = %(u4)s",
            "相互重叠",
        ),
        # an empty grid: a grid without units
        (
            "INSERT INTO grid (division_id, street_code, village_id, code, name, geom) SELECT "
            "division_id, street_code, village_id, %(v2)s || '009', '空网格', geom FROM grid "
            "WHERE division_id = %(d)s AND code = %(g2)s",
            "没有任何单元",
        ),
        # a grid code of another street
        (
            "UPDATE grid SET code = '420114001201001' WHERE division_id = %(d)s AND code = %(g1)s",
            "不属于街道",
        ),
        # a unit of no shape at all
        (
            "UPDATE unit SET geom = ST_GeomFromText('MULTIPOLYGON EMPTY', 4326)"
            " WHERE division_id = %(d)s AND code = %(u1)s",
            "边界无效",
        ),
        # a bow-tie
        (
            "UPDATE unit SET geom = ST_Multi(ST_GeomFromText('POLYGON((114 30, 114.01 30.01, "
            "114.01 30, 114 30.01, 114 30))', 4326)) WHERE division_id = %(d)s AND code = %(u1)s",
            "边界无效",
        ),
        # no areas at all
        (
            "DELETE FROM unit WHERE division_id = %(d)s;"
            " DELETE FROM grid WHERE division_id = %(d)s;"
            " DELETE FROM village WHERE division_id = %(d)s;"
            " DELETE FROM package_area WHERE division_id = %(d)s",
            "缺少片区",
        ),
    ],
    ids=["overlap", "empty-grid", "other-street", "empty-shape", "bow-tie", "no-areas"],
)
def test_a_broken_draft_is_not_published_even_by_the_owner(conn, owner, street, breakage, words):
    draft = planning.load_draft(owner, st.CODE, "B", *st.frames())
    codes = {
        "d": draft,
        "u1": st.U1,
        "u2": st.U2,
        "u4": st.U4,
        "g1": st.G1,
        "g2": st.G2,
        "v2": st.V2,
    }
    for part in breakage.split("; "):
        try:
            owner.execute(part, codes)
        except psycopg.errors.CheckViolation:  # the table refuses the breakage outright
            owner.rollback()
            return
    refused(owner, PUBLISH, (draft,), words)
    assert one(owner, "SELECT status FROM division WHERE id = %s", (draft,))["status"] == "draft"


def test_a_good_draft_is_published_by_the_owner_as_the_control(owner, street):
    draft = planning.load_draft(owner, st.CODE, "B", *st.frames(moved=True))
    owner.execute(
        "UPDATE division SET valid = tstzrange(lower(valid), '2030-01-01 00:00+08') WHERE id = %s",
        (street,),
    )
    owner.execute(PUBLISH, (draft,))
    assert one(owner, "SELECT status FROM division WHERE id = %s", (draft,))["status"] == (
        "published"
    )


# Assignments


ASSIGN = """INSERT INTO assignment (street_code, person_id, role, scope_code, valid)
            VALUES (%s, %s, %s, %s, tstzrange(now(), NULL))"""


@pytest.mark.parametrize(
    "role,scope",
    [
        ("grid_member", "no-such-grid"),
        ("grid_member", st.V1),  # a village's code for a grid
        ("package_leader", st.CODE + "-P99"),
        ("group_leader", st.G1 + "9"),
    ],
)
def test_an_assignment_to_an_area_that_is_not_is_refused(conn, street, role, scope):
    who = ids(conn)["网格员一"]
    refused(conn, ASSIGN, (st.CODE, who, role, scope), "任职范围")


def test_an_assignment_to_a_grid_the_division_in_force_has_not_is_refused(conn, owner, street):
    draft = planning.load_draft(owner, st.CODE, "B", *st.frames(moved=True))  # G3 retired
    planning.publish(owner, draft, datetime(2022, 1, 1, tzinfo=UTC))
    owner.commit()
    refused(conn, ASSIGN, (st.CODE, ids(conn)["网格员一"], "grid_member", st.G3), "任职范围")


def test_one_person_is_not_assigned_twice_to_one_grid_at_once(conn, street):
    refused(conn, ASSIGN, (st.CODE, ids(conn)["网格员一"], "grid_member", st.G1), "不能重叠")


def test_a_good_assignment_is_accepted_as_the_control(conn, street):
    conn.execute(ASSIGN, (st.CODE, ids(conn)["网格员一"], "grid_member", st.G2))
    conn.commit()


# History is not rewritten


def test_an_assignment_is_not_ended_years_back(conn, street):
    leader = ids(conn)["包一"]
    before = one(conn, "SELECT valid FROM assignment WHERE person_id = %s", (leader,))["valid"]
    refused(
        conn,
        "UPDATE assignment SET valid = tstzrange(lower(valid), '2020-06-01 00:00+08')"
        " WHERE person_id = %s",
        (leader,),
        "早于 7 天前",
    )
    after = one(conn, "SELECT valid FROM assignment WHERE person_id = %s", (leader,))["valid"]
    assert after == before


def test_a_person_does_not_leave_years_back(conn, street):
    refused(
        conn,
        "UPDATE person SET left_at = '2020-06-01 00:00+08' WHERE id = %s",
        (ids(conn)["包一"],),
        "早于 7 天前",
    )


def test_a_recent_end_is_accepted_as_the_control(conn, street):
    conn.execute(
        "UPDATE person SET left_at = now() - interval '1 day' WHERE id = %s", (ids(conn)["包一"],)
    )
    conn.rollback()


def test_an_account_is_not_disabled_in_the_past(conn, street):
    refused(
        conn,
        "UPDATE account SET disabled_at = '2000-01-01', session_epoch = session_epoch + 1"
        " WHERE id = %s",
        (account(conn, "center"),),
        "停用时间只能是停用的当时",
    )


def test_sessions_once_ended_stay_ended(conn, street):
    refused(
        conn,
        "UPDATE account SET session_epoch = session_epoch - 1 WHERE id = %s",
        (account(conn, "center"),),
        "只能增加",
    )


# The audit log and accounts


AUDIT = """INSERT INTO audit_log (street_code, account_id, username, action, incident_id, fields)
           VALUES (%s, %s, %s, %s, %s, %s)"""


def test_an_audit_row_names_its_account_as_it_is(conn, street):
    refused(
        conn,
        AUDIT,
        (st.CODE, account(conn, "center"), "admin", "sign_in", None, []),
        "账号与用户名不符",
    )


def test_an_audit_row_of_a_view_names_a_case_and_fields_that_exist(conn, street):
    center = account(conn, "center")
    refused(conn, AUDIT, (st.CODE, center, "center", "view_personal", 10**12, ["name"]), "不存在")
    conn.execute(INSERT, GOOD)
    incident = conn.execute(
        "SELECT max(id) AS id FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchone()["id"]
    refused(
        conn,
        AUDIT,
        (st.CODE, center, "center", "view_personal", incident, ["salary"]),
        "字段只能是",
    )


def test_only_the_bootstrap_admin_has_no_person(conn, street):
    refused(
        conn,
        "INSERT INTO account (street_code, username, role, password_hash)"
        " VALUES (%s, 'admin2', 'admin', '$argon2id$x')",
        (st.CODE,),
        "只有街道初建时的系统管理员",
    )


def test_no_account_for_a_person_who_left(conn, owner, street):
    who = ids(conn)["组长三"]
    owner.execute("UPDATE person SET left_at = now() - interval '30 days' WHERE id = %s", (who,))
    owner.commit()
    refused(
        conn,
        "INSERT INTO account (street_code, username, person_id, role, password_hash)"
        " VALUES (%s, 'gone1', %s, 'chain', '$argon2id$x')",
        (st.CODE, who),
        "已于",
    )


# Incidents and their follow-up


def test_a_copy_at_another_point_keeping_its_snapshot_is_refused(conn, street):
    refused(
        conn,
        INSERT.replace("ST_MakePoint(114.005, 30.005)", "ST_MakePoint(0, 0)"),
        GOOD,
        "不在所记的单元",
    )
    # inside another village's unit (U2, of V2) with U1's snapshot (V1)
    refused(
        conn,
        INSERT.replace("ST_MakePoint(114.005, 30.005)", "ST_MakePoint(114.015, 30.005)"),
        GOOD,
        "不在所记的单元",
    )


def test_a_report_by_a_person_who_had_left_is_refused(conn, owner, street):
    who = ids(conn)["网格员二"]
    owner.execute("UPDATE person SET left_at = '2021-07-01 00:00+08' WHERE id = %s", (who,))
    owner.commit()
    statement = INSERT.replace("package_area_code)", "package_area_code, reported_by)").replace(
        "v.code, p.code\n", "v.code, p.code, %(by)s\n"
    )
    refused(
        conn,
        statement,
        {**GOOD, "by": who, "occurred": "2021-09-01 10:00+08", "reported": "2021-09-01 11:00+08"},
        "已离任",
    )


def incident_of(conn) -> int:
    conn.execute(INSERT, GOOD)
    found = conn.execute(
        "SELECT max(id) AS id FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchone()["id"]
    conn.commit()
    return found


@pytest.mark.parametrize(
    "at,words",
    [("now() + interval '1 year'", "晚于当前时间"), ("'2021-04-01 00:00+08'", "早于事件发生时间")],
)
def test_a_note_is_of_its_case_s_time(conn, street, at, words):
    incident = incident_of(conn)
    refused(
        conn,
        f"INSERT INTO incident_note (street_code, incident_id, body, at)"
        f" VALUES (%s, %s, '跟进', {at})",
        (st.CODE, incident),
        words,
    )


def test_a_photo_is_not_dated_next_year(conn, street):
    incident = incident_of(conn)
    refused(
        conn,
        "INSERT INTO incident_photo (street_code, incident_id, file, content_type, bytes, width,"
        " height, sha256, at) VALUES (%s, %s, %s, 'image/jpeg', 10, 1, 1, %s,"
        " now() + interval '1 year')",
        (st.CODE, incident, "0" * 32 + ".jpg", "0" * 64),
        "晚于当前时间",
    )


def test_a_transition_by_a_person_who_left_is_refused(conn, owner, street):
    incident = incident_of(conn)
    who = ids(conn)["网格员一"]
    owner.execute("UPDATE person SET left_at = now() - interval '30 days' WHERE id = %s", (who,))
    owner.commit()
    refused(
        conn,
        "SELECT incident_transition(%s, %s, 'mediating', now(), %s, '调解')",
        (st.CODE, incident, who),
        "离任",
    )


@pytest.mark.parametrize(
    "due", ["2031-05-01 11:00+08", "2021-04-30 11:00+08"], ids=["in-ten-years", "before-its-step"]
)
def test_a_deadline_lies_within_its_step(conn, street, due):
    statement = INSERT.replace(
        "CASE WHEN %(with_due)s THEN coalesce(",
        "CASE WHEN %(with_due)s THEN %(due)s::timestamptz ELSE coalesce(",
    )
    refused(conn, statement, {**GOOD, "due": due}, "办理期限应在本环节开始之后")


# Functions out of their context


def test_indexes_are_not_dropped_outside_a_load(conn, owner, street):
    count = "SELECT count(*) AS n FROM pg_index WHERE indrelid = 'incident'::regclass"
    before = one(owner, count)["n"]
    refused(conn, "SELECT bulk_indexes_drop()", (), "大批量导入")
    # Inside a (pretended) load, the indexes must be back before its commit.
    conn.execute(
        "INSERT INTO load_batch (street_code, source, rows, tallied) VALUES (%s, 'x', 5, true)",
        (st.CODE,),
    )
    refused(conn, "SELECT bulk_indexes_drop()", (), "尚未重建")
    assert one(owner, count)["n"] == before


def test_a_batch_counts_its_rows(conn, street):
    refused(
        conn,
        "INSERT INTO load_batch (street_code, source, rows) VALUES (%s, 'x', -5)",
        (st.CODE,),
        "行数不能为负数",
    )


def test_one_id_key_belongs_to_one_id_number(conn, street):
    incident = incident_of(conn)
    conn.execute(
        "INSERT INTO incident_party (street_code, incident_id, role, name, id_number, id_key)"
        " VALUES (%s, %s, '当事人', '甲', '420114199001011234', %s),"
        "        (%s, %s, '当事人', '乙', '42011419900101567X', %s)",
        (st.CODE, incident, "a" * 32, st.CODE, incident, "b" * 32),
    )
    conn.commit()
    refused(
        conn,
        "UPDATE incident_party SET id_key = %s WHERE street_code = %s AND name = '乙'",
        ("a" * 32, st.CODE),
        "不同的人不能共用摘要",
    )


def test_the_app_may_execute_only_the_declared_functions(conn, settings):
    from gridmap.store import db

    role = db.app_role(settings)
    assert sorted(privileges.executable(conn, role)) == sorted(privileges.APP_FUNCTIONS)


def test_the_owner_s_functions_are_refused_to_the_app(conn):
    denied(conn, "SELECT purge_street('420114999')")
    denied(conn, "SELECT division_refuse_problems(1, '420114999')")
