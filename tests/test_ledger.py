"""``gridmap load-incidents``: real files as Excel and other systems write them; every refusal
is a message naming the row or line, never a traceback, and stores nothing. The dry run makes
the same checks as ``--commit``."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gridmap.cli import main as cli
from gridmap.core.errors import BadInput
from gridmap.intake import ledger
from gridmap.intake import load as incidents
from tests import small_street as st
from tests.test_cluster import env_for
from tests.test_incident_load import count

HEADER = "kind,status,category,lon,lat,occurred_at,title"
ROW = "dispute,found,land,114.005,30.005,2021-04-01 09:30,邻里纠纷"


@pytest.fixture()
def street(conn, owner):
    st.create(owner, app=conn)
    return st.CODE


def run(settings, path, *args):
    env = {**env_for(settings), "GRIDMAP_STREET_CODE": st.CODE}
    return CliRunner().invoke(
        cli.main, ["load-incidents", str(path), *args], env=env, catch_exceptions=False
    )


def write(tmp_path, text: str, encoding: str = "utf-8", name: str = "ledger.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def refused(settings, conn, path, *words):
    """Both the dry run and --commit refuse with the same message, and nothing is stored."""
    outputs = []
    for args in ((), ("--commit",)):
        result = run(settings, path, *args)
        assert result.exit_code == 1, result.output
        assert result.output.startswith("错误："), result.output
        for w in words:
            assert w in result.output, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    assert count(conn) == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk"])
def test_the_encodings_excel_writes_are_read(settings, conn, street, tmp_path, encoding):
    path = write(tmp_path, f"{HEADER}\r\n{ROW}\r\n{ROW}\r\n", encoding)
    dry = run(settings, path)
    assert dry.exit_code == 0 and "检查通过：2 条记录" in dry.output, dry.output
    assert run(settings, path, "--commit").exit_code == 0
    titles = conn.execute(
        "SELECT DISTINCT title FROM incident WHERE street_code = %s", (st.CODE,)
    ).fetchall()
    assert titles == [{"title": "邻里纠纷"}]


def test_bytes_no_encoding_reads_are_refused_with_a_hint(settings, conn, street, tmp_path):
    path = write(tmp_path, f"{HEADER}\n{ROW.replace('邻里纠纷', 'José,')}\n", "latin-1")
    path.write_bytes(path.read_bytes().replace(b",\n", b"\n"))  # one title, "José"
    refused(settings, conn, path, "UTF-8")


def test_an_empty_file_is_refused(settings, conn, street, tmp_path):
    for text in ("", "\ufeff", "\n\n"):
        refused(settings, conn, write(tmp_path, text), "文件是空的")


def test_a_header_alone_has_no_records(settings, conn, street, tmp_path):
    refused(settings, conn, write(tmp_path, HEADER + "\n"), "没有任何记录")


@pytest.mark.parametrize("quoted", [False, True])
def test_records_with_more_or_fewer_fields_name_their_lines(
    settings, conn, street, tmp_path, quoted
):
    row = ROW.replace("邻里纠纷", '"邻里纠纷，又一件"') if quoted else ROW
    text = f"{HEADER}\n{row}\n{row},extra\n\n{row}\n{row.rsplit(',', 1)[0]}\n"
    refused(
        settings, conn, write(tmp_path, text), "第 3 行（8 个）", "第 6 行（6 个）", "表头（7 个）"
    )


def test_a_file_of_200000_columns_is_refused_from_its_header(settings, conn, street, tmp_path):
    names = HEADER + "," + ",".join(f"c{i}" for i in range(200_000))
    values = ROW + "," * 200_000
    refused(settings, conn, write(tmp_path, f"{names}\n{values}\n"), "表头过长", "100")
    wide = write(tmp_path, HEADER + "," + ",".join(f"c{i}" for i in range(100)) + "\n" + ROW)
    refused(settings, conn, wide, "列数过多", "107")


def test_a_nul_character_is_refused_by_the_dry_run_too(settings, conn, street, tmp_path):
    nul = ROW.replace("邻里", "邻\x00里")
    path = write(tmp_path, f"{HEADER}\n{ROW}\n{nul}\n")
    refused(settings, conn, path, "第 2 条", "title", "NUL")


def test_columns_gridmap_computes_cannot_be_imported(settings, conn, street, tmp_path):
    path = write(tmp_path, f"{HEADER},grid_code\n{ROW},420114999202001\n")
    refused(settings, conn, path, "grid_code", "不能导入", "计算")


def test_unknown_and_repeated_columns_are_refused(settings, conn, street, tmp_path):
    refused(
        settings, conn, write(tmp_path, f"{HEADER},colour\n{ROW},red\n"), "未知的字段", "'colour'"
    )
    result = run(settings, write(tmp_path, f"{HEADER},colour\n{ROW},red\n"))
    for allowed in ("occurred_at", "description", "details", "reported_by"):
        assert allowed in result.output
    refused(settings, conn, write(tmp_path, f"{HEADER},title\n{ROW},x\n"), "重复", "title")


def deep(levels: int) -> str:
    return '{"a": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize(
    "column,value,words",
    [
        ("title", "标" * 201, "第 2 条：标题（title）超过 200 个字"),
        ("description", "述" * 5001, "第 2 条：描述（description）超过 5000 个字"),
        ("details", json.dumps({"note": "x" * 8200}), "第 2 条：详情（details）超过 8192 字节"),
        ("details", deep(6), "第 2 条：详情（details）嵌套超过 5 层"),
        # under 8 KiB, and too deep for Python's json.loads (a RecursionError)
        ("details", "[" * 4000 + "]" * 4000, "第 2 条：详情（details）嵌套超过 5 层"),
        ("details", '{"a":' * 1300 + "1" + "}" * 1300, "第 2 条：详情（details）嵌套超过 5 层"),
        # 700 KB in one field: refused by the reader, before the field is ever parsed
        ("details", deep(100_000), "文件第 3 行无法按 CSV 读取：有字段超过 131072 个字符"),
        ("details", '{"a": NaN}', "第 2 条：详情（details）不是有效的 JSON 对象"),
        ("details", '{"a": "\\u0000"}', "第 2 条：详情（details）含有无法保存的字符"),
        ("occurred_at", "01/04/2021", "第 2 条：时间（字段 occurred_at）的写法有歧义"),
        ("occurred_at", "3000-04-01 09:30", "第 2 条：时间（字段 occurred_at）超出可接受的范围"),
    ],
)
def test_values_over_the_limits_are_refused_naming_the_row(
    settings, conn, street, tmp_path, column, value, words
):
    cell = '"' + value.replace('"', '""') + '"'
    header = HEADER if column in HEADER.split(",") else f"{HEADER},{column}"
    line = ROW if column in HEADER.split(",") else f"{ROW},{{}}"
    if column in HEADER.split(","):
        fields = ROW.split(",")
        fields[HEADER.split(",").index(column)] = cell
        bad = ",".join(fields)
    else:
        line, bad = f"{ROW},", f"{ROW},{cell}"
    refused(settings, conn, write(tmp_path, f"{header}\n{line}\n{bad}\n"), words)


def test_values_at_the_limits_are_stored(settings, conn, street, tmp_path):
    details = json.dumps({"a": {"b": {"c": {"d": {"e": "深"}}}}}, ensure_ascii=False)
    text = f"{HEADER},description,details\n{ROW.replace('邻里纠纷', '标' * 200)},{'述' * 5000},"
    path = write(tmp_path, text + '"' + details.replace('"', '""') + '"\n')
    result = run(settings, path, "--commit")
    assert result.exit_code == 0, result.output
    assert count(conn) == 1


def test_a_reporter_who_is_not_a_person_of_the_street_is_refused(settings, conn, street, tmp_path):
    person = conn.execute(
        "SELECT min(id) AS id FROM person WHERE street_code = %s", (st.CODE,)
    ).fetchone()["id"]
    path = write(tmp_path, f"{HEADER},reported_by\n{ROW},{person}\n{ROW},99999999\n")
    dry = run(settings, path)
    assert dry.exit_code == 1 and "第 2 条" in dry.output and "不是本街道" in dry.output
    frame = incidents.prepare(ledger.read(path), _reference(conn), "wgs84")
    with pytest.raises(BadInput, match="不是本街道登记的人员") as err:
        incidents.check_reporters(conn, st.CODE, frame)
    assert err.value.details == {"rows": [2]}
    incidents.check_reporters(conn, st.CODE, frame.iloc[:1])  # a person of the street: passes


def test_a_load_refuses_a_reporter_who_is_not_a_person_of_the_street(
    settings, conn, street, tmp_path
):
    path = write(tmp_path, f"{HEADER},reported_by\n{ROW},99999999\n")
    refused(settings, conn, path, "不是本街道")


def _reference(conn):
    from gridmap.data import incidents as data

    return data.reference(conn)
