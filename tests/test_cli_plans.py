"""``gridmap plans`` on the small street: dry runs unless --commit, checks a script can stop
on, files out and back in, and bad input said in words (against the real database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from gridmap.accounts.policy import Actor
from gridmap.accounts.scope import Scope
from gridmap.cli import main as cli
from gridmap.core import clock
from gridmap.data import accounts, areas
from gridmap.planner import files as planfiles
from gridmap.planner import plans
from tests import small_street as st
from tests.test_cluster import env_for
from tests.test_plans import RULES, merged_v2

SCOPE = Scope.street(st.CODE)


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    conn.commit()
    return accounts.by_username(conn, st.CODE, "planner")


@pytest.fixture()
def gridmap(conn, settings):
    """Run a command on the small street. The test's own transaction is ended first: a
    cancel disables triggers (ALTER TABLE), which would wait for any lock the test holds."""

    def run(*args):
        conn.rollback()
        env = {**env_for(settings), "GRIDMAP_STREET_CODE": st.CODE}
        return CliRunner().invoke(cli.main, [str(a) for a in args], env=env, catch_exceptions=False)

    return run


def merged_plan(conn, account) -> int:
    """A plan whose V2 has U4 moved into G2 and G3 retired (saved, revision 1)."""
    plan_id = plans.create(conn, Actor.of(account, SCOPE), "合并乙社区网格")
    base, new = merged_v2(conn, plan_id)
    plans.save(conn, Actor.of(account, SCOPE), base, new, RULES)
    conn.commit()
    return plan_id


def in_force(conn) -> int:
    return areas.in_force(conn, st.CODE, datetime.now(UTC))["id"]


def assignment(conn, plan_id: int, village: str) -> dict[str, str]:
    d = plans.draft(conn, SCOPE, plan_id, village)
    return dict(zip(d.units["code"], d.units["grid_code"], strict=True))


def test_a_new_plan_is_a_dry_run_unless_committed_and_then_listed(street, gridmap):
    assert "还没有任何方案" in gridmap("plans", "list").output
    dry = gridmap("plans", "new", "拆分甲村", "--user", "planner")
    assert dry.exit_code == 0 and "未保存" in dry.output
    assert "还没有任何方案" in gridmap("plans", "list").output
    done = gridmap("plans", "new", "拆分甲村", "--user", "planner", "--commit")
    assert done.exit_code == 0 and "已保存" in done.output
    listed = gridmap("plans", "list").output
    assert "拆分甲村" in listed and "草稿" in listed and "创建：planner" in listed


def test_check_lists_problems_and_exits_1_for_a_grid_without_a_member(
    conn, street, gridmap, tmp_path
):
    plan_id = plans.create(conn, Actor.of(street, SCOPE), "拆分甲村")
    conn.commit()
    clean = gridmap("plans", "check", plan_id, "--village", st.V2)
    assert clean.exit_code == 0 and "没有问题" in clean.output and "合理" in clean.output
    split = tmp_path / "split.csv"
    split.write_text(f"单元代码,网格代码\n{st.U1},{st.G1}\n{st.U3},{st.V1}002\n", encoding="utf-8")
    imported = gridmap("plans", "import", plan_id, st.V1, split, "--user", "planner", "--commit")
    assert imported.exit_code == 0 and "第 1 版" in imported.output, imported.output
    checked = gridmap("plans", "check", plan_id)
    assert checked.exit_code == 1
    assert "[no_member]（阻止发布）：网格「" in checked.output
    assert f"（{st.V1}002）没有网格员" in checked.output
    assert "须解决后才能发布" in checked.output


def test_diff_names_the_moved_unit_and_duplicate_copies_the_plan(conn, street, gridmap):
    plan_id = merged_plan(conn, street)
    shown = gridmap("plans", "diff", plan_id)
    assert shown.exit_code == 0
    assert f"{st.U4} 和平小区（250 户）：{st.G3} → {st.G2}" in shown.output
    assert f"撤销网格：{st.G3}" in shown.output and "网格员三" in shown.output
    assert "移动单元 1 个（250 户）" in shown.output
    copied = gridmap("plans", "duplicate", plan_id, "--user", "planner", "--commit")
    assert copied.exit_code == 0 and "合并乙社区网格（副本）" in copied.output


def test_publish_changes_nothing_without_commit_and_publishes_with_it(
    conn, street, gridmap, tmp_path
):
    plan_id = merged_plan(conn, street)
    before = in_force(conn)
    dry = gridmap("plans", "publish", plan_id, "--user", "planner")
    assert dry.exit_code == 0, dry.output
    assert "移动单元 1 个（250 户）" in dry.output and "撤销网格 1 个" in dry.output
    assert "未保存" in dry.output
    assert in_force(conn) == before
    assert plans.plan(conn, SCOPE, plan_id)["status"] == "draft"
    done = gridmap("plans", "publish", plan_id, "--user", "planner", "--commit")
    assert done.exit_code == 0 and "移交在办事件 0 件" in done.output and "已保存" in done.output
    assert in_force(conn) != before
    assert plans.plan(conn, SCOPE, plan_id)["status"] == "published"
    assert "已发布" in gridmap("plans", "list").output
    again = gridmap("plans", "publish", plan_id, "--user", "planner", "--commit")
    assert again.exit_code == 1 and "已发布或已取消，不能再发布" in again.output
    gridmap("plans", "export", plan_id, st.V2, "-o", tmp_path / "v2.csv")
    late = gridmap("plans", "import", plan_id, st.V2, tmp_path / "v2.csv", "--user", "planner")
    assert late.exit_code == 1 and "不能再保存" in late.output


def test_a_scheduled_plan_is_listed_with_its_day_cancelled_and_due_runs(conn, street, gridmap):
    plan_id = merged_plan(conn, street)
    day = (datetime.now(clock.LOCAL) + timedelta(days=3)).date().isoformat()
    done = gridmap("plans", "publish", plan_id, "--date", day, "--user", "planner", "--commit")
    assert done.exit_code == 0 and "plans due" in done.output, done.output
    assert f"已排期（生效日 {day}）" in gridmap("plans", "list").output
    due = gridmap("plans", "due", "--commit")
    assert due.exit_code == 0 and "没有" in due.output
    cancelled = gridmap("plans", "cancel", plan_id, "--user", "planner", "--commit")
    assert cancelled.exit_code == 0, cancelled.output
    assert "已取消" in gridmap("plans", "list").output


def test_a_wrong_date_and_an_unknown_plan_are_said_in_words(conn, street, gridmap):
    plan_id = merged_plan(conn, street)
    # read as every date gridmap reads (gridmap.core.params)
    for wrong, words in (("明天", "无法识别"), ("2027-02-30", "无法识别"), ("01/06/2027", "歧义")):
        bad = gridmap("plans", "publish", plan_id, "--date", wrong, "--user", "planner")
        assert bad.exit_code == 1 and "生效日期" in bad.output and words in bad.output, wrong
    yesterday = (datetime.now(clock.LOCAL) - timedelta(days=1)).date().isoformat()
    past = gridmap("plans", "publish", plan_id, "--date", yesterday, "--user", "planner")
    assert past.exit_code == 1 and "早于今天" in past.output
    for command in ("diff", "check"):
        unknown = gridmap("plans", command, 9999)
        assert unknown.exit_code == 1 and "方案 9999 不存在" in unknown.output
    assert plans.plan(conn, SCOPE, plan_id)["status"] == "draft"


def test_a_csv_goes_out_and_back_in_and_a_missing_unit_is_refused(conn, street, gridmap, tmp_path):
    plan_id = merged_plan(conn, street)
    target = tmp_path / "v2.csv"
    out = gridmap("plans", "export", plan_id, st.V2, "-o", target)  # csv unless told
    assert out.exit_code == 0 and target.read_bytes().startswith(b"\xef\xbb\xbf")
    back = gridmap("plans", "import", plan_id, st.V2, target, "--user", "planner", "--commit")
    assert back.exit_code == 0 and "第 2 版" in back.output, back.output
    d = plans.draft(conn, SCOPE, plan_id, st.V2)
    assert d.revision == 2 and assignment(conn, plan_id, st.V2) == {st.U2: st.G2, st.U4: st.G2}
    assert d.grids[0]["name"] == "网格1" and d.grids[0]["members"]  # kept, not the code
    short = tmp_path / "short.csv"
    short.write_text(f"单元代码,网格代码\n{st.U2},{st.G2}\n", encoding="utf-8")
    refused = gridmap("plans", "import", plan_id, st.V2, short, "--user", "planner", "--commit")
    assert refused.exit_code == 1 and f"缺少本村的 1 个单元：{st.U4}" in refused.output
    assert plans.draft(conn, SCOPE, plan_id, st.V2).revision == 2


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_grid_files_exported_read_back_as_the_same_plan(conn, street, gridmap, tmp_path, fmt):
    plan_id = merged_plan(conn, street)
    target = tmp_path / f"v2.{fmt}"
    out = gridmap("plans", "export", plan_id, st.V2, "--format", fmt, "-o", target)
    assert out.exit_code == 0, out.output
    d = plans.draft(conn, SCOPE, plan_id, st.V2)
    read = planfiles.read_plan(target.read_bytes(), target.name, st.V2, d.units)
    assert read.assignment == assignment(conn, plan_id, st.V2)
    assert read.names == {st.G2: d.grids[0]["name"]}
    bad = gridmap("plans", "export", plan_id, st.V2, "--format", "shp")
    assert bad.exit_code == 1 and "导出格式只能是 csv、geojson 或 gpkg" in bad.output


def test_only_a_planner_may_change_plans_unless_the_console_says_it_acts_as_the_owner(
    conn, street, gridmap
):
    for user, words in [
        ("member1", "责任链人员账号无权编辑网格调整方案"),
        ("center", "综治中心账号无权编辑网格调整方案"),
        ("admin", "系统管理员账号无权编辑网格调整方案"),
        ("nobody", "账号「nobody」不存在"),
    ]:
        refused = gridmap("plans", "new", "甲村", "--user", user, "--commit")
        assert refused.exit_code == 1 and words in refused.output, user
    missing = gridmap("plans", "new", "甲村", "--commit")
    assert missing.exit_code == 1 and "请用 --user" in missing.output
    unnamed = gridmap("plans", "new", "甲村", "--as-owner", "--commit")
    assert unnamed.exit_code == 1 and "请用 --user" in unnamed.output  # a plan names its author
    planner = accounts.by_username(conn, st.CODE, "planner")
    accounts.set_disabled(conn, st.CODE, planner["id"], True)
    conn.commit()
    disabled = gridmap("plans", "new", "甲村", "--user", "planner", "--commit")
    assert disabled.exit_code == 1 and "已停用" in disabled.output
    assert "还没有任何方案" in gridmap("plans", "list").output
    owner = gridmap("plans", "new", "甲村", "--user", "admin", "--as-owner", "--commit")
    assert owner.exit_code == 0 and "创建：admin" in gridmap("plans", "list").output
