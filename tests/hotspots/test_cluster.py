"""The pure clustering and heat index, on hand-made messages."""
import math

import pytest

from jiesu.hotspots.cluster import DAY, Item, Params, components, find_problems, heat_index, recency, similarity_to
from jiesu.hotspots.places import extract, place_key

T0 = 1_700_000_000.0


def item(i, title, days=0.0, citizen=None, support=None, unresolved=None, district=1, community=None, text=""):
    return Item(i, title, text or title, T0 + days * DAY, citizen if citizen is not None else f"c{i}", support,
                unresolved, district=district, community=community)


def test_heat_index_by_hand():
    # 3 tickets, 2 citizens (c1 twice), 10 + 5 likes, newest 14 days before now, unresolved 1, 0.5, 0
    its = [item(1, "a", 0, "c1", 10, 1.0), item(2, "a", 0, "c1", 5, 0.5), item(3, "a", 0, "c2", None, 0.0)]
    h = heat_index(its, now=T0 + 14 * DAY, half_life_days=14)
    assert (h.citizens, h.repeats, h.support) == (2, 1, 15)
    assert h.recency == pytest.approx(0.75)
    assert h.unresolved == pytest.approx(0.5)
    base = math.log2(3) + 0.5 * math.log2(2) + 0.5 * math.log2(16)
    assert h.value == pytest.approx(base * 0.75 * 1.25, abs=1e-4)


def test_unknown_citizens_count_each_and_unknown_resolution_is_neutral():
    its = [item(1, "a", citizen=""), item(2, "a", citizen="")]
    h = heat_index(its, now=T0)
    assert (h.citizens, h.repeats, h.unresolved) == (2, 0, None)
    assert h.value == pytest.approx(math.log2(3), abs=1e-4)


def test_recency_halves_towards_half():
    assert recency(T0, T0, 14) == 1.0
    assert recency(T0, T0 + 14 * DAY, 14) == pytest.approx(0.75)
    assert recency(T0, T0 + 1000 * DAY, 14) == pytest.approx(0.5, abs=1e-6)
    assert recency(T0 + DAY, T0, 14) == 1.0   # a future ticket is not "more than new"


def test_components_union_find():
    assert sorted(map(sorted, components(5, [(0.5, 0, 1), (0.4, 1, 2), (0.3, 3, 4)]))) == [[0, 1, 2], [3, 4]]


NOISE = ["小区门口路灯不亮", "公交车司机态度差", "医保报销比例咨询", "学校食堂饭菜太贵", "快递柜收费不合理",
         "公园厕所无人打扫", "出租车拒载乘客", "物业擅自涨价", "幼儿园学位紧张", "社保转移手续咨询"]


def sample():
    same = [item(1, "丽发新城小区附近搅拌站噪音扰民", 0, community=7),
            item(2, "丽发新城搅拌站夜间噪音扰民严重", 2, community=7),
            item(3, "投诉丽发新城附近搅拌站噪音污染", 5, community=7),
            item(4, "丽发新城搅拌站噪音扰民", 6, citizen="c1", community=7)]
    noise = [item(100 + i, t, i * 3, district=2 + i) for i, t in enumerate(NOISE)]
    return same, noise


def test_same_problem_and_place_is_one_hotspot_and_noise_is_none():
    same, noise = sample()
    problems = find_problems(same + noise, now=T0 + 6 * DAY)
    assert len(problems) == 1
    p = problems[0]
    assert sorted(it.id for it in p.items) == [1, 2, 3, 4]
    assert p.heat.citizens == 3 and p.heat.repeats == 1
    assert "丽发新城" in p.label and p.first_at == T0 and p.last_at == T0 + 6 * DAY


def test_time_window_splits_the_same_words_far_apart():
    same, _noise = sample()
    late = item(9, "丽发新城附近搅拌站噪音扰民", 200, community=7)
    problems = find_problems(same + [late], params=Params(window_days=30))
    assert [sorted(it.id for it in p.items) for p in problems] == [[1, 2, 3, 4]]


def test_another_district_needs_almost_the_same_words():
    a = item(1, "小区垃圾清运不及时臭味大", 0, district=1)
    b = item(2, "小区垃圾清运不及时蚊蝇多", 1, district=2)
    assert find_problems([a, b]) == []
    assert len(find_problems([a, item(3, "小区垃圾清运不及时蚊蝇多", 1, district=1)])) == 1


def test_a_lone_message_with_many_likes_is_a_problem():
    lone = item(1, "地铁站出入口设置不合理", support=500)
    few = item(2, "公交站台破损", support=3)
    problems = find_problems([lone, few], params=Params(min_support=20))
    assert [p.items[0].id for p in problems] == [1]


def test_hotter_first_and_top_limit():
    same, noise = sample()
    other = [item(50 + i, "万科魅力之城临街门面油烟直排扰民", i, community=8) for i in range(2)]
    problems = find_problems(same + other + noise, now=T0 + 6 * DAY)
    assert [p.size for p in problems] == [4, 2]
    assert problems[0].heat.value > problems[1].heat.value
    assert len(find_problems(same + other, params=Params(top=1))) == 1


def test_similarity_to_exemplars():
    sims = similarity_to(["丽发新城搅拌站噪音扰民"], ["丽发新城附近搅拌站噪音大", "医保报销比例咨询"])
    assert sims[0] > 0.3 and sims[1] < 0.05


def test_places_from_words():
    district, places = extract("A2区丽发新城小区附近搅拌站扰民", "位于万家丽南路的丽发新城小区")
    assert district == "A2区"
    assert places[0] in ("丽发新城", "丽发新城小区")
    assert "万家丽南路" in places
    assert place_key("万科魅力之城") == place_key("魅力之城")
    assert place_key("丽发新城小区") == place_key("丽发新城")


def test_the_page_states_the_formula_the_code_uses():
    from django.utils import translation

    from jiesu.hotspots.cluster import HEAT_FORMULA
    from jiesu.hotspots.views import heat_formula

    with translation.override("en"):
        assert heat_formula() == HEAT_FORMULA
