"""Incident identity for the writers to come: a phone's retried submission and a re-imported
ledger add nothing twice."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest

from gridmap.core.errors import BadInput
from gridmap.intake import load as incidents
from tests import small_street as st


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)


def stored(conn) -> int:
    return conn.execute(
        "SELECT count(*) AS n FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchone()["n"]


def ledger(n: int, **columns) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kind": "dispute",
            "status": "found",
            "lon": [114.002 + 0.002 * i for i in range(n)],
            "lat": 30.005,
            "occurred_at": "2021-04-01 09:30",
            **columns,
        }
    )


def test_a_retried_client_id_adds_nothing(conn, placement, street):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    first = incidents.load(conn, placement, st.CODE, ledger(3, client_id=ids), source="手机")
    conn.commit()
    again = incidents.load(conn, placement, st.CODE, ledger(3, client_id=ids), source="手机")
    assert first.rows == 3 and again.rows == 0 and again.batch_id is None
    assert sorted(again.already.values()) == sorted(incidents.incident_ids(conn, st.CODE, first))
    assert stored(conn) == 3
    # One new among the retried: only it is stored.
    more = incidents.load(
        conn, placement, st.CODE, ledger(4, client_id=[*ids, str(uuid.uuid4())]), source="手机"
    )
    assert more.rows == 1 and len(more.already) == 3 and stored(conn) == 4
    conn.rollback()


def test_a_reimported_ledger_adds_only_what_is_new(conn, placement, street):
    keys = ["XF-2021-0001", "XF-2021-0002", "XF-2021-0003"]
    first = incidents.load(conn, placement, st.CODE, ledger(3, source_key=keys), source="信访台账")
    conn.commit()
    grown = ledger(4, source_key=[*keys, "XF-2021-0004"])
    again = incidents.load(conn, placement, st.CODE, grown, source="信访台账")
    assert (first.rows, again.rows, len(again.already)) == (3, 1, 3) and stored(conn) == 4
    # The same keys from another ledger are other rows.
    other = incidents.load(conn, placement, st.CODE, ledger(3, source_key=keys), source="调解台账")
    assert other.rows == 3 and stored(conn) == 7
    conn.rollback()


def test_identity_keys_are_checked_before_anything_is_stored(conn, placement, street):
    for frame, words in [
        (ledger(2, client_id=["not-a-uuid", str(uuid.uuid4())]), "应为 UUID"),
        (ledger(2, source_key=["A-1", "A-1"]), "台账编号（source_key）在本次导入中重复"),
        (ledger(1, source_key=["x" * 101]), "超过 100 个字"),
    ]:
        with pytest.raises(BadInput, match=words):
            incidents.load(conn, placement, st.CODE, frame, source="t")
        conn.rollback()
        assert stored(conn) == 0


def test_the_database_refuses_a_second_row_with_a_stored_client_id(conn, owner, placement, street):
    client = str(uuid.uuid4())
    incidents.load(conn, placement, st.CODE, ledger(1, client_id=[client]), source="手机")
    conn.commit()
    with pytest.raises(Exception, match="incident_client_id_key"):
        conn.execute(
            "INSERT INTO incident SELECT * FROM incident WHERE street_code = %s LIMIT 0", (st.CODE,)
        )
        conn.execute(
            """INSERT INTO incident (street_code, kind, status, geom, occurred_at, reported_at,
                                     status_since, due_at, division_id, unit_id, grid_id,
                                     unit_code, grid_code, village_code, package_area_code,
                                     client_id)
               SELECT street_code, kind, status, geom, occurred_at, reported_at, status_since,
                      due_at, division_id, unit_id, grid_id, unit_code, grid_code, village_code,
                      package_area_code, client_id
                 FROM incident WHERE street_code = %s""",
            (st.CODE,),
        )
    conn.rollback()


def test_an_edit_records_when_it_was_made(conn, placement, street):
    incidents.load(conn, placement, st.CODE, ledger(1), source="t")
    conn.commit()
    before = conn.execute(
        "SELECT updated_at FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchone()["updated_at"]
    conn.execute("UPDATE incident SET description = '补充' WHERE street_code = %s", (st.CODE,))
    after = conn.execute(
        "SELECT updated_at FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchone()["updated_at"]
    assert after > before
    conn.rollback()
