"""Backups with pgBackRest, against a cluster of this module's own (not the session's): back up,
write more, restore to a moment between, and find the database as it was then — every table's
rows, its time zone, its roles and their rights. Pins arriving during a backup, the refusals
(another street, a newer schema) and the commands, in words."""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from gridmap import create_app
from gridmap.cli import upkeep
from gridmap.cli.main import main
from gridmap.store import backup, cluster, db, migrate, restore, sandbox
from tests import small_street as st
from tests.conftest import sign_in

IN_G1 = (114.0052, 30.0051)  # in unit U1 of grid G1 (网格员一)


@pytest.fixture(scope="module")
def base():
    """A folder the server's user may enter, for the backups and the restored instances."""
    folder = Path(tempfile.mkdtemp(prefix="gridmap-backup-test-"))
    folder.chmod(0o755)
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def pg(base):
    """The module's own cluster, made without a backup folder and then given one: the restart
    must switch archiving on (the settings are taken at start)."""
    port = int(os.environ.get("GRIDMAP_TEST_PG_PORT", "54391")) + 7
    with sandbox.database(port=port, prefix="gridmap-backup-db-") as values:
        plain = cluster.from_config(values)
        assert _setting(plain, "wal_level") == "minimal"
        values = {**values, "BACKUP_DIR": str(base / "backups")}
        c = cluster.from_config(values)
        c.stop()
        c.start()
        assert _setting(c, "archive_mode") == "on" and _setting(c, "wal_level") == "replica"
        with db.connect_owner(values) as owner:
            st.create(owner)
        yield values, c


def _setting(c: cluster.Cluster, name: str) -> str:
    with psycopg.connect(c.url_for(cluster.ADMIN)) as conn:
        return conn.execute("SELECT current_setting(%s)", (name,)).fetchone()[0]


def _admin(c: cluster.Cluster) -> psycopg.Connection:
    return psycopg.connect(c.url_for(cluster.ADMIN), autocommit=True)


def fingerprint(c: cluster.Cluster) -> dict:
    """Every table's row count and the md5 of its rows in order; the database's time zone; the
    roles, the database's and every table's grants, and what the app's role may do."""
    with _admin(c) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' ORDER BY 1"
            )
        ]
        rows = {
            t: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), ''))"
                f" FROM {t} x"
            ).fetchone()
            for t in tables
        }
        rights = conn.execute(
            "SELECT (SELECT datacl::text FROM pg_database WHERE datname = current_database()),"
            " (SELECT array_agg(row(rolname, rolsuper, rolcanlogin, rolcreaterole, rolcreatedb,"
            "   rolbypassrls)::text ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'gridmap%'),"
            " (SELECT array_agg(relname || '=' || coalesce(relacl::text, '') ORDER BY relname)"
            "   FROM pg_class WHERE relnamespace = 'public'::regnamespace),"
            " (SELECT array_agg(c.relname || ':' || has_table_privilege('gridmap_app', c.oid,"
            "   'INSERT') || has_table_privilege('gridmap_app', c.oid, 'DELETE') ORDER BY 1)"
            "   FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
            "   AND c.relkind IN ('r', 'p', 'v'))"
        ).fetchone()
        zone = conn.execute(
            "SELECT setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
            " WHERE d.datname = 'gridmap' AND s.setrole = 0"
        ).fetchone()
    return {"rows": rows, "rights": rights, "zone": zone}


def add_people(values: dict, names: list[str]) -> None:
    with db.connect_owner(values) as owner:
        for name in names:
            owner.execute(
                "INSERT INTO person (street_code, name, gender) VALUES (%s, %s, '男')",
                (st.CODE, name),
            )


def restored(c: cluster.Cluster, into: Path, target, street: str = st.CODE) -> cluster.Cluster:
    fresh = restore.restore(c, street, into, target)
    assert not fresh.is_running() and not fresh.recovering and fresh.backup_dir is None
    return fresh


def test_a_restore_to_a_moment_between_is_the_database_as_it_was_then(pg, base):
    values, c = pg
    full = backup.backup(c, "full")
    assert full.kind == "full" and full.streets == (st.CODE,)
    assert full.schema == max(n for n, _, _ in migrate.available())
    add_people(values, ["备份后一"])
    incr = backup.backup(c, "incr")
    assert incr.kind == "incr" and [b.label for b in backup.backups(c)] == [full.label, incr.label]
    time.sleep(1.1)  # the repository counts whole seconds: the moment falls after the backup
    add_people(values, ["备份后二"])
    then = fingerprint(c)
    moment = datetime.now(UTC)
    time.sleep(0.2)
    add_people(values, ["之后三"])
    with db.connect_owner(values) as owner:
        owner.execute("ALTER DATABASE gridmap SET timezone = 'UTC'")  # after: must not be seen
    assert fingerprint(c) != then
    assert any("已归档" in line for line in backup.verify(c))  # also archives the last WAL

    fresh = restored(c, base / "then", moment)
    fresh.start()
    try:
        assert fingerprint(fresh) == then
        # The roles' passwords travelled: the app's role signs in to the restored copy.
        with psycopg.connect(fresh.url_for(cluster.APP)) as app:
            assert app.execute("SHOW timezone").fetchone()[0] == "Asia/Shanghai"
            names = {r[0] for r in app.execute("SELECT name FROM person")}
            assert {"备份后一", "备份后二"} <= names and "之后三" not in names
    finally:
        fresh.stop()
        with db.connect_owner(values) as owner:
            owner.execute("ALTER DATABASE gridmap SET timezone = 'Asia/Shanghai'")


def test_a_backup_while_pins_arrive_holds_every_pin_committed_before_it_began(pg, base):
    values, c = pg
    app = create_app({**values, "STREET_CODE": st.CODE, "TESTING": True})
    committed: list[tuple[float, str]] = []  # (when its answer came, client_id)
    stop, failures = threading.Event(), []

    def report() -> None:
        client = sign_in(app.test_client(), "member1")
        page = client.get("/account/password").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        while not stop.is_set():
            body = {
                "client_id": str(uuid.uuid4()),
                "kind": "dispute",
                "category": "neighbour",
                "title": "备份时的上报",
                "description": "楼上装修噪音",
                "lon": IN_G1[0],
                "lat": IN_G1[1],
                "crs": "wgs84",
                "position": "manual",
                "parties": [{"role": "当事人", "name": "王五", "phone": "13900000000"}],
            }
            answer = client.post("/api/incidents", json=body, headers={"X-CSRFToken": token})
            if answer.status_code != 201:
                failures.append(answer.get_json())
                return
            committed.append((time.monotonic(), body["client_id"]))

    writer = threading.Thread(target=report)
    writer.start()
    try:
        while len(committed) < 20 and writer.is_alive():
            time.sleep(0.05)
        began = time.monotonic()
        backup.backup(c, "incr")
        ended = time.monotonic()
        while len([t for t, _ in committed if t > ended]) < 5 and writer.is_alive():
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join()
        db.close(app)
    assert not failures, failures
    before = {cid for t, cid in committed if t < began}
    assert len([t for t, _ in committed if began <= t <= ended]) > 0  # pins during the backup

    fresh = restored(c, base / "pins", "immediate")
    fresh.start()
    try:
        with _admin(fresh) as conn:
            kept = conn.execute(
                "SELECT i.client_id::text, count(DISTINCT r.client_id), count(p.*)"
                " FROM incident i LEFT JOIN api_receipt r"
                "  ON r.street_code = i.street_code AND r.client_id = i.client_id"
                " LEFT JOIN incident_party p ON p.incident_id = i.id"
                " WHERE i.street_code = %s AND i.title = '备份时的上报' GROUP BY 1",
                (st.CODE,),
            ).fetchall()
    finally:
        fresh.stop()
    found = {cid for cid, _, _ in kept}
    assert before <= found  # every pin whose answer came before the backup began
    assert found <= {cid for _, cid in committed}  # only pins that were committed
    assert all(receipts == 1 and parties == 1 for _, receipts, parties in kept)  # none halfway


def test_a_restore_refuses_another_street_and_a_newer_schema_in_words(pg, base):
    values, c = pg
    if not backup.backups(c):
        backup.backup(c, "full")
    with pytest.raises(backup.BackupError) as refused:
        restore.restore(c, "420114004", base / "other", None)
    assert refused.value.message.startswith(f"备份 {backup.last_good(c).label} 不是本街道")
    assert "（420114004）的数据（其中为：420114999）：拒绝恢复。" in refused.value.message
    assert not (base / "other").exists()  # nothing was copied

    known = max(n for n, _, _ in migrate.available())
    with db.connect_owner(values) as owner:
        owner.execute("INSERT INTO schema_migration (number, name) VALUES (9999, 'later.sql')")
    try:
        newer = backup.backup(c, "incr")
    finally:
        with db.connect_owner(values) as owner:
            owner.execute("DELETE FROM schema_migration WHERE number = 9999")
    assert newer.schema == 9999
    with pytest.raises(backup.BackupError) as refused:
        restore.restore(c, st.CODE, base / "newer", None)
    assert refused.value.message == (
        f"备份 {newer.label} 的数据库结构（迁移 9999）比本程序所知的（迁移 {known}）更新："
        "请先升级 gridmap 再恢复。"
    )
    with pytest.raises(backup.BackupError, match="^不能恢复到正在使用的实例目录"):
        restore.restore(c, st.CODE, c.data_dir.parent / "inside", None)
    backup.backup(c, "incr")  # the newest backup is of a schema this gridmap knows again


def test_the_commands_say_what_they_did_and_refuse_in_words(pg, base, monkeypatch):
    values, c = pg
    for name in ("INSTANCE_DIR", "BACKUP_DIR", "PG_PORT", "STREET_CODE"):
        monkeypatch.setenv(f"GRIDMAP_{name}", str(values[name] if name != "STREET_CODE" else ""))
    monkeypatch.setenv("GRIDMAP_STREET_CODE", st.CODE)
    monkeypatch.setenv("GRIDMAP_DATABASE_URL", "")
    runner = CliRunner()
    made = runner.invoke(main, ["db", "backup"])
    assert made.exit_code == 0, made.output
    assert re.fullmatch(
        r"备份完成：\d{4}-\d\d-\d\d \d\d:\d\d（增量备份 \d{8}-\d{6}F_\d{8}-\d{6}I）。"
        rf"备份目录：{re.escape(str(c.backup_dir))}\n",
        made.output,
    ), made.output
    checked = runner.invoke(main, ["db", "verify"])
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("通过：数据库正在向备份目录持续归档 WAL，刚才的 WAL 已归档\n")
    refused = runner.invoke(main, ["db", "restore", "--into", str(c.data_dir.parent)])
    assert refused.exit_code == 1
    assert refused.output.startswith("错误：不能恢复到正在使用的实例目录")
    monkeypatch.setenv("GRIDMAP_STREET_CODE", "420114004")
    refused = runner.invoke(main, ["db", "restore", "--into", str(base / "cli")])
    assert refused.exit_code == 1 and "不是本街道（420114004）的数据" in refused.output


def test_the_daily_upkeep_backs_up_when_due_and_the_center_shows_the_last(pg):
    values, c = pg
    daily = {**values, "BACKUP_DAILY": True}
    last = backup.last_good(c)
    assert upkeep.back_up_if_due({**daily, "BACKUP_DAILY": False}, last.stopped) is None
    assert upkeep.back_up_if_due(daily, last.stopped + timedelta(hours=1)) is None
    made = upkeep.back_up_if_due(daily, last.stopped + timedelta(hours=25))
    assert made is not None and made.kind == "incr" and made.label != last.label
    week = upkeep.back_up_if_due(daily, made.stopped + timedelta(days=8))
    assert week is not None and week.kind == "full"

    app = create_app({**values, "STREET_CODE": st.CODE, "TESTING": True})
    try:
        page = sign_in(app.test_client(), "center").get("/center/").get_data(as_text=True)
    finally:
        db.close(app)
    words = f"最近一次成功备份：{backup.describe(week)}。"
    assert f'<p class="gm-note" id="gm-backup">{words}</p>' in page
    unset = dataclasses.replace(c, backup_dir=None)
    assert backup.status_words({**values, "BACKUP_DIR": ""}).startswith("数据备份：尚未设置")
    assert unset.archiving() == {}
