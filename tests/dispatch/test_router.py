"""The router's rules (Art.12) on a hand-made catalogue (pure: no database)."""
import pytest

from jiesu.dispatch.gazetteer import LocateResult
from jiesu.dispatch.router import RoutingTable, office_name

from .test_router_fixtures import Ids, by_code, category, duty, fake_tree


class World:
    """A catalogue over the real districts and streets:

    03 城市管理 / 03.01 街面秩序 / 03.01.01 占道经营   lead street (citywide)
                                  03.01.02 无照游商   no duty of its own; 03.01 says: lead street
    02.01.01 停水                                      lead EN-WATER, co street
    09.01.01 食品安全                                  lead district_department:SCJ
    01.06.08 公积金                                    lead CD-GZJ, negative street
    """

    def __init__(self):
        self.units = fake_tree()
        self.u = by_code(self.units)
        ids = Ids()
        ids.n = 10_000
        self.ids = ids
        c = {}
        c["03"] = category(ids, "03", "城市管理")
        c["03.01"] = category(ids, "03.01", "街面秩序", c["03"])
        c["03.01.01"] = category(ids, "03.01.01", "占道经营", c["03.01"])
        c["03.01.02"] = category(ids, "03.01.02", "无照游商", c["03.01"])
        c["02"] = category(ids, "02", "水电气热")
        c["02.01"] = category(ids, "02.01", "供水", c["02"])
        c["02.01.01"] = category(ids, "02.01.01", "停水", c["02.01"])
        c["09"] = category(ids, "09", "市场监管")
        c["09.01"] = category(ids, "09.01", "食品", c["09"])
        c["09.01.01"] = category(ids, "09.01.01", "食品安全", c["09.01"])
        c["01"] = category(ids, "01", "住房")
        c["01.06"] = category(ids, "01.06", "住房保障", c["01"])
        c["01.06.08"] = category(ids, "01.06.08", "公积金", c["01.06"])
        self.c = c
        u = self.u
        self.duties = [
            duty(ids, c["03.01.01"], "street"),
            duty(ids, c["03.01"], "street"),
            duty(ids, c["02.01.01"], unit=u["EN-WATER"]),
            duty(ids, c["02.01.01"], "street", role="co"),
            duty(ids, c["09.01.01"], "district_department:SCJ"),
            duty(ids, c["01.06.08"], unit=u["CD-GZJ"]),
            duty(ids, c["01.06.08"], "street", negative=True),
        ]

    def add(self, *args, **kwargs):
        d = duty(self.ids, *args, **kwargs)
        self.duties.append(d)
        return d

    def table(self):
        return RoutingTable(self.units, {x.id: x for x in self.c.values()}, self.duties)

    def place(self, code, confidence=0.9):
        unit = self.u[code]
        chain = {"grid": None, "community": None, "street": None, "district": None}
        node = unit
        while node is not None and node.kind != "city":
            chain[node.kind] = node
            node = self.units.get(node.parent_id)
        return LocateResult(**chain, confidence=confidence, reason="test", source="address")


@pytest.fixture
def world():
    return World()


def test_a_clear_duty_goes_directly_to_its_unit(world):
    table = world.table()
    for place in (world.place("110101001"), None):
        best = table.route("02.01.01", place)[0]
        assert best.lead.code == "EN-WATER"
        assert best.mode == "direct" and best.confidence == 1.0
        assert f"派单目录 #{best.duty_id}" in best.explanation
        assert "直派" in best.explanation
    with_place = table.route("02.01.01", world.place("110101001"))[0]
    assert [u.code for u in with_place.co] == ["110101001"]  # co: the street of the place
    assert "协办：东华门街道办事处" in with_place.explanation
    # the street unknown: no co unit rather than a guess
    assert table.route("02.01.01", world.place("110101"))[0].co == []


def test_a_territorial_duty_goes_to_the_street_and_copies_the_district(world):
    best = world.table().route("03.01.01", world.place("110101001001002", 0.9))[0]
    assert best.lead.code == "110101001" and best.mode == "territorial"
    assert best.copy_to.code == "110101"
    assert best.confidence == pytest.approx(0.9)
    assert best.explanation.startswith(f"占道经营 位于 东华门街道 → 东华门街道办事处（派单目录 #{best.duty_id}，属地")
    assert "街道派单同时抄送东城区" in best.explanation


def test_only_the_district_known_goes_to_the_district_government(world):
    best = world.table().route("03.01.01", world.place("110101"))[0]
    assert best.lead.code == "110101" and best.mode == "fallback_district"
    assert "兜底" in best.explanation and "东城区人民政府" in best.explanation
    assert "位于 东城区（街道未知）" in best.explanation
    assert best.confidence < 0.9


def test_nothing_known_goes_to_the_hotline_centre(world):
    for place in (None, LocateResult(reason="无")):
        best = world.table().route("03.01.01", place)[0]
        assert best.lead.code == "HC" and best.mode == "hotline"
        assert "位置不明" in best.explanation and "人工派单" in best.explanation


def test_a_district_department_duty_goes_to_that_districts_department(world):
    table = world.table()
    best = table.route("09.01.01", world.place("110102001"))[0]
    assert best.lead.code == "110102-SCJ" and best.mode == "district_department"
    assert table.route("09.01.01", None)[0].lead.code == "HC"


def test_duties_are_inherited_from_the_parent_category(world):
    best = world.table().route("03.01.02", world.place("110101001"))[0]
    assert best.lead.code == "110101001"
    assert "按上级类别「街面秩序」的规定" in best.explanation


def test_the_negative_list_is_never_suggested(world):
    # an override sending 公积金 to the street in 东城区: the negative list wins
    world.add(world.c["01.06.08"], "street", territory=world.u["110101"])
    # and a co duty naming the street is dropped too
    world.add(world.c["01.06.08"], "street", role="co")
    table = world.table()
    suggestions = table.route("01.06.08", world.place("110101001001001"))
    assert suggestions and all(s.lead.kind != "street" for s in suggestions)
    assert all(u.kind != "street" for s in suggestions for u in s.co)
    assert suggestions[0].lead.code == "CD-GZJ"
    assert "负面清单" in suggestions[0].explanation


def test_a_street_dispatch_copies_the_streets_own_district(world):
    """A duty naming a street in 东城区 for a place in 西城区 copies 东城区, the street's, not the place's."""
    world.add(world.c["03.01.02"], unit=world.u["110101001"])
    best = world.table().route("03.01.02", world.place("110102001"))[0]
    assert best.lead.code == "110101001" and best.copy_to.code == "110101"
    assert "街道派单同时抄送东城区" in best.explanation


def test_a_district_on_the_negative_list_keeps_its_copy_but_is_no_fallback(world):
    """The negative list bars handling; a copy only informs the district that oversees its streets."""
    world.add(world.c["03.01.01"], "district", negative=True)
    best = world.table().route("03.01.01", world.place("110101001"))[0]
    assert best.lead.code == "110101001" and best.copy_to.code == "110101"
    world.add(world.c["03.01.01"], "street", negative=True)  # the street too: the hotline, naming both
    best = world.table().route("03.01.01", world.place("110101001"))[0]
    assert best.lead.code == "HC"
    assert "不得派给东华门街道办事处" in best.explanation and "不得派给东城区人民政府" in best.explanation


def test_a_duty_for_the_city_as_territory_is_citywide_and_says_nothing_local(world):
    world.add(world.c["03.01.01"], unit=world.u["EN-WATER"], territory=world.u["110000"])
    suggestions = world.table().route("03.01.01", world.place("110101001"))
    water = next(s for s in suggestions if s.lead.code == "EN-WATER")
    assert "专门规定" not in water.explanation


def test_a_unit_barred_for_several_rules_is_said_once(world):
    world.add(world.c["03.01.01"], "street", negative=True, territory=world.u["110101"])
    best = world.table().route("03.01.01", world.place("110101001"))[0]  # 03.01.01 and 03.01 both name the street
    assert best.explanation.count("不得派给东华门街道办事处") == 1


def test_a_negative_entry_on_an_ancestor_applies_to_the_subtree(world):
    world.add(world.c["03"], "street", negative=True)  # no street may get any 城市管理 ticket
    best = world.table().route("03.01.01", world.place("110101001"))[0]
    assert best.lead.kind != "street"
    assert best.lead.code == "110101"  # nothing else allowed: the district government
    assert "兜底" in best.explanation and "派单目录指定的单位在负面清单上" in best.explanation
    assert "负面清单（#" in best.explanation


def test_a_territory_specific_duty_beats_the_citywide_one(world):
    override = world.add(world.c["03.01.01"], "district_department:ZFJ", territory=world.u["110101"])
    table = world.table()
    here = table.route("03.01.01", world.place("110101001"))
    assert here[0].lead.code == "110101-ZFJ" and here[0].duty_id == override.id
    assert "东城区专门规定，优先于全市目录" in here[0].explanation
    assert here[1].lead.code == "110101001" and "备选" in here[1].explanation  # the citywide rule, offered
    assert here[1].confidence < here[0].confidence
    elsewhere = table.route("03.01.01", world.place("110102001"))[0]  # 西城区: the citywide rule
    assert elsewhere.lead.code == "110102001"


def test_a_street_override_beats_a_district_override(world):
    world.add(world.c["03.01.01"], "district_department:ZFJ", territory=world.u["110101"])
    world.add(world.c["03.01.01"], "district_department:SCJ", territory=world.u["110101001"])
    table = world.table()
    assert table.route("03.01.01", world.place("110101001001"))[0].lead.code == "110101-SCJ"
    assert table.route("03.01.01", world.place("110101002"))[0].lead.code == "110101-ZFJ"
    # the table keeps each category's grouped duties per set of its territories holding the place: asked
    # again, in another order, each place still gets its own rule
    for code, lead in [("110102001", "110102001"), ("110101001", "110101-SCJ"), ("110101002", "110101-ZFJ"),
                       ("110101001001", "110101-SCJ"), ("110102001", "110102001")]:
        assert table.route("03.01.01", world.place(code))[0].lead.code == lead, code


def test_a_local_rule_on_a_parent_beats_a_citywide_rule_on_the_leaf(world):
    world.add(world.c["03"], "district_department:ZFJ", territory=world.u["110101"])
    assert world.table().route("03.01.01", world.place("110101001"))[0].lead.code == "110101-ZFJ"


def test_a_category_without_any_duty_falls_back_by_place(world):
    orphan = category(world.ids, "88", "其他")
    world.c["88"] = orphan
    table = world.table()
    assert table.route("88", world.place("110101001"))[0].lead.code == "110101"
    best = table.route("88", None)[0]
    assert best.lead.code == "HC" and "未能确定所在区" in best.explanation


def test_place_as_dict_or_unit(world):
    table = world.table()
    street = world.u["110101001"]
    assert table.route("03.01.01", {"street": street})[0].lead is street
    assert table.route("03.01.01", street)[0].lead is street
    assert table.route("03.01.01", world.u["110101001001001"])[0].lead is street


def test_unknown_category_is_a_key_error(world):
    with pytest.raises(KeyError):
        world.table().route("77.77.77", None)


def test_office_names(world):
    assert office_name(world.u["110101001"]) == "东华门街道办事处"
    assert office_name(world.u["110101"]) == "东城区人民政府"
    assert office_name(world.u["EN-WATER"]) == "北京市自来水集团"


def test_a_local_rule_with_a_fixed_unit_is_as_sure_as_the_place(world):
    """A rule for 东华门街道 applies only because the ticket is taken to lie there: a street guessed at 72 % makes a
    72 % dispatch, not 100 % (audit 8, #2). A citywide fixed unit does not depend on the place."""
    local = world.add(world.c["03.01.01"], unit=world.u["110101-ZFJ"], territory=world.u["110101001"])
    table = world.table()
    best = table.route("03.01.01", world.place("110101001", 0.72))[0]
    assert best.duty_id == local.id and best.mode == "direct"
    assert best.confidence == pytest.approx(0.72)
    assert best.explanation.startswith("占道经营 位于 东华门街道 → 东城区城市管理综合行政执法局（派单目录 #")
    assert "东华门街道专门规定，优先于全市目录" in best.explanation
    citywide = table.route("02.01.01", world.place("110101001", 0.72))[0]
    assert citywide.lead.code == "EN-WATER" and citywide.confidence == 1.0


def test_two_equal_local_rules_naming_different_units_are_a_conflict_said_in_both(world):
    """Which of two contradicting rules wins must not be decided by id order: both are offered below
    auto-dispatch's floor (0.5), neither as the other's alternative, and each names the conflict."""
    first = world.add(world.c["03.01.01"], unit=world.u["110101-ZFJ"], territory=world.u["110101001"])
    second = world.add(world.c["03.01.01"], unit=world.u["110101-SCJ"], territory=world.u["110101001"])
    suggestions = world.table().route("03.01.01", world.place("110101001", 1.0))
    assert [s.duty_id for s in suggestions[:2]] == [first.id, second.id]
    assert suggestions[0].confidence == suggestions[1].confidence < 0.5
    said = f"派单目录 #{first.id} 与 #{second.id} 对同一区域同一类别指定了不同的主办单位，请核实"
    for s in suggestions[:2]:
        assert said in s.explanation and "备选" not in s.explanation
    assert suggestions[2].lead.code == "110101001" and "备选" in suggestions[2].explanation  # the citywide rule
    assert suggestions[2].confidence < suggestions[0].confidence


def test_a_conflict_is_worded_in_the_readers_language(world):
    from django.utils import translation

    from jiesu.dispatch.wording import words

    first = world.add(world.c["03.01.01"], unit=world.u["110101-ZFJ"], territory=world.u["110101"])
    second = world.add(world.c["03.01.01"], unit=world.u["110101-SCJ"], territory=world.u["110101"])
    third = world.add(world.c["03.01.01"], unit=world.u["110101-ZJW"], territory=world.u["110101"])
    with translation.override("en"):
        best = world.table().route("03.01.01", world.place("110101001"), w=words())[0]
        assert (f"dispatch catalogue #{first.id}, #{second.id} and #{third.id} name different lead units for the "
                "same area and category, please check") in best.explanation


def test_equal_rules_naming_the_same_unit_are_no_conflict(world):
    world.add(world.c["03.01.01"], unit=world.u["110101-ZFJ"], territory=world.u["110101001"])
    world.add(world.c["03.01.01"], "district_department:ZFJ", territory=world.u["110101001"])
    best = world.table().route("03.01.01", world.place("110101001", 0.9))[0]
    assert best.lead.code == "110101-ZFJ" and best.confidence == pytest.approx(0.9)
    assert "请核实" not in best.explanation
