"""The embedded cluster and the command line around it."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from gridmap.cli import main as cli
from gridmap.core import config
from gridmap.core.errors import DatabaseUnavailable
from gridmap.store import cluster, db, migrate


def run(args, env):
    return CliRunner().invoke(cli.main, args, env=env, catch_exceptions=False)


def env_for(settings) -> dict:
    return {
        "GRIDMAP_INSTANCE_DIR": settings["INSTANCE_DIR"],
        "GRIDMAP_PG_PORT": str(settings["PG_PORT"]),
        "GRIDMAP_DATABASE_URL": "",
    }


def test_a_second_start_on_a_running_cluster_says_so(settings):
    result = run(["db", "start"], env_for(settings))
    assert result.exit_code == 0
    assert "已在运行" in result.output
    assert cluster.from_config(settings).is_running()


def test_status_and_migrate_are_safe_to_repeat(settings):
    env = env_for(settings)
    assert "运行中" in run(["db", "status"], env).output
    assert "已是最新" in run(["db", "migrate"], env).output


def test_a_missing_database_is_a_clear_error(tmp_path):
    values = config.load(
        {
            "INSTANCE_DIR": str(tmp_path),
            "DATABASE_URL": f"postgresql://nobody@/gridmap?host={tmp_path}&port=1",
        },
        environ={},
    )
    try:
        db.connect(values)
    except DatabaseUnavailable as exc:
        assert "无法连接数据库" in exc.message
    else:
        raise AssertionError("connecting to nothing must fail")


def test_cli_reports_a_missing_database_and_exits_1(tmp_path):
    result = CliRunner().invoke(
        cli.main,
        ["db", "migrate"],
        env={"GRIDMAP_DATABASE_URL": f"postgresql://nobody@/x?host={tmp_path}&port=1"},
    )
    assert result.exit_code == 1
    assert "错误：无法连接数据库" in result.output


def test_embedded_commands_refuse_with_an_external_url(tmp_path):
    result = CliRunner().invoke(
        cli.main, ["db", "start"], env={"GRIDMAP_DATABASE_URL": "postgresql://x@/y"}
    )
    assert result.exit_code == 1 and "外部数据库" in result.output


def test_stop_then_start_again():
    """A cluster of its own: created, started, stopped cleanly, started again."""
    folder = Path(tempfile.mkdtemp(prefix="gridmap-test-"))
    folder.chmod(0o755)  # the server's own user must reach it when the tests run as root
    values = config.load({"INSTANCE_DIR": str(folder), "PG_PORT": 54392}, environ={})
    pg = cluster.from_config(values)
    assert pg.init() is True and pg.init() is False
    assert pg.start() is True and pg.start() is False
    pg.ensure_database()
    with db.connect(values) as conn:
        assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1
    assert pg.stop() is True and pg.stop() is False
    assert not pg.is_running()
    assert pg.start() is True
    pg.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_locate_command_prints_json(settings, demo_loaded):
    result = run(["locate", "113.838", "30.4417", "--at", "2023-06-01"], env_for(settings))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["village"]["name"] == "侏儒社区"


def test_load_incidents_is_a_dry_run_without_commit(settings, demo_loaded, tmp_path, conn):
    path = tmp_path / "ledger.csv"
    path.write_text(
        "kind,status,lon,lat,occurred_at,title\n"
        "dispute,found,113.838,30.4417,2023-06-01 10:00,测试\n",
        encoding="utf-8",
    )
    before = conn.execute("SELECT count(*) AS n FROM incident").fetchone()["n"]
    dry = run(["load-incidents", str(path)], env_for(settings))
    assert "检查通过" in dry.output and "未写入" in dry.output
    assert conn.execute("SELECT count(*) AS n FROM incident").fetchone()["n"] == before
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "kind,status,lon,lat,occurred_at\nriot,found,113.8,30.4,2023-06-01\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        cli.main, ["load-incidents", str(bad), "--commit"], env=env_for(settings)
    )
    assert result.exit_code == 1 and "未知的事件类型" in result.output


def test_with_a_database_url_gridmap_uses_that_server(settings, demo_loaded):
    """Any PostGIS server given by URL (here: the test cluster, addressed as external)."""
    pg = cluster.from_config(settings)
    external = {
        "GRIDMAP_DATABASE_URL": pg.url,
        "GRIDMAP_OWNER_DATABASE_URL": pg.owner_url,
        "GRIDMAP_INSTANCE_DIR": "/nonexistent-instance",
    }
    assert "外部数据库" in run(["db", "status"], external).output
    assert "已是最新" in run(["db", "migrate"], external).output
    answer = run(["locate", "113.838", "30.4417"], external)
    assert json.loads(answer.output)["street"]["name"] == "侏儒山街道"


def postgresql_without_postgis(root: Path) -> Path:
    """A copy of the installed PostgreSQL whose extension folder has no PostGIS; its bin folder.

    PostgreSQL is relocatable: a server finds its share and lib folders relative to where its
    binary lies. So the binaries are copied (not linked: a link would be followed back) into the
    same layout under ``root``, and every other file is linked, except PostGIS's.
    """
    bin_dir = cluster.find_bin_dir()

    def folder(kind: str) -> Path:
        out = subprocess.run(
            [str(bin_dir / "pg_config"), f"--{kind}"], capture_output=True, text=True, check=True
        )
        return Path(out.stdout.strip())

    for source in (folder("sharedir"), folder("pkglibdir")):
        for path in source.rglob("*"):
            target = root / path.relative_to("/")
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif "postgis" not in path.name:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(path)
    copied = root / bin_dir.relative_to("/")
    copied.mkdir(parents=True)
    for name in ("initdb", "pg_ctl", "postgres"):
        shutil.copy2(bin_dir / name, copied / name)
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)  # the server's own user must reach it when the tests run as root
    return copied


def test_a_server_without_postgis_is_named_and_nothing_is_created():
    folder = Path(tempfile.mkdtemp(prefix="gridmap-test-"))
    folder.chmod(0o755)
    env = {
        "GRIDMAP_INSTANCE_DIR": str(folder / "instance"),
        "GRIDMAP_PG_PORT": "54393",
        "GRIDMAP_PG_BIN": str(postgresql_without_postgis(folder / "pg")),
        "GRIDMAP_DATABASE_URL": "",
    }
    try:
        result = CliRunner().invoke(cli.main, ["db", "init"], env=env)
        assert result.exit_code == 1
        assert "数据库缺少 PostGIS 扩展" in result.output
        assert "apt-get install -y postgresql-15-postgis-3" in result.output
        values = config.load({}, environ=env)
        with db.connect(values) as conn:
            tables = conn.execute(
                "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()["n"]
        assert tables == 0  # not even the migrations' own table
    finally:
        CliRunner().invoke(cli.main, ["db", "stop"], env=env)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_cluster_made_before_the_roles_is_adopted_in_place(tmp_path):
    """The embedded cluster of earlier versions trusted every local connection and had one
    superuser owning everything: `gridmap db init` gives it the roles, hands the database to
    the owner, switches it to passwords and migrates it; its data stays."""
    folder = Path(tempfile.mkdtemp(prefix="gridmap-test-"))
    folder.chmod(0o755)
    values = config.load({"INSTANCE_DIR": str(folder), "PG_PORT": 54394}, environ={})
    pg = cluster.from_config(values)
    for path in (pg.data_dir, pg.socket_dir):
        path.mkdir(parents=True)
        pg._give(path)
    try:
        pg._run(
            [
                str(pg.bin_dir / "initdb"),
                "-D",
                str(pg.data_dir),
                "-U",
                cluster.LEGACY_SUPERUSER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            "initdb",
        )
        pg.start()
        legacy = (
            f"postgresql://{cluster.LEGACY_SUPERUSER}@/postgres?host={pg.socket_dir}&port={pg.port}"
        )
        with psycopg.connect(legacy, autocommit=True) as conn:
            conn.execute("CREATE DATABASE gridmap")
        with psycopg.connect(make_conninfo(legacy, dbname="gridmap"), row_factory=dict_row) as conn:
            migrate.migrate(conn, upto=migrate.BASELINE)  # its tables; its code comes next
            conn.execute(
                "INSERT INTO street (code, name, synthetic)"
                " VALUES ('420114004', '侏儒山街道', true)"
            )
            conn.commit()
        result = run(
            ["db", "init"],
            {
                "GRIDMAP_INSTANCE_DIR": str(folder),
                "GRIDMAP_PG_PORT": "54394",
                "GRIDMAP_DATABASE_URL": "",
            },
        )
        assert result.exit_code == 0 and "repeatable/01_time.sql" in result.output
        with db.connect(values) as conn:  # the app's role, with its password
            assert conn.execute("SELECT name FROM street").fetchone()["name"] == "侏儒山街道"
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(legacy, connect_timeout=3)  # no more trust
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
