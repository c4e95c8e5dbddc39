"""The gazetteer's matching rules, on the real district and street names (pure: no database)."""
import time

import pytest

from jiesu.dispatch.gazetteer import (Entry, Gazetteer, derived_entries, entry_confidence, level_of,
                                      normalize, package_entries)

from .test_router_fixtures import by_code, fake_tree


@pytest.fixture(scope="module")
def units():
    return fake_tree()


@pytest.fixture(scope="module")
def codes(units):
    return by_code(units)


@pytest.fixture(scope="module")
def gazetteer(units):
    rows = derived_entries(units.values()) + package_entries(units.values())
    return Gazetteer([Entry(name, uid, kind, entry_confidence(name, kind, level_of(units[uid])))
                      for name, kind, uid in rows], units)


def where(gazetteer, text):
    found = gazetteer.locate(text)
    return (gazetteer.units[found.unit_id].code if found.unit_id else None), found


def test_longest_match_wins_and_names_inside_it_are_dropped(gazetteer):
    code, found = where(gazetteer, "东城区王府井大街138号")
    assert code == "110101001"  # 东华门街道
    assert found.matched == ["东城区", "王府井大街"]  # not 王府井, which lies inside 王府井大街
    assert "道路" in found.reason and "东华门街道（东城区）" in found.reason
    assert [m.name for m in gazetteer.matches("东华门街道办事处")] == ["东华门街道办事处"]


def test_the_most_specific_unit_wins(gazetteer):
    code, found = where(gazetteer, "北京市东城区东华门街道东华门第二社区3号楼")
    assert code == "110101001002"
    code, _ = where(gazetteer, "东华门第二社区第2网格")
    assert code == "110101001002002"
    code, found = where(gazetteer, "东城区东华门街道")
    assert code == "110101001"
    assert found.confidence > 0.95  # two names that agree


def test_a_district_alone_is_the_district(gazetteer):
    code, found = where(gazetteer, "东城区某某胡同12号")
    assert code == "110101"
    assert found.confidence >= 0.9
    code, _ = where(gazetteer, "延庆")  # the district, not 延庆镇 (its short name is left out)
    assert code == "110119"


def test_an_ambiguous_name_is_resolved_by_the_district_in_the_text(gazetteer):
    code, found = where(gazetteer, "八里庄")  # a street in 朝阳区 and one in 海淀区
    assert code is None
    assert "八里庄" in found.reason and "朝阳区" in found.reason and "海淀区" in found.reason
    assert "补充所在区" in found.reason
    assert sorted(gazetteer.units[u].code for u in found.candidates) == ["110105015", "110108005"]
    assert where(gazetteer, "海淀区八里庄")[0].startswith("110108")
    assert where(gazetteer, "朝阳区八里庄街道红庙北里")[0].startswith("110105")
    assert where(gazetteer, "朝阳八里庄")[0].startswith("110105")  # the district's short name
    code, found = where(gazetteer, "八里庄街道西八里庄路")  # two names of the same two places: said once
    assert code is None and found.reason.count("有多处") == 1 and "「八里庄街道」有多处" in found.reason


def test_an_ambiguous_name_gives_the_common_ancestor(units, codes):
    first, second = codes["110101001001"], codes["110101001002"]  # two communities of 东华门街道
    gazetteer = Gazetteer([Entry("红星小区", first.id, "compound", 0.85),
                           Entry("红星小区", second.id, "compound", 0.85)], units)
    found = gazetteer.locate("红星小区")
    assert units[found.unit_id].code == "110101001"
    assert "只能确定到共同的上级东华门街道" in found.reason
    assert found.confidence < 0.85
    # another name in the text can settle it
    found = Gazetteer([Entry("红星小区", first.id, "compound", 0.85), Entry("红星小区", second.id, "compound", 0.85),
                       Entry("东华门第一社区", first.id, "unit", 0.95)], units).locate("东华门第一社区红星小区")
    assert units[found.unit_id].code == "110101001001"


def test_a_name_outside_the_district_named_is_ignored_with_the_reason(gazetteer):
    code, found = where(gazetteer, "西城区王府井大街")
    assert code == "110102"
    assert "「王府井大街」不在西城区" in found.reason


def test_conflicting_names_keep_the_more_specific_and_say_so(gazetteer):
    code, found = where(gazetteer, "东华门第一社区 和平里街道")
    assert code == "110101001001"
    assert "不一致" in found.reason and found.confidence < 0.95


def test_two_places_of_one_level_take_the_first_and_ask_to_check(gazetteer):
    code, found = where(gazetteer, "我在朝阳区看到的，但是东城区的人说不管")
    assert code == "110105" and "暂以先出现的「朝阳区」为准，请核实" in found.reason and "更具体" not in found.reason


def test_nothing_found_says_why(gazetteer):
    code, found = where(gazetteer, "河北省廊坊市广阳区")
    assert code is None and found.confidence == 0
    assert "未识别" in found.reason
    assert where(gazetteer, "")[0] is None


def test_common_words_are_not_street_aliases(gazetteer, codes):
    # 密云区鼓楼街道's short form would swallow every 鼓楼大街 in the city
    assert where(gazetteer, "鼓楼大街")[0] is None
    assert where(gazetteer, "密云区鼓楼街道")[0] == "110118001"
    assert where(gazetteer, "国贸")[0] == codes["110105001"].code  # 建外街道, a shipped landmark
    assert where(gazetteer, "建国门外大街1号")[0] == "110105001"  # not 东城区建国门街道
    assert where(gazetteer, "朝阳门外大街")[0] == "110105002"  # not 东城区朝阳门街道


@pytest.mark.parametrize("text", ["楼上地板噪音太大", "早上地铁太挤", "马上地面就要塌了", "大兴土木私搭乱建",
                                  "我家房子朝阳，被新楼挡光", "买西单品被骗"])
def test_a_short_name_inside_other_words_of_a_request_is_no_place(gazetteer, text):
    assert gazetteer.locate(text, free_text=True).unit_id is None
    assert gazetteer.locate(text).unit_id is not None  # as an address, the name is taken


@pytest.mark.parametrize("text, code", [
    ("在西单看到有人摆摊", "110102001"), ("西单附近有人占道", "110102001"), ("国贸桥下积水", "110105001"),
    ("上地地铁站门口共享单车乱停", None), ("住大兴，小区供暖不热", "110115"), ("王府井有人拉客", "110101001"),
])
def test_a_short_name_said_as_a_place_in_a_request_counts(gazetteer, codes, text, code):
    found = gazetteer.locate(text, free_text=True)
    assert found.unit_id is not None
    if code:
        assert gazetteer.units[found.unit_id].code == code


def test_short_aliases_are_weaker_than_full_names(gazetteer):
    assert gazetteer.locate("上地").confidence < gazetteer.locate("上地街道").confidence


def test_normalisation():
    assert normalize("东城区　王府井 大街 １３８号") == "东城区王府井大街138号"


def test_matching_is_fast(gazetteer):
    texts = ["北京市东城区王府井大街138号", "朝阳区八里庄街道红庙北里3号楼", "海淀区中关村大街27号",
             "西城区金融大街", "某某小区门口", "延庆区八达岭长城"] * 500
    started = time.perf_counter()
    for text in texts:
        gazetteer.locate(text)
    per_ms = (time.perf_counter() - started) / len(texts) * 1000
    assert per_ms < 0.5, f"{per_ms:.3f} ms per address"
