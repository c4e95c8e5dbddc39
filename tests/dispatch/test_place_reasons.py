"""The locator's and the gazetteer's place reasons in the reader's language: kept as parts, worded when read
(Chinese word for word as before; English on English pages and for English API clients)."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from jiesu.accounts.models import Role
from jiesu.dispatch import locator, wording
from jiesu.dispatch.gazetteer import (Entry, Gazetteer, LocateResult, derived_entries, entry_confidence, level_of,
                                      package_entries)
from jiesu.units.models import Unit

from .test_router_fixtures import by_code, dispatch_rows_once, shared_dispatch_db as dispatch_db, fake_tree  # noqa: F401  (fixtures: the rows built once for the module)


@pytest.fixture(scope="module")
def units():
    return fake_tree()


@pytest.fixture(scope="module")
def gazetteer(units):
    rows = derived_entries(units.values()) + package_entries(units.values())
    return Gazetteer([Entry(name, uid, kind, entry_confidence(name, kind, level_of(units[uid])))
                      for name, kind, uid in rows], units)


def in_both(found):
    """(Chinese, English) of a result's reason, read after locating: the reader's language decides."""
    with translation.override("zh-hans"):
        chinese = found.reason
    with translation.override("en"):
        return chinese, found.reason


@pytest.mark.parametrize("address, chinese, english", [
    ("东城区王府井大街138号", "地址中识别出「王府井大街」（道路） → 东华门街道（东城区）",
     "found in the address: “王府井大街” (road) → 东华门街道 (东城区)"),
    ("东华门", "地址中识别出「东华门」（别名） → 东华门街道（东城区）",
     "found in the address: “东华门” (alias) → 东华门街道 (东城区)"),
    ("八里庄", "「八里庄」有多处（八里庄街道（朝阳区）、八里庄街道（海淀区）），无法确定是哪一处，请补充所在区",
     "“八里庄” names several places (八里庄街道 (朝阳区), 八里庄街道 (海淀区)) and which one is meant is unknown: "
     "please add the district"),
    ("西城区王府井大街", "地址中识别出「西城区」（单位名称） → 西城区；「王府井大街」不在西城区，未采用",
     "found in the address: “西城区” (unit name) → 西城区; “王府井大街” is not in 西城区: left out"),
    ("东华门第一社区 和平里街道",
     "地址中识别出「东华门第一社区」（单位名称） → 东华门第一社区（东城区）；地址中的和平里街道（东城区）与之不一致，"
     "以更具体的「东华门第一社区」为准",
     "found in the address: “东华门第一社区” (unit name) → 东华门第一社区 (东城区); also named, elsewhere: "
     "和平里街道 (东城区); the more specific “东华门第一社区” is taken"),
    ("我在朝阳区看到的，但是东城区的人说不管",
     "地址中识别出「朝阳区」（单位名称） → 朝阳区；地址中的东城区与之不一致，暂以先出现的「朝阳区」为准，请核实",
     "found in the address: “朝阳区” (unit name) → 朝阳区; also named, elsewhere: 东城区; “朝阳区”, named first, is "
     "taken for now, please check"),
    ("河北省廊坊市广阳区", "地址中未识别出区、街道、社区或已登记的地名",
     "no district, street, community or known place name found in the address"),
])
def test_the_gazetteers_reasons_in_both_languages(gazetteer, address, chinese, english):
    assert in_both(gazetteer.locate(address)) == (chinese, english)


def test_names_of_several_places_in_both_languages(units):
    codes = by_code(units)
    first, second = codes["110101001001"], codes["110101001002"]
    common = Gazetteer([Entry("红星小区", first.id, "compound", 0.85), Entry("红星小区", second.id, "compound", 0.85)],
                       units).locate("红星小区")
    assert in_both(common) == (
        "地址中识别出「红星小区」有多处（东华门第一社区（东城区）、东华门第二社区（东城区）），只能确定到共同的上级东华门街道"
        " → 东华门街道（东城区）",
        "found in the address: “红星小区” names several places (东华门第一社区 (东城区), 东华门第二社区 (东城区)): only "
        "their common parent 东华门街道 is certain → 东华门街道 (东城区)")
    settled = Gazetteer([Entry("红星小区", first.id, "compound", 0.99), Entry("红星小区", second.id, "compound", 0.99),
                         Entry("一社区", first.id, "alias", 0.95)], units).locate("一社区红星小区")
    assert settled.unit_id == first.id
    chinese, english = in_both(settled)
    assert chinese.startswith("地址中识别出「红星小区」（小区，有多处同名，按地址中的其他地名确定） → 东华门第一社区（东城区）")
    assert english.startswith("found in the address: “红星小区” (residential compound; several places have that "
                              "name, the other names in the address settle it) → 东华门第一社区 (东城区)")


def test_a_place_said_in_the_request_text(gazetteer):
    found = gazetteer.locate("在西单附近有人摆摊", free_text=True)
    assert in_both(found) == ("地址中识别出「西单」（地标） → 西长安街街道（西城区）",
                              "found “西单” (landmark) → 西长安街街道 (西城区)")


def test_word_puts_parts_together():
    w = {"a": "<%(x)s|%(n).2f>", "sep": "+", "b": "B"}
    assert wording.word("as it is", w) == "as it is"
    assert wording.word(("b", None), w) == "B"
    assert wording.word(("sep", ["x", ("b", None)]), w) == "x+B"
    assert wording.word(("a", {"x": ("sep", ["1", "2"]), "n": 0.5}), w) == "<1+2|0.50>"


def test_the_place_phrases_have_their_own_keys_and_a_chinese_wording():
    place_keys = set(wording.PLACE_TEMPLATES) | set(wording.PLACE_PUNCTUATION)
    assert not place_keys & (set(wording.TEMPLATES) | set(wording.SEPARATORS))
    with translation.override("zh-hans"):
        chinese = wording.words()
    with translation.override("en"):
        english = wording.words()
    untranslated = [key for key in place_keys if chinese[key] == english[key]]
    assert untranslated == []
    assert chinese["reason_sep"] == "；" and english["reason_sep"] == "; "


def test_a_reason_given_as_text_is_read_as_it_is():
    place = LocateResult(reason="来自工单")
    with translation.override("en"):
        assert place.reason == "来自工单"
    place.reason = ("to_hotline", None)
    with translation.override("en"):
        assert place.reason == "the district is unknown: to the 12345 hotline centre for manual dispatch"
    assert LocateResult().reason == ""


def test_the_locators_reasons_in_both_languages(dispatch_db):
    grid = Unit.objects.filter(code="110101001001001").defer("geometry").get()
    point = locator.locate(lon=grid.center_lon, lat=grid.center_lat)
    assert in_both(point) == ("坐标（WGS-84）落在东华门第一社区第1网格（东城区）（示意边界，位置仅供参考）",
                              "the point (WGS-84) lies in 东华门第一社区第1网格 (东城区) (schematic boundary: the place is only indicative)")
    agree = locator.locate(address="东华门街道", lon=grid.center_lon, lat=grid.center_lat, coord_system="wgs84")
    assert in_both(agree)[1] == ("the point (WGS-84) lies in 东华门第一社区第1网格 (东城区) (schematic boundary: the place is only indicative), as "
                                 "the address says (found in the address: “东华门街道” (unit name) → 东华门街道 (东城区))")
    outside = locator.locate(address="东城区王府井大街", lon=121.47, lat=31.23)
    assert in_both(outside) == (
        "地址中识别出「王府井大街」（道路） → 东华门街道（东城区）（坐标（WGS-84）121.470000, 31.230000 不在本市任何辖区内）",
        "found in the address: “王府井大街” (road) → 东华门街道 (东城区) (the point (WGS-84) 121.470000, 31.230000 "
        "lies outside every unit of the city)")
    text = locator.locate(text="西单路口有人占道经营")
    assert in_both(text) == ("从诉求内容中：地址中识别出「西单」（地标） → 西长安街街道（西城区）",
                             "from the request text: found “西单” (landmark) → 西长安街街道 (西城区)")
    nothing = locator.locate(address="火星", text="有人占道经营")
    assert in_both(nothing) == (
        "地址：地址中未识别出区、街道、社区或已登记的地名；无法确定所在区，转12345热线中心人工派单",
        "address: no district, street, community or known place name found in the address; the district is unknown: "
        "to the 12345 hotline centre for manual dispatch")
    assert in_both(locator.locate())[1] == ("no coordinates or address given; the district is unknown: to the 12345 "
                                            "hotline centre for manual dispatch")


def test_a_point_against_the_address_in_both_languages(dispatch_db):
    other = Unit.objects.filter(code="110101002").defer("geometry").get()  # a street of 东城区, not 东华门
    chinese, english = in_both(locator.locate(address="东城区王府井大街", lon=other.center_lon, lat=other.center_lat))
    assert chinese.startswith("地址中识别出「王府井大街」（道路） → 东华门街道（东城区）；坐标（WGS-84）落在")
    assert chinese.endswith("（示意边界，位置仅供参考），与地址不一致，示意边界不可靠，以地址为准")
    assert english.endswith("(schematic boundary: the place is only indicative), unlike the address: a schematic boundary is not reliable, the "
                            "address is taken")
    Unit.objects.filter(code__startswith="110101002").update(schematic=False)
    from jiesu.dispatch import router

    router.invalidate()
    chinese, english = in_both(locator.locate(address="东城区王府井大街", lon=other.center_lon, lat=other.center_lat))
    assert chinese.endswith("；地址指向东华门街道，与坐标不一致，以坐标为准") and "示意" not in chinese
    assert english.endswith("; the address points to 东华门街道, unlike the point: the coordinates are taken")


def test_the_api_answers_the_reason_in_the_clients_language(dispatch_db):
    user = get_user_model().objects.create_user("reader", password="pw", role=Role.CITIZEN,
                                                unit=Unit.objects.get(code="110101001"))
    english = Client()
    english.force_login(user)
    english.cookies["django_language"] = "en"
    r = english.get("/api/v1/dispatch/locate", {"address": "西城区金融大街"})
    assert r.status_code == 200 and r.json()["street"]["code"] == "110102011"
    assert r.json()["reason"] == "found in the address: “金融大街” (road) → 金融街街道 (西城区)"
    r = english.get("/api/v1/dispatch/locate", {"address": "火星"})
    assert r.status_code == 200 and r.json()["unit"] is None
    assert r.json()["reason"] == ("address: no district, street, community or known place name found in the "
                                  "address; the district is unknown: to the 12345 hotline centre for manual dispatch")
    program = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")  # no cookie: Accept-Language counts
    program.force_login(user)
    r = program.get("/api/v1/dispatch/suggest", {"text": "有人占道经营", "address": "东城区王府井大街"})
    assert r.status_code == 200
    assert r.json()["place"]["reason"] == "found in the address: “王府井大街” (road) → 东华门街道 (东城区)"
    chinese = Client()
    chinese.force_login(user)
    r = chinese.get("/api/v1/dispatch/suggest", {"text": "有人占道经营", "address": "东城区王府井大街"})
    assert r.json()["place"]["reason"] == "地址中识别出「王府井大街」（道路） → 东华门街道（东城区）"
