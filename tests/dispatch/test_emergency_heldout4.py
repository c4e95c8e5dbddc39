"""The seventh set (emergency_zh_heldout3.txt, Chinese), written before the rules were read or changed for it:
25 of 30 emergencies named right and 18 of 20 near misses skipped then (a stack of firewood 着了, a lift stuck
between floors, a head stuck in railings, a van that 撞上 a bus stop named as injuries, a button battery
swallowed; 吵得我不想活了 and a pet's bite in a dispute flagged). The rules were mended for those classes, so it is
held out no longer: it guards them, and the sentences below, other members of the classes, guard the classes
(docs/duplicates.md, section 1)."""
import pytest

from tests.dispatch.test_emergency_heldout3 import failures, first_line, read_set


def test_the_seventh_sets_emergencies_are_named_and_its_near_misses_skipped():
    sentences = read_set("emergency_zh_heldout3.txt")
    assert (len(sentences), failures(sentences)) == (50, ([], []))


CLASS_EMERGENCIES = [
    ("后院的草堆着了，火越来越大", "火情"),
    ("电梯停在十五楼和十六楼之间，我妈在里面", "有人被困"),
    ("小孩的手卡在电梯门缝里拿不出来", "有人被困"),
    ("一辆小货车撞进了路边的早餐店", "交通事故"),
    ("我儿子刚才吞了两颗磁力珠", "有人受伤或急病"),
    ("宝宝把干燥剂咽下去了", "有人受伤或急病"),
    ("他在电话里哭着说不想活了", "暴力或治安警情"),
]
CLASS_NEAR_MISSES = [
    "孩子每天十一点才睡着了，作业太多",
    "钥匙卡在锁里拔不出来，物业不管",
    "电梯经常卡在两层中间，请督促维保",
    "前两天这个路口有辆车撞上了护栏，希望加装防撞墩",
    "电池乱扔污染环境，小区没有回收点",
    "工资拖了半年，气得我都不想活了",
    "邻居的狗把我家猫咬伤了，要求赔偿医药费",
]


@pytest.mark.parametrize("text,what", CLASS_EMERGENCIES + [(text, None) for text in CLASS_NEAR_MISSES])
def test_another_member_of_a_mended_class_names_its_line_or_none(text, what):
    assert first_line(text) == what
