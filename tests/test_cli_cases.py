"""The commands for cases, deadlines and the calendar: dry runs unless --commit, and bad input
said in words."""

from __future__ import annotations

from click.testing import CliRunner

from gridmap.cli import main as cli

from .test_cluster import env_for

STREET = "420114004"


def run(args, settings):
    return CliRunner().invoke(cli.main, args, env=env_for(settings), catch_exceptions=False)


def an_open_dispute(conn) -> int:
    return conn.execute(
        "SELECT id FROM incident WHERE street_code = %s AND kind = 'dispute' AND status = 'found'"
        " AND closed_at IS NULL ORDER BY id LIMIT 1",
        (STREET,),
    ).fetchone()["id"]


def test_a_move_is_a_dry_run_unless_committed(settings, demo_loaded, conn):
    case = an_open_dispute(conn)
    dry = run(["case", "move", str(case), "mediating", "--as-owner"], settings)
    assert (
        dry.exit_code == 0 and "未保存" in dry.output and '"to_status": "mediating"' in dry.output
    )
    status = conn.execute("SELECT status FROM incident WHERE id = %s", (case,)).fetchone()
    assert status["status"] == "found"
    bad = CliRunner().invoke(
        cli.main, ["case", "move", str(case), "closed", "--as-owner"], env=env_for(settings)
    )
    assert bad.exit_code == 1 and "没有「closed」这个状态" in bad.output


def test_a_move_says_who_makes_it_and_is_held_to_their_duties(settings, demo_loaded, conn):
    """The console cannot do what the page refuses the same person, unless it says it acts as
    the owner."""
    case = an_open_dispute(conn)
    nobody = run(["case", "move", str(case), "mediating"], settings)
    assert nobody.exit_code == 1 and "--as-owner" in nobody.output
    auditor = run(["case", "move", str(case), "mediating", "--user", "auditor"], settings)
    assert auditor.exit_code == 1 and "审计员账号无权办理事件" in auditor.output
    center = run(["case", "move", str(case), "mediating", "--user", "center"], settings)
    assert center.exit_code == 0 and '"to_status": "mediating"' in center.output
    backdated = run(
        ["case", "move", str(case), "mediating", "--user", "center", "--at", "2026-01-05"],
        settings,
    )
    assert backdated.exit_code == 1 and "须以 --as-owner" in backdated.output


def test_show_prints_the_history_and_the_light(settings, demo_loaded, conn):
    case = conn.execute(
        "SELECT incident_id AS id FROM incident_event WHERE street_code = %s"
        " AND kind = 'extension'",
        (STREET,),
    ).fetchone()["id"]
    shown = run(["case", "show", str(case)], settings)
    assert shown.exit_code == 0
    assert '"kind": "extension"' in shown.output and '"light"' in shown.output


def test_deadline_rules_are_listed_and_absurd_ones_refused(settings, demo_loaded):
    listed = run(["deadlines"], settings)
    assert "信访·已受理" in listed.output and "信访工作条例" in listed.output
    bad = CliRunner().invoke(
        cli.main,
        ["deadlines", "set", "dispute", "found", "--days", "-3"],
        env=env_for(settings),
    )
    assert bad.exit_code == 1 and "1～366 天" in bad.output


def test_a_calendar_file_in_the_wrong_form_is_refused_with_its_line(
    settings, demo_loaded, tmp_path
):
    for text, words in [
        ("day,kind,name\n2027-01-01,holiday,元旦\n01/02/2027,holiday,春节\n", "第 3 行"),
        ("day,kind,name\n2027-01-01,party,元旦\n", "holiday（放假）或 workday"),
        ("date,type\n2027-01-01,holiday\n", "day,kind,name"),
        ("day,kind,name\n2027-01-06,workday,调休\n", "周六或周日"),  # a Wednesday
    ]:
        path = tmp_path / "days.csv"
        path.write_text(text, encoding="utf-8")
        result = CliRunner().invoke(
            cli.main, ["calendar", "import", str(path), "--commit"], env=env_for(settings)
        )
        assert result.exit_code == 1 and words in result.output, (text, result.output)
    good = tmp_path / "good.csv"
    good.write_text("day,kind,name\n2027-01-01,holiday,元旦\n", encoding="utf-8")
    dry = run(["calendar", "import", str(good)], settings)
    assert dry.exit_code == 0 and "未保存" in dry.output
    assert "2027-01-01" not in run(["calendar", "--year", "2027"], settings).output
