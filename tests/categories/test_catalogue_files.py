"""The catalogue CSVs themselves (no database): shape, completeness, the duty encoding."""
import csv

import pytest

from jiesu.categories import services
from jiesu.categories.services import CatalogueError, DutyTarget, parse_target, read_catalogue

from .conftest import DOCUMENTED_CODES


@pytest.fixture(scope="module")
def rows():
    return read_catalogue()


def own(rows):
    return [r for r in rows if not r.gbt_code and r.code != services.GBT_ROOT_CODE
            and not r.code.startswith(services.GBT_ROOT_CODE + ".")]


def test_own_tree_has_150_leaves_over_the_hotline_areas(rows):
    leaves = [r for r in own(rows) if r.is_leaf]
    assert len(leaves) >= 150
    tops = {r.name for r in own(rows) if r.level == 1}
    for area in ("住房与物业", "水电气热", "城市管理", "环境保护", "交通出行", "劳动与社会保障", "教育",
                 "医疗卫生", "市场监管", "公共安全", "民政与社会服务", "政务服务", "农业农村", "文化旅游体育"):
        assert area in tops
    assert any(r.name.startswith("咨询") for r in own(rows) if r.level == 1)
    assert all(len([c for c in leaves if c.code.startswith(t.code + ".")]) >= 5 for t in own(rows) if t.level == 1)


def test_every_leaf_is_complete(rows):
    for r in rows:
        if not r.is_leaf:
            continue
        assert r.request_type in {"consult", "help", "complaint", "report", "suggestion"}, r.code
        assert r.time_limit in {"emergency", "utilities", "general", "complex"}, r.code
        assert len(r.lead) == 1, r.code
        assert r.keywords.split(), r.code


def test_codes_are_unique_and_tree_shaped(rows):
    codes = [r.code for r in rows]
    assert len(codes) == len(set(codes))
    names = {}
    for r in rows:
        assert r.level == r.code.count(".") + 1
        if r.parent_code:
            assert r.parent_code in codes
        names.setdefault((r.parent_code, r.name), r.code)
    assert len(names) == len(rows), "two siblings share a name"


def test_only_documented_units_are_named(rows):
    for code in services.referenced_unit_codes(rows):
        assert code in DOCUMENTED_CODES, code


def test_negative_list_keeps_streets_off_housing_fund(rows):
    by_code = {r.code: r for r in rows}
    for r in rows:
        if "公积金" in r.name:
            assert DutyTarget("territorial", "street") in r.negative, r.code
            assert r.lead[0].unit_code == "CD-GZJ"
    assert parse_target("street") in by_code["12.02.01"].negative  # 个人所得税


def test_gbt_subtree(rows):
    gbt = [r for r in rows if r.code.startswith(services.GBT_ROOT_CODE)]
    leaves = [r for r in gbt if r.is_leaf]
    assert len(leaves) == 250
    assert all(len(r.gbt_code) == 5 and r.gbt_code.isdigit() for r in leaves)
    assert all(r.code == f"90.{r.gbt_code[:2]}.{r.gbt_code}" for r in leaves)
    classes = {r.name for r in gbt if r.level == 2}
    assert {"市政公用设施类", "交通设施类", "市容环境类", "街面秩序类", "施工管理类", "宣传广告类"} <= classes
    by_gbt = {r.gbt_code: r for r in leaves}
    assert by_gbt["06028"].name == "噪声扰民" and by_gbt["06028"].lead[0].unit_kind == "street"
    assert by_gbt["01001"].lead[0].unit_code == "EN-WATER"
    assert by_gbt["02014"].lead[0].unit_code == "CD-JGJ"          # 交通信号灯
    assert by_gbt["09015"].lead[0].unit_kind == "district_department:SCJ"


def test_gbt_file_keeps_components_and_matters():
    with open(services.GBT_CSV, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    kinds = {k: [r for r in rows if r["kind"] == k] for k in ("component", "matter")}
    assert len(kinds["component"]) == 153 and len(kinds["matter"]) == 250
    assert {r["code"] for r in kinds["component"]} <= {r["code"] for r in kinds["matter"]}
    for r in rows:
        parse_target(r["lead"])


def test_time_limits_file():
    classes = {r["code"]: r for r in services.read_time_limits()}
    assert set(classes) == {"emergency", "utilities", "general", "complex"}
    assert (classes["emergency"]["dispatch_amount"], classes["emergency"]["dispatch_unit"]) == (1, "clock_hours")
    assert (classes["emergency"]["reply_amount"], classes["emergency"]["reply_unit"]) == (2, "clock_hours")
    assert (classes["utilities"]["dispatch_amount"], classes["utilities"]["reply_amount"]) == (2, 24)
    assert classes["utilities"]["reply_unit"] == "clock_hours"
    assert (classes["general"]["sign_amount"], classes["general"]["sign_unit"]) == (2, "working_hours")
    assert (classes["general"]["reply_amount"], classes["general"]["reply_unit"]) == (7, "working_days")
    assert (classes["complex"]["reply_amount"], classes["complex"]["reply_unit"]) == (15, "working_days")


@pytest.mark.parametrize("text, expected", [
    ("street", DutyTarget("territorial", "street")),
    ("district", DutyTarget("territorial", "district")),
    ("district_department:SCJ", DutyTarget("sectoral", "district_department:SCJ")),
    ("CD-RSJ", DutyTarget("sectoral", "", "CD-RSJ")),
    ("EN-WATER", DutyTarget("sectoral", "", "EN-WATER")),
    ("HC", DutyTarget("sectoral", "", "HC")),
    ("110101-SCJ", DutyTarget("sectoral", "", "110101-SCJ")),
])
def test_parse_target(text, expected):
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["", "streets", "district_department:XYZ", "cd-rsj", "市人社局"])
def test_parse_target_rejects(text):
    with pytest.raises(CatalogueError):
        parse_target(text)


HEADER = "code,name,request_type,time_limit,lead,co,negative,keywords\n"


@pytest.mark.parametrize("body, message", [
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,help,general,street,,,x\n01.01.01,D,help,general,street,,,x\n",
     "already used"),
    ("01,A,,,,,,\n01.01.01,C,help,general,street,,,x\n", "must come before"),
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,help,general,,,,x\n", "exactly one lead"),
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,asking,general,street,,,x\n", "request_type"),
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,help,,street,,,x\n", "time_limit"),
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,help,general,bureau,,,x\n", "categories.csv:4"),
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,help,general,street,street,,x\n", "twice"),
    ("01,A,,,,,,\n01.01,B,,,,,,\n01.01.01,C,help,general,street,,street,x\n", "negative"),
    ("01,A,,,,,,\n01.01,B,,,street,,,\n", "leaves"),
    ("1.2,A,,,,,,\n", "bad code"),
])
def test_bad_catalogue_is_refused_with_the_row(tmp_path, body, message):
    path = tmp_path / "categories.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    with pytest.raises(CatalogueError, match=message):
        read_catalogue(path)


def test_bad_time_limits_are_refused(tmp_path):
    path = tmp_path / "time_limits.csv"
    path.write_text(services.TIME_LIMITS_CSV.read_text(encoding="utf-8").replace(",2,clock_hours", ",2,fortnights", 1),
                    encoding="utf-8")
    with pytest.raises(CatalogueError, match="fortnights"):
        services.read_time_limits(path)
