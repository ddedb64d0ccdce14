"""Workflows and deadlines as data: transitions through the one call, events, extensions,
reopening, and deadlines and lights across holidays and month ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import psycopg
import pytest

from gridmap.core.clock import LOCAL
from gridmap.core.errors import BadInput, Conflict
from gridmap.data import incidents as incident_data
from gridmap.data import workflow
from gridmap.intake import load as incidents
from tests import small_street as st

POINT = (114.005, 30.005)  # U1, grid G1


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    return st.CODE


def new_case(conn, placement, kind="dispute", status="found", when="2026-03-02 09:00", **extra):
    frame = pd.DataFrame(
        [
            {
                "kind": kind,
                "status": status,
                "lon": POINT[0],
                "lat": POINT[1],
                "occurred_at": when,
                "reported_at": when,
                **extra,
            }
        ]
    )
    result = incidents.load(conn, placement, st.CODE, frame, source="test")
    conn.commit()  # so that a refusal rolled back later leaves the case in place
    return int(incident_data.ids_of_batch(conn, st.CODE, result.batch_id)[0])


def state(conn, incident_id) -> dict:
    return conn.execute(
        "SELECT status, status_since, due_at, closed_at FROM incident"
        " WHERE street_code = %s AND id = %s",
        (st.CODE, incident_id),
    ).fetchone()


def test_a_new_case_gets_its_first_steps_deadline_in_working_days(conn, placement, street):
    # Found on Wednesday 30 September 2026: five working days, across the National Day
    # holiday (1–7 October) and the worked Saturday 10 October, end on Tuesday 13 October.
    case = new_case(conn, placement, when="2026-09-30 16:00")
    assert state(conn, case)["due_at"] == at("2026-10-14 00:00")


def test_calendar_days_end_on_the_next_working_day_after_a_holiday(conn, street):
    # 15 days from 1 February 2026 fall on 16 February, in the Spring Festival holiday (15–23
    # February): the period ends with the next working day, 24 February, at 24:00.
    assert workflow.deadline(conn, st.CODE, at("2026-02-01 10:00"), 15, "calendar") == at(
        "2026-02-25 00:00"
    )
    # …and across a month end onto a working day it ends where it falls (20 Jan + 15 = 4 Feb).
    assert workflow.deadline(conn, st.CODE, at("2026-01-20 10:00"), 15, "calendar") == at(
        "2026-02-05 00:00"
    )
    # A period ending on a weekend moves to Monday (31 Oct 2026 + 1 = 1 Nov, a Sunday).
    assert workflow.deadline(conn, st.CODE, at("2026-10-31 10:00"), 1, "calendar") == at(
        "2026-11-03 00:00"
    )


def test_a_transition_writes_its_event_and_moves_the_case(conn, placement, street):
    case = new_case(conn, placement)
    event = workflow.transition(
        conn, st.CODE, case, "mediating", at=at("2026-03-03 10:00"), reason="双方同意调解"
    )
    assert (event["from_status"], event["to_status"], event["kind"]) == (
        "found",
        "mediating",
        "transition",
    )
    now = state(conn, case)
    assert now["status"] == "mediating" and now["status_since"] == at("2026-03-03 10:00")
    assert now["closed_at"] is None
    # Mediating: 30 calendar days from 3 March, 2 April 2026 is a Thursday.
    assert now["due_at"] == at("2026-04-03 00:00") == event["due_at"]
    workflow.transition(conn, st.CODE, case, "resolved", at=at("2026-03-20 15:00"))
    now = state(conn, case)
    assert now["status"] == "resolved" and now["closed_at"] == at("2026-03-20 15:00")
    assert now["due_at"] is None
    history = workflow.events(conn, st.CODE, case)
    assert [(e["from_name"], e["to_name"]) for e in history] == [
        ("排查发现", "调处中"),
        ("调处中", "已化解"),
    ]


def test_an_invalid_transition_is_refused_in_words_and_changes_nothing(conn, placement, street):
    case = new_case(conn, placement)
    before = state(conn, case)
    with pytest.raises(BadInput, match="「矛盾纠纷」没有「agreement」这个状态"):
        workflow.transition(conn, st.CODE, case, "agreement")  # a mediation case's
    conn.rollback()
    workflow.transition(conn, st.CODE, case, "resolved", at=at("2026-03-02 11:00"))
    conn.commit()
    before = state(conn, case)
    with pytest.raises(BadInput, match="当前状态「已化解」不能转为「已移交」。可转为：「调处中」"):
        workflow.transition(conn, st.CODE, case, "referred", reason="移交派出所")
    conn.rollback()
    assert state(conn, case) == before and len(workflow.events(conn, st.CODE, case)) == 1


def test_a_closed_case_cannot_go_back_except_where_the_workflow_reopens(conn, placement, street):
    case = new_case(conn, placement)
    workflow.transition(conn, st.CODE, case, "resolved", at=at("2026-03-02 11:00"))
    conn.commit()
    with pytest.raises(BadInput, match="不能转为「排查发现」"):
        workflow.transition(conn, st.CODE, case, "found", at=at("2026-03-05 09:00"))
    conn.rollback()
    # A dispute that flares up again is reopened, with its reason; it is open once more.
    with pytest.raises(BadInput, match="须填写理由"):
        workflow.transition(conn, st.CODE, case, "mediating", at=at("2026-03-05 09:00"))
    conn.rollback()
    workflow.transition(
        conn, st.CODE, case, "mediating", at=at("2026-03-05 09:00"), reason="纠纷反复"
    )
    now = state(conn, case)
    assert now["status"] == "mediating" and now["closed_at"] is None and now["due_at"]


def test_a_stale_page_is_refused_not_overwritten(conn, placement, street):
    case = new_case(conn, placement)
    workflow.transition(conn, st.CODE, case, "mediating", at=at("2026-03-03 10:00"))
    with pytest.raises(Conflict, match="已由.*于 .* 办理，当前状态为「调处中」"):
        workflow.transition(conn, st.CODE, case, "resolved", expected="found")


def test_times_of_a_transition_must_follow_the_step_and_not_lie_ahead(conn, placement, street):
    case = new_case(conn, placement, when="2026-03-02 09:00")
    with pytest.raises(BadInput, match="早于当前环节的开始时间"):
        workflow.transition(conn, st.CODE, case, "mediating", at=at("2026-03-01 09:00"))
    conn.rollback()
    case = new_case(conn, placement, when="2026-03-02 09:00")
    with pytest.raises(BadInput, match="不能晚于当前时间"):
        workflow.transition(
            conn, st.CODE, case, "mediating", at=datetime.now(LOCAL) + timedelta(days=2)
        )


def test_a_petition_is_extended_once_by_at_most_thirty_days(conn, placement, street):
    case = new_case(conn, placement, kind="petition", status="registered", category="other")
    workflow.transition(conn, st.CODE, case, "accepted", at=at("2026-03-05 10:00"))
    # Handled within 60 days of acceptance: 4 May 2026 falls in the Labour Day holiday (1–5
    # May), so the period ends on Wednesday 6 May.
    assert state(conn, case)["due_at"] == at("2026-05-07 00:00")
    conn.commit()
    day = at("2026-04-28 10:00")  # before the 60 days run out
    with pytest.raises(BadInput, match="1～30 天"):
        workflow.extend(conn, st.CODE, case, 31, at=day, reason="情况复杂")
    conn.rollback()
    with pytest.raises(BadInput, match="须填写理由"):
        workflow.extend(conn, st.CODE, case, 30, at=day)
    conn.rollback()
    with pytest.raises(BadInput, match="届满后不能再延期"):
        workflow.extend(conn, st.CODE, case, 30, at=at("2026-05-08 10:00"), reason="情况复杂")
    conn.rollback()
    event = workflow.extend(conn, st.CODE, case, 30, at=day, reason="情况复杂，经负责人批准")
    assert event["kind"] == "extension" and state(conn, case)["due_at"] == at("2026-06-06 00:00")
    conn.commit()
    with pytest.raises(Conflict, match="已延期 1 次"):
        workflow.extend(conn, st.CODE, case, 10, at=at("2026-05-20 10:00"), reason="再延")
    conn.rollback()
    # A step without the right to extend refuses.
    other = new_case(conn, placement)
    with pytest.raises(BadInput, match="不能延长"):
        workflow.extend(conn, st.CODE, other, 5, at=at("2026-03-03 10:00"), reason="想延")


def test_the_light_turns_yellow_at_80_percent_and_red_when_overdue(conn, placement, street):
    case = new_case(conn, placement, kind="petition", status="registered", when="2026-03-02 09:00")
    due = state(conn, case)["due_at"]
    assert due == at("2026-03-18 00:00")  # 15 days: 17 March, a Tuesday
    since = at("2026-03-02 09:00")
    span = due - since
    expected = [
        (since + span * 0.5, "green", 7),  # 10 March, a week before the last day
        (since + span * 0.79, "green", 3),
        (since + span * 0.85, "yellow", 2),
        (at("2026-03-17 18:00"), "yellow", 0),  # due today
        (at("2026-03-18 00:00"), "red", -1),
        (at("2026-03-19 10:00"), "red", -2),  # two days overdue
    ]
    for moment, light, days_left in expected:
        clock = workflow.clock(conn, st.CODE, case, moment)
        assert (clock["light"], clock["days_left"]) == (light, days_left), moment


def test_a_deadline_rule_of_absurd_length_is_refused(conn, street):
    for days, unit, words in [
        (-3, "calendar", "1～366 天"),
        (100_000, "calendar", "1～366 天"),
        (10, "fortnights", "calendar（自然日）或 working"),
    ]:
        with pytest.raises(BadInput, match=words):
            workflow.set_rule(conn, st.CODE, "dispute", "found", days=days, unit=unit)
        conn.rollback()
    with pytest.raises(BadInput, match="结案状态，没有办理期限"):
        workflow.set_rule(conn, st.CODE, "dispute", "resolved", days=5, unit="calendar")
    conn.rollback()
    workflow.set_rule(conn, st.CODE, "dispute", "found", days=3, unit="working")
    found = next(r for r in workflow.rules(conn, st.CODE) if r["status"] == "found")
    assert (found["days"], found["unit"]) == (3, "working")


def test_a_calendar_entry_in_the_wrong_form_is_refused(conn, street):
    from datetime import date

    for entry, words in [
        ((date(2026, 12, 2), "workday", "调休"), "周六或周日"),  # a Wednesday
        ((date(2026, 12, 5), "party", "联欢"), "holiday（放假）或 workday"),
        ((date(2026, 12, 5), "holiday", ""), "1～50 个字"),
        ((date(2150, 1, 1), "holiday", "元旦"), "2000 年至 2100 年"),
    ]:
        with pytest.raises(BadInput, match=words):
            workflow.set_days(conn, st.CODE, [entry])
        conn.rollback()


def test_an_added_holiday_moves_deadlines_counted_after_it(conn, street):
    before = workflow.deadline(conn, st.CODE, at("2026-12-01 09:00"), 3, "working")
    assert before == at("2026-12-05 00:00")  # Wednesday, Thursday, Friday
    workflow.set_days(conn, st.CODE, [(datetime(2026, 12, 3).date(), "holiday", "街道停电")])
    assert workflow.deadline(conn, st.CODE, at("2026-12-01 09:00"), 3, "working") == at(
        "2026-12-08 00:00"
    )


def test_state_changes_outside_the_workflow_call_are_refused(conn, owner, placement, street):
    case = new_case(conn, placement)
    conn.commit()
    # The app's role may not write the state at all …
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("UPDATE incident SET status = 'mediating' WHERE id = %s", (case,))
    conn.rollback()
    # … and even the owner cannot change it without its event.
    with pytest.raises(psycopg.DatabaseError, match="必须记录为流转事件"):
        owner.execute("UPDATE incident SET status = 'mediating' WHERE id = %s", (case,))
    owner.rollback()
    with pytest.raises(psycopg.DatabaseError, match="只能追加"):
        workflow.transition(owner, st.CODE, case, "mediating", at=at("2026-03-03 10:00"))
        owner.execute("DELETE FROM incident_event WHERE incident_id = %s", (case,))
    owner.rollback()
