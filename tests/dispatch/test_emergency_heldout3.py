"""The fifth English set (emergency_en_heldout3.txt) and the first Chinese one (emergency_zh_heldout.txt), written
before the rules were read for them: English 31 of 38 emergencies found and 32 of 36 near misses skipped then,
Chinese 24 of 38 and 34 of 35 (docs/duplicates.md, section 1). The rules were mended for the classes behind their
failures, so they are held out no longer: they guard them, and the sentences below, other members of those
classes, guard the classes."""
from pathlib import Path

import pytest

from jiesu.dispatch import duplicates

HERE = Path(__file__).parent


def read_set(name):
    """[(expected line's `what` or "-", text)] of a set file."""
    return [line.split("\t", 1) for line in (HERE / name).read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def first_line(text):
    hint = duplicates.emergency_hint(text)
    return hint.lines[0][0] if hint else None


def failures(sentences):
    """(emergencies not named first, near misses flagged)."""
    named = {text: first_line(text) for _, text in sentences}
    return ([text for what, text in sentences if what != "-" and named[text] != what],
            [text for what, text in sentences if what == "-" and named[text] is not None])


@pytest.mark.parametrize("name,size", [("emergency_en_heldout3.txt", 74), ("emergency_zh_heldout.txt", 73)])
def test_the_fifth_sets_emergencies_are_found_and_their_near_misses_skipped(name, size):
    sentences = read_set(name)
    assert (len(sentences), failures(sentences)) == (size, ([], []))


#: Other members of the classes the sets failed on (not the sets' sentences).
CLASS_EMERGENCIES = [
    # a thing set alight, burning by itself
    ("someone set fire to the rubbish chute on the 9th floor", "火情"),
    ("the candle set the sofa ablaze and my aunt is still inside the flat", "火情"),
    ("停车场一辆电动车自燃了", "火情"),
    ("楼下垃圾桶燃起来了", "火情"),
    # a gas fitting leaking with words between, a gas pipe struck, every form of a smell
    ("厨房煤气罐好像在漏气", "燃气泄漏"),
    ("挖掘机把天然气管道挖断了", "燃气泄漏"),
    ("a digger cut the gas main outside number 8 and people are running", "燃气泄漏"),
    ("the gas pipe in the boiler room has burst", "燃气泄漏"),
    ("the landing was reeking of gas when i came home", "燃气泄漏"),
    # fallen in and unable to get out; locked in a car; pinned under something
    ("小孩掉进工地的坑里爬不出来", "有人被困"),
    ("a boy fell into the trench at the building site", "有人被困"),
    ("my dad slipped into the pit behind the garage and cant climb out", "有人被困"),
    ("宝宝被锁在车里了", "有人被困"),
    ("the baby is locked in the car and its 35 degrees outside", "有人被困"),
    ("广告牌倒下来压住了一个行人", "有人被困"),
    # a chemical plant's blast or fire: the chemicals line first
    ("化工园区那边发生爆炸了", "危险化学品泄漏或化工厂险情"),
    ("explosion at the chemical works near the port, black smoke everywhere", "危险化学品泄漏或化工厂险情"),
    ("the chemical factory by the river caught fire", "危险化学品泄漏或化工厂险情"),
    # hands on a spouse, a bag snatched, dragged into a car, a threat said
    ("隔壁男的在打他老婆", "暴力或治安警情"),
    ("有人骑摩托车抢走了她的项链", "暴力或治安警情"),
    ("两个男的把孩子拽进车里开走了", "暴力或治安警情"),
    ("他扬言今天要砍死我们全家", "暴力或治安警情"),
    # a car that hit someone described, a hospital as a place, minutes ago
    ("一辆小轿车把过马路的老人撞倒了", "交通事故"),
    ("a taxi ran over a woman in front of the hospital entrance", "交通事故"),
    ("a car hit a kid on a scooter five minutes ago at the school gate", "交通事故"),
    # a head broken, a fall one cannot get up from
    ("孩子从滑梯上摔下来头磕破了", "有人受伤或急病"),
    ("我奶奶在卫生间跌倒了站不起来", "有人受伤或急病"),
]
CLASS_NEAR_MISSES = [
    "this new band will set the world on fire",
    "自燃气改造以后水压一直不稳",
    "燃气罐没有漏气，只是阀门有点松",
    "燃气管道破损的问题已经修好了",
    "my phone fell into the drain on 5th street",
    "my keys are locked in the car, can you send a locksmith",
    "钥匙被锁在车里了，找开锁师傅",
    "领导压着不办，申请一直被人卡住",
    "the boy who was stuck in the lift was rescued by the fire brigade",
    "困在下水道的小猫已经被邻居救出来了",
    "after the car accident i was in hospital for two weeks",
    "the chemical plant is holding a fire drill on saturday",
    "化工厂没有爆炸，只是在检修放气",
    "parking at the airport is highway robbery",
    "这停车费简直是抢劫",
    "手机被抢购一空",
    "the police already dealt with the break in, we just need the door fixed",
    "昨天小区有人打架，民警已经处理了",
    "that junction is a crash waiting to happen",
    "这个路口迟早出车祸",
    "黑车司机把人拉上车就乱要价",
    "帮我打他老婆的电话",
]


@pytest.mark.parametrize("text,what", CLASS_EMERGENCIES)
def test_another_member_of_a_mended_class_names_its_line(text, what):
    assert first_line(text) == what


@pytest.mark.parametrize("text", CLASS_NEAR_MISSES)
def test_another_near_miss_of_a_mended_class_is_no_emergency(text):
    assert first_line(text) is None
