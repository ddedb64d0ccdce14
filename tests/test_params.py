"""Parameters are read by one parser per kind of value, and refused, never bent."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from gridmap.cli import main as cli
from gridmap.core import params
from gridmap.core.errors import BadInput
from tests.test_cluster import env_for

SEAT = "lon=113.838&lat=30.4417"
VIEW = "bbox=113.80,30.40,113.88,30.48"


@pytest.mark.parametrize(
    "query,words",
    [
        ("lon=11_3.838&lat=30.4417", "经度必须是数字"),  # float() would read 113.838
        ("lon=1.13838e2&lat=30.4417", "经度必须是数字"),
        ("lon=１１３.838&lat=30.4417", "经度必须是数字"),  # full-width digits
        ("lon=113.838&lat=30.4417&lon=114", "只能给一次"),  # which one was meant?
        (f"{SEAT}&at=2023-06-01&at=2023-07-01", "只能给一次"),
    ],
)
def test_locate_refuses_what_it_would_have_bent(client, query, words):
    r = client.get(f"/api/locate?{query}")
    assert r.status_code == 400, r.get_json()
    assert words in r.get_json()["message"]


@pytest.mark.parametrize(
    "query,words",
    [
        (f"{VIEW}&zoom=abc", "缩放级别 zoom 必须是整数"),  # was read as the default, 14
        (f"{VIEW}&zoom=14.5", "必须是整数"),
        (f"{VIEW}&zoom=99", "超出范围"),
        ("bbox=113_80,30.40,113.88,30.48", "bbox 的每一项必须是数字"),
        (f"{VIEW}&overdue=yes", "只看超期 overdue 只能是"),  # was silently "no"
        (f"{VIEW}&state=open&state=closed", "只能给一次"),
        (f"{VIEW}&package_area=nowhere", "未知的片区"),  # was an empty 200
        (f"{VIEW}&village=420114004999", "未知的村（社区）"),
    ],
)
def test_the_incidents_api_refuses_what_it_would_have_bent(client, query, words):
    r = client.get(f"/api/map/incidents?{query}&from=2023-01-01&to=2023-12-31")
    assert r.status_code == 400, r.get_json()
    assert words in r.get_json()["message"]


def test_good_values_of_each_kind_are_read(client):
    base = f"/api/map/incidents?{VIEW}&from=2023-01-01&to=2023-12-31&zoom=12"
    assert client.get(base).get_json()["mode"] == "grids"
    for flag in ("1", "true", "on", "0", "off", "FALSE"):
        assert client.get(f"{base}&overdue={flag}").status_code == 200, flag
    both = client.get(f"{base}&kind=dispute&kind=petition")  # several kinds: a list, not a repeat
    assert both.status_code == 200
    area = client.get("/api/locate?lon=113.838&lat=30.4417&at=2023-06-01").get_json()
    for name in ("package_area", "village"):
        r = client.get(f"{base}&{name}={area[name]['code']}")
        assert r.status_code == 200 and r.get_json()["total"] > 0, name


def test_the_center_page_refuses_an_unknown_place_and_metric(client):
    for query, words in [
        ("package_area=nowhere", "未知的片区"),
        ("village=nowhere", "未知的村（社区）"),
        ("metric=colour", "着色指标 metric 只能是"),
    ]:
        r = client.get(f"/center/?{query}")
        assert r.status_code == 400 and words in r.get_data(as_text=True), query


def test_no_parameter_may_be_longer_than_200_characters(client):
    for address in ("/api/locate", "/center/", "/api/nothing"):
        r = client.get(f"{address}?{SEAT}&note={'x' * 201}")
        assert r.status_code == 400, address
        assert "过长" in (r.get_json() or {}).get("message", r.get_data(as_text=True))
    assert client.get(f"/api/locate?{SEAT}&note={'x' * 200}").status_code == 200


def test_a_query_string_with_too_many_values_is_refused(client):
    many = "&".join(f"kind=dispute{i}" for i in range(101))
    r = client.get(f"/api/hotspots?{many}")
    assert r.status_code == 400 and "参数过多" in r.get_json()["message"]


def test_the_locate_command_reads_numbers_as_the_api_does(settings, demo_loaded):
    for lon in ("11_3.838", "1.13838e2"):
        result = CliRunner().invoke(
            cli.main, ["locate", lon, "30.4417"], env=env_for(settings), catch_exceptions=False
        )
        assert result.exit_code == 1 and "经度必须是数字" in result.output, result.output


# --- the parser itself (issue 17): the same refusal wherever a value comes in -----------------


@pytest.mark.parametrize(
    "text", ["0001-01-01", "0001-01-01T08:00", "1900-01-01", "1999-12-31 23:59", "2101-01-01"]
)
def test_a_time_outside_2000_to_2100_is_refused_naming_its_field(text):
    from gridmap.core import timewindow

    with pytest.raises(BadInput) as caught:
        timewindow.parse_moment(text, "发生时间")
    assert "发生时间超出可接受的范围：应在 2000-01-01 至 2100-12-31 之间" in caught.value.message
    with pytest.raises(BadInput) as caught:
        params.parse_query_day(text, "生效日期")
    assert "生效日期超出可接受的范围" in caught.value.message


def test_the_edges_of_the_readable_range_are_read():
    from gridmap.core import timewindow

    assert timewindow.parse_moment("2000-01-01", "t").year in (1999, 2000)
    assert timewindow.parse_moment("2100-12-31 23:59", "t").year == 2100


@pytest.mark.parametrize(
    "value, words",
    [
        ("Q\ud800Q", "代理码位"),
        ("Q\udfffQ", "代理码位"),
        ("Q\x00Q", "NUL"),
        ("长" * 11, "不能超过 10 个字"),
        (5, "应为文字"),
        (["a"], "应为文字"),
    ],
)
def test_text_refuses_what_cannot_be_stored(value, words):
    with pytest.raises(BadInput) as caught:
        params.text({"v": value}, "v", "理由", 10)
    assert words in caught.value.message and "理由" in caught.value.message


def test_text_keeps_every_real_character():
    assert params.text({"v": " 𠀀中文\t😀 "}, "v", "理由", 10) == "𠀀中文\t😀"
    assert params.parse_text("", "理由", 10) == ""
    with pytest.raises(BadInput, match="请填写理由"):
        params.parse_text("  ", "理由", 10, required=True)


@pytest.mark.parametrize("value", [2**31 - 1, "2147483647", " 7 "])
def test_identifiers_within_integer_range_are_read(value):
    assert params.identifier({"id": value}, "id", "人员编号") == int(str(value).strip())


@pytest.mark.parametrize("value", [0, -1, 2**31, 2**70, "2147483648", "1e3", "１２", True, 1.5])
def test_identifiers_beyond_what_the_database_stores_are_refused(value):
    with pytest.raises(BadInput, match="人员编号应为数字编号"):
        params.identifier({"id": value}, "id", "人员编号")
    assert not params.is_identifier(value)


def test_json_nested_too_deep_is_a_refusal_in_words(app):
    with app.app_context(), pytest.raises(BadInput, match="嵌套"):
        app.json.loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "value",
    ["11010519491231002X", "11010519491231002x", "110105491231002", ""],
)
def test_good_id_numbers_are_read(value):
    if value:
        assert params.id_number({"v": value}, "v", "身份证号") == value.upper()
    else:
        assert params.id_number({"v": value}, "v", "身份证号") is None


@pytest.mark.parametrize(
    "value, words",
    [
        ("110105194912310021", "校验位"),
        ("110105194902300020", "出生日期不存在"),
        ("110105491331002", "出生日期不存在"),
        ("11010519491231002", "18 位"),
        ("13912345678", "身份证号一栏填的像是电话号码"),
        ("027-84512345", "身份证号一栏填的像是电话号码"),
    ],
)
def test_bad_id_numbers_are_refused(value, words):
    with pytest.raises(BadInput, match=words):
        params.id_number({"v": value}, "v", "身份证号")


@pytest.mark.parametrize(
    "value",
    [
        "13912345678",
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "027-84512345",
        "(027) 8451 2345",
        "0715-8451234",
        "027-84512345 转 123",
        "027-84512345-123",
    ],
)
def test_good_phones_are_read_as_written(value):
    assert params.phone({"v": value}, "v", "电话") == value


@pytest.mark.parametrize(
    "value, words",
    [
        ("11010519491231002X", "电话一栏填的像是身份证号"),
        ("110105491231002", "电话一栏填的像是身份证号"),
        ("12345678901", "电话应为手机号"),
        ("1391234567", "电话应为手机号"),
        ("84512345", "电话应为手机号"),
    ],
)
def test_bad_phones_are_refused_naming_the_field(value, words):
    with pytest.raises(BadInput, match=words):
        params.phone({"v": value}, "v", "电话")


def test_the_demos_parties_have_valid_numbers():
    import numpy as np

    from gridmap.core import identity_numbers
    from gridmap.demo import identity

    rng = np.random.default_rng(17)
    for _ in range(2000):
        number = identity.id_number(identity.gender(rng), rng)
        assert identity_numbers.id_number(number, "身份证号") == number
        assert identity_numbers.phone(identity.phone(rng), "电话")
