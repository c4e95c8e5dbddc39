"""The fifth English set (emergency_en_heldout3.txt) and the first Chinese one (emergency_zh_heldout.txt), written
before the rules were read for them: English 31 of 38 emergencies found and 32 of 36 near misses skipped then,
Chinese 24 of 38 and 34 of 35; the sixth set, Chinese only (emergency_zh_heldout2.txt), and audit 11's sentences of
its finding 18 (emergency_zh_audit11.txt), written before the rules were changed for them: 0 of 31 and 0 of 17
found, 20 of 20 and 2 of 2 skipped (docs/duplicates.md, section 1). The rules were mended for the classes behind
their failures, so they are held out no longer: they guard them, and the sentences below, other members of those
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


@pytest.mark.parametrize("name,size", [("emergency_en_heldout3.txt", 74), ("emergency_zh_heldout.txt", 73),
                                       ("emergency_zh_heldout2.txt", 51), ("emergency_zh_audit11.txt", 19)])
def test_the_sets_emergencies_are_found_and_their_near_misses_skipped(name, size):
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
    # a poison drunk or eaten, a medicine by the bottle, a wrist cut: 120
    ("我公公喝了一瓶敌敌畏", "有人受伤或急病"),
    ("有个小孩误喝了消毒液", "有人受伤或急病"),
    ("我表姐吞了半瓶安眠药", "有人受伤或急病"),
    ("他把一整瓶止痛药都吞了", "有人受伤或急病"),
    ("同事服药过量，现在叫不太醒", "有人受伤或急病"),
    ("宿舍有个女生割腕了", "有人受伤或急病"),
    # a weapon in a hand, a threat said, a suicide said: 110
    ("有人拿着西瓜刀在街上乱砍", "暴力或治安警情"),
    ("一个男的挥舞着匕首冲进了超市", "暴力或治安警情"),
    ("邻居拎着一桶汽油站在我家门口", "暴力或治安警情"),
    ("他在电话里说要砍死我", "暴力或治安警情"),
    ("我弟弟说要从桥上跳下去", "暴力或治安警情"),
    # a child taken or lost, an old person alone not seen for days: 110
    ("我儿子在游乐场不见了", "暴力或治安警情"),
    ("孙女被一个陌生女人抱走了", "暴力或治安警情"),
    ("对门独居的大爷三天没出门了", "暴力或治安警情"),
    # a cry for help: 110 alone, the other line's beside it
    ("隔壁有人喊救命", "暴力或治安警情"),
    ("快来人啊，救命", "暴力或治安警情"),
    ("楼道里着火了，救命啊", "火情"),
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
    # the sixth set's classes
    "喝农药的事是我爸十年前的事了，现在想问低保",
    "吃了安眠药也睡不着，楼上太吵",
    "超市卖的大米检出杀虫剂残留",
    "吃饭的时候拿刀叉不习惯",
    "小区门口磨剪子戗菜刀的喇叭太吵",
    "孩子的书包不见了，学校不管",
    "老人走丢的事已经找到了，谢谢",
    "这笔钱是我们的救命钱，请帮忙追回",
    "消防通道是救命通道，不能堵",
    "电视剧里的人喊救命太吵了",
    "他说要杀价，我不同意",
    "独居老人的补贴申请要什么材料",
]


@pytest.mark.parametrize("text,what", CLASS_EMERGENCIES)
def test_another_member_of_a_mended_class_names_its_line(text, what):
    assert first_line(text) == what


@pytest.mark.parametrize("text", CLASS_NEAR_MISSES)
def test_another_near_miss_of_a_mended_class_is_no_emergency(text):
    assert first_line(text) is None


def test_a_cry_for_help_beside_another_line_adds_no_police_line():
    assert duplicates.emergency_hint("河边有人落水了，救命啊").lines == (("有人受伤或急病", "120", "医疗急救"),)
