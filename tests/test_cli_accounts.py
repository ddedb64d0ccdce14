"""``gridmap accounts``: the administrator's first password, and accounts from the command
line, with one-time passwords and clear refusals."""

from __future__ import annotations

import re

from click.testing import CliRunner

from gridmap.accounts import passwords
from gridmap.cli import main as cli
from gridmap.data import accounts
from gridmap.people.staffing import admin_password_changed
from tests import small_street as st

from .test_cluster import env_for


def run(args, settings):
    env = {**env_for(settings), "GRIDMAP_STREET_CODE": st.CODE}
    return CliRunner().invoke(cli.main, ["accounts", *args], env=env)


def one_time(output: str) -> str:
    return re.search(r"一次性密码（只显示这一次）：(\S+)", output).group(1)


def test_the_administrators_one_time_password_must_be_replaced(settings, conn, owner):
    st.create(owner, app=conn)
    result = run(["admin"], settings)
    assert result.exit_code == 0, result.output
    issued = one_time(result.output)
    admin = accounts.by_username(conn, st.CODE, "admin")
    assert passwords.verify(admin["password_hash"], issued) and admin["must_set_password"]
    assert not admin_password_changed(conn, st.CODE)
    accounts.set_password(conn, admin["id"], passwords.hash_password("一个很长的新密码-2026"))
    conn.commit()
    assert admin_password_changed(conn, st.CODE)


def test_create_reset_disable_and_refusals(settings, conn, owner):
    st.create(owner, app=conn)
    person = conn.execute(
        "SELECT id FROM person WHERE street_code = %s AND name = '网格员三'", (st.CODE,)
    ).fetchone()["id"]
    made = run(["create", "member3", "--role", "chain", "--person", str(person)], settings)
    assert made.exit_code == 0 and one_time(made.output)
    again = run(["create", "member3", "--role", "chain", "--person", str(person)], settings)
    assert again.exit_code == 1 and "已被使用" in again.output
    orphan = run(["create", "orphan", "--role", "chain"], settings)
    assert orphan.exit_code == 1 and "必须属于一名人员" in orphan.output
    bad_name = run(["create", "X Y", "--role", "center", "--person", str(person)], settings)
    assert bad_name.exit_code == 1 and "用户名应为" in bad_name.output
    assert run(["disable", "member3"], settings).exit_code == 0
    assert accounts.by_username(conn, st.CODE, "member3")["disabled_at"] is not None
    reset = run(["reset", "member3"], settings)
    assert reset.exit_code == 0 and one_time(reset.output)
    unknown = run(["reset", "nobody"], settings)
    assert unknown.exit_code == 1 and "没有账号 nobody" in unknown.output
    listing = run(["list"], settings)
    assert "member3" in listing.output and "已停用" in listing.output
