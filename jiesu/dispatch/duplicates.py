"""Duplicates at intake: the same problem already open, the same caller again, emergencies.

Three checks run while the call-taker types (the HTMX panel of the intake page,
jiesu.dispatch.duplicate_views); docs/duplicates.md explains them.

1. `emergency_hint(text)` — wording that belongs to an emergency line
   (110 police, 119 fire and gas, 120 ambulance, 122 traffic accidents),
   with the near misses that do not (消防通道被占, 火灾隐患, 燃气费, 跳楼价…).
   Pure.
2. Similar open tickets — `DuplicateIndex` (pure: numpy/scipy) holds the open
   tickets of the last `WINDOW_DAYS` days as character-bigram TF-IDF vectors
   (hashed, L2-normalised) and scores a draft against all of them with one
   sparse product; the text similarity (cosine) is then combined with the place
   (same grid/community/street, or the distance when both have coordinates)
   and the age into one stated score. `OpenTicketIndex` keeps one index per
   process and refreshes it incrementally from the ticket and event tables
   (only rows newer than the last look); the database has the last word on
   every candidate shown (still open, visible to the user).
3. Repeat requests (条例 Art.11 class 3) — the same phone number within
   `REPEAT_DAYS` days about the same problem (text and place), from the
   database.

After the ticket is recorded, `after_intake` does what the call-taker chose
on the form: propose the merge into an open ticket (a `duplicate_proposed`
event; the dispatcher merges — call-takers may not, see docs/lifecycle.md),
or close the new ticket at once as 分类处置 (repeat / emergency) through
services.close_special. A proposal counts while it can be carried out
(`proposals`, `Proposal.fate`: worked out when read, nothing is recorded
when it lapses); a ticket already proposed is not offered again beside the
ticket it is proposed into (`ticket_duplicates`).

The pure part (emergency_hint, features, DuplicateIndex, place_factor, score)
imports nothing from Django.
"""
from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import sparse

from jiesu.core.id_cursor import Cursor, advance
from jiesu.dispatch import emergency_en

# ── tuning (docs/duplicates.md says why) ────────────────────────────────────

WINDOW_DAYS = 30            # only open tickets recorded in the last N days are indexed
REPEAT_DAYS = 30            # a repeat request: the same phone number within N days
N_BITS = 21                 # hashed feature space: 2**21 columns
MAX_CHARS = 300             # the first N characters of title + text are indexed (the gist comes first)
W_TEXT, W_PLACE, W_RECENT = 0.6, 0.3, 0.1
MIN_TEXT = 0.15             # below this text similarity (of a known place: its place words left out) never offered
MIN_TEXT_PLAIN = 0.2        # the same, while the index is too small for IDF (docs/duplicates.md: how measured)
MIN_SCORE = 0.3             # nor below this combined score
ELSEWHERE_MIN_TEXT = 0.8    # a ticket known to be elsewhere (other street, > FAR_M): only (almost) the same words
NEAR_M = 300                # within this distance, coordinates count as the same place (fading to 0.6)
FAR_M = 1500                # farther apart than this, the same street does not make it the same place
HALF_LIFE_DAYS = 3.0        # recency: 1 now, 0.5 after 3 days, 0.25 after 6
REPEAT_MIN_TEXT = 0.35      # same caller + this similar + same place → a repeat request
REPEAT_MIN_TEXT_NO_PLACE = 0.35  # the same phone is the evidence; the place is unknown, not another
PLACE_UNKNOWN = 0.4         # place factor when either side has no place
UNKNOWN_PLACE_MIN_TEXT = 0.35  # without a place on either side, only this alike is offered (generic words are not)
MIN_IDF_DOCS = 1000         # below this many tickets the IDF says nothing yet: words weigh by frequency only
PROBLEM_HEAD = 40           # the common problems (PROBLEMS) are looked for in the first N characters of what is said
PROBLEM_COUNT = 3           # a problem named weighs as a bigram seen this often (docs/duplicates.md: how measured)
EMERGENCY_HEAD = 120        # emergency wording is looked for in the first N characters (docs/duplicates.md)

PLACE_LABELS = {
    "grid": "同网格", "community": "同社区", "point": "相距 {d} 米", "street": "同街道",
    "district": "同区", "unknown": "地点未知", "elsewhere": "不同地点",
}

# ── 1. emergency wording ────────────────────────────────────────────────────


class EmergencyHint(NamedTuple):
    number: str   # 110 / 119 / 120 / 122
    label: str    # what to tell the call-taker, in Chinese
    lines: tuple = ()  # ((what, number, line), …) the label's parts, first the line to transfer to: for other
    #                    languages (dispatch.wording.emergency_words)


@dataclass(frozen=True)
class _Rule:
    """One line's wording (docs/duplicates.md, section 1).

    `words` are strong: they tell an event (着火, 晕倒, 车祸); so do `spans`, the same as regular expressions for
    what a few characters may part (燃气管子好像漏气, 车把骑电动车的撞了). `weak` words may as well tell a nuisance
    or a story (冒烟, 受伤, 呼吸困难). Anywhere in the same sentence, a `clause` word blocks every word (a hazard, a
    statistic, a film or a game, a claim: 火灾隐患, 游戏中毒, 车祸理赔), a `context` word only the weak ones
    (烧烤摊冒烟, 医院里受伤, 污染导致呼吸困难), unless the sentence is urgent (URGENT: 有人受伤了，赶紧送医院).
    """
    number: str
    what: str
    line: str
    words: tuple             # strong: an event
    weak: tuple = ()         # weak: an event, a nuisance or a story
    spans: tuple = ()        # strong, as regular expressions: words a few characters apart (燃气管子好像漏气)
    after: tuple = ()        # right after the word, these make it something else (跳楼价, 燃气泄漏报警器, 触电危险)
    clause: tuple = ()       # anywhere in the same sentence, these block every word
    context: tuple = ()      # anywhere in the same sentence, these block the weak words (unless URGENT)
    past_counts: bool = False  # a past event still belongs to this line (assault is a police case)


SERVICES = {"110": "公安报警", "119": "消防救援", "120": "医疗急救", "122": "交通事故报警"}
#: Hazards, statistics, inspections and what goes on for long: no emergency.
_HAZARD = ("隐患", "风险", "多发", "频发", "易发", "容易", "经常", "多起", "预防", "防范", "演练", "宣传", "培训",
           "检查", "排查", "年检", "老化", "报警器", "探测器", "调查", "原因",
           "整天", "天天", "每天", "长期", "常年", "多年", "时常")
#: Films, games, the news: a story told, not lived (游戏中毒, 新闻里的爆炸).
_MEDIA = ("游戏", "电影", "电视剧", "电视台", "新闻", "小说", "广告里", "广告中", "广告上", "广告片", "广告词", "做广告",
          "打广告", "的广告")  # not 广告牌: a billboard that falls
#: Money matters after the event: a claim, not a call for help (车祸住院想问医保能报销多少).
_CLAIMS = ("保险", "理赔", "赔偿", "索赔", "鉴定", "认定", "报销", "医保", "医药费", "住院费", "工伤")
#: Right after a word (but the police's), a hazard or a question: 触电危险, 有爆炸的危险, 充电着火了怎么办.
_DANGER = ("危险", "的危险", "怎么办", "了怎么办", "该怎么办", "了该怎么办")


def _gap(most):
    """Up to `most` characters within a sentence's clause, between a span's words: a negation there denies the
    span (燃气罐没有漏气; `_hits`)."""
    return f"(?P<gap>[^，,。]{{0,{most}}}?)"


def _either(words):
    return "(?:" + "|".join(words) + ")"


def _led_by(heads, rest):
    """One span per head word: a span that opens with a literal keeps the rules' one pattern of words and spans
    quick (`_ANY_WORD`: Python's re skips to the characters a pattern can open with only when every alternative
    opens with a literal; one opening with a group made a message's check 114 → 163 µs)."""
    return tuple(head + rest for head in heads)


#: People, in the spans below (人被反锁在车里, 把孩子砸伤了).
_PEOPLE = ("人", "老人", "孩子", "小孩", "宝宝", "婴儿", "工人", "行人", "路人", "学生", "女孩", "男孩", "女儿", "儿子",
           "她", "他")
#: A body's part stuck (头卡在栏杆里拔不出来), looked behind 卡.
_STUCK_PARTS = ("头", "脑袋", "手", "脚", "腿", "胳膊", "手指", "脚趾")
#: What a child swallows that is an emergency in any amount (吞了一颗纽扣电池, 把磁铁吞下去了).
_SWALLOWED = ("纽扣电池", "电池", "磁铁", "磁珠", "磁力珠", "硬币", "钉子", "别针", "刀片", "干燥剂", "洗衣凝珠")
#: Who is pinned under a fallen wall (no pronoun: 压住他 is pressure).
_PINNED = ("人", "工人", "孩子", "小孩", "老人", "行人", "路人")
#: Whom a stranger drags into a car (not 人: a driver's fare is 把人拉上车).
_TAKEN = ("她", "他", "孩子", "小孩", "女儿", "儿子", "女孩", "男孩", "学生", "老人")
_GAS = ("燃气", "煤气", "天然气", "液化气")
_GAS_PIPES = ("管子", "管道", "管线", "软管", "管")
_GAS_PARTS = _GAS_PIPES + ("罐", "瓶", "灶", "阀门", "阀", "表", "热水器")
_LOOT = ("包", "手机", "钱包", "项链", "金项链", "挎包", "背包", "手提包", "耳环", "金链子")
_CHEMICAL_SITES = ("化工厂", "化工园区", "化工企业", "危化品仓库", "加油站")
#: A police matter already handled is a past case the police have (昨天打架，警察已经来处理了): no transfer.
_HANDLED = ("警察已经", "民警已经", "派出所已经", "警方已经", "已经处理")
#: A missing person found again (小孩走丢了，已经找到了): no transfer.
_FOUND_AGAIN = ("已经找到", "已找到", "找到了", "找回来了")
#: Poisons someone drinks or eats (喝了农药, 吃了老鼠药): any amount is an emergency.
_POISONS = ("农药", "敌敌畏", "百草枯", "老鼠药", "耗子药", "鼠药", "毒鼠强", "除草剂", "杀虫剂", "毒药", "消毒液",
            "洁厕灵", "84消毒液")
#: A medicine's overdose is its amount (吃了一整瓶安眠药, 吞了一大把药片; not 吃了安眠药也睡不着).
_DOSES = ("一整瓶", "整瓶", "一瓶", "半瓶", "大半瓶", "一大把", "一把", "一整盒", "整盒", "一盒", "几十片", "好几十片")
_SWALLOW = ("喝", "吃", "吞", "服")
#: A weapon in a hand (拿着斧头, 拎着菜刀, 提着一桶汽油); not a tool (锤子, 剪刀: 拿剪刀剪头发). 提, 举, 握, 揣 and 挥
#: only with 着, 持 only as 手持: 提出, 举报, 支持, 发挥 are in most letters, and a span's head is tried at each of them.
_HOLDS = ("拿", "提着", "举着", "挥舞", "挥着", "抡", "拎", "握着", "手持", "揣着")
_WEAPONS = ("斧头", "斧子", "菜刀", "砍刀", "长刀", "尖刀", "匕首", "水果刀", "西瓜刀", "刀", "铁棍", "木棍", "棍棒",
            "棒球棍", "汽油", "硫酸", "枪")
#: Whom a threat said names (说要杀了我; not 你: 游戏里说要杀了你, a quarrel's 我要杀了你).
_THREATENED = ("我", "孩子", "全家")
#: Who goes missing (孩子走丢了, 孙子在公园不见了, 老人走失); a thing of theirs (的) is not them: 孩子的书包不见了.
_MISSING = ("孩子", "小孩", "儿子", "女儿", "宝宝", "闺女", "孙子", "孙女", "外孙", "老人")
RULES = (
    _Rule("119", "危险化学品泄漏或化工厂险情", "消防救援", tuple(
        f"{what}{leak}" for what in ("化学品", "危化品", "危险品", "有毒气体", "毒气", "氨气", "氯气", "液氨", "硫酸",
                                     "盐酸", "农药")
        for leak in ("泄漏", "泄露", "外泄", "罐车侧翻")) + tuple(
        f"{plant}{smoke}" for plant in _CHEMICAL_SITES
        for smoke in ("冒浓烟", "冒黑烟", "冒烟", "冒出浓烟", "冒出黑烟", "浓烟滚滚")),
        spans=_led_by(_CHEMICAL_SITES, _gap(6) + "(?:爆炸|着火|起火|失火|烧起来)"),  # before 火情: the plant's line
        after=("检测", "报警器", "探测器", "保险", "应急预案") + _DANGER,
        clause=_HAZARD + _MEDIA + _CLAIMS + ("应急预案", "演习")),  # 毒气 alone: a word for pollution (毒气熏天)
    _Rule("119", "火情", "消防救援", (
        "着火", "起火", "失火", "烧起来", "火势", "爆炸", "纵火", "放火", "点着了",
        "冒火花", "冒火星", "打火花", "冒电火花", "电线打火", "电线冒火", "高压线掉", "高压线断",  # a live wire
        "自燃", "燃起来", "烧着了", "着起来了",
        "垛着了", "柴火着了", "柴堆着了", "草堆着了", "房子着了", "屋子着了", "棚子着了", "仓库着了"),  # not 睡着了
        weak=("火灾", "冒烟", "冒黑烟", "浓烟", "明火"),
        after=("险", "扰", "性", "等级", "报警器", "自动报警", "后") + _DANGER,
        clause=_HAZARD + _MEDIA + _CLAIMS + ("消防通道", "比赛"),
        context=("油烟", "烟囱", "烧烤", "吸烟", "抽烟", "排烟", "扰民", "锅炉", "烟道", "炒菜", "做饭", "电视",
                 "污染", "排放", "环保", "空气", "焚烧", "烧垃圾", "秸秆", "厂")),
    _Rule("119", "燃气泄漏", "消防救援（并通知燃气抢修 96777）", (
        "燃气泄漏", "燃气泄露", "煤气泄漏", "煤气泄露", "天然气泄漏", "天然气泄露", "燃气味", "煤气味",
        "天然气味", "燃气的味道", "煤气的味道", "天然气的味道", "燃气漏气", "煤气漏气", "天然气漏气", "液化气漏气",
        "气罐漏气", "燃气管漏气", "燃气管道漏气", "煤气管道漏气", "天然气管道漏气", "燃气表漏气", "闻到燃气",
        "闻到煤气", "闻到天然气", "液化气泄漏", "液化气泄露", "燃气报警器响", "燃气报警器一直响", "燃气报警器在响",
        "煤气报警器响", "天然气报警器响", "燃气报警器一直在响", "燃气漏了", "煤气漏了", "天然气漏了", "液化气漏了"),
        spans=_led_by(_GAS, _either(_GAS_PARTS) + _gap(6) + "(?:漏气|泄漏|泄露|漏了|嘶嘶)") + _led_by(
            _GAS, _either(_GAS_PIPES) + "被?(?:挖|撞|砸|弄|钻|割|压)?(?:破了|断了|爆了|裂了|破裂|断裂|爆裂|挖破|挖断)"),
        after=("报警器", "探测器", "检测", "保险") + _DANGER,
        clause=tuple(w for w in _HAZARD if w != "报警器") + _MEDIA + _CLAIMS + (
            "修好", "维修费", "退费", "收费")),  # 燃气泄漏报警器: `after`; 咨询 is no block: a leak asked about leaks
    _Rule("119", "有人被困", "消防救援", (
        "困在电梯", "电梯困人", "困在里面", "掉进下水井", "掉进井里", "掉到井里", "掉进窨井", "掉进化粪池",
        "掉进污水井", "掉进雨水井", "电梯坠落", "电梯下坠", "电梯突然坠落", "电梯突然下坠", "卡在电梯里",
        "电梯里出不来", "人出不来", "人被埋", "孩子被埋", "被埋在废墟", "停在两层中间", "停在两层之间",
        "被关在电梯", "关在电梯里", "人被关在里面", "爬不上来", "爬不出来"),
        spans=_led_by(_PEOPLE, "被?(?:反锁|锁|关|困)在" + _gap(4) + "车(?:里|内)")  # a child locked in a car
        + ("电梯(?:卡|停|悬)在" + _gap(8) + "(?:中间|之间|半空)",  # 电梯卡在7楼和8楼中间
           "卡" + _either(f"(?<={part}卡)" for part in _STUCK_PARTS) + "(?:在|进)" + _gap(10)
           + "(?:拔不出来|出不来|拿不出来|取不出来|抽不出来)")  # 孩子的头卡在栏杆里拔不出来 (not 钥匙卡在锁里)
        # a person pinned (not 压着他: a boss's pressure; not 人卡住的: an office's hold-up)
        + _led_by(("压住", "埋住", "压在", "埋在"), "了?(?:一个|一名|两个|几个)?" + _either(_PINNED))
        + _led_by(_PINNED, "被?(?:压|埋)(?:在|住)"),
        weak=("被困", "电梯卡住", "电梯突然停"),
        after=("扰", "惑", "难", "境", "局") + _DANGER,
        clause=_HAZARD + _MEDIA + ("井盖", "疫情", "封控", "隔离", "封城", "管控", "好几次", "多次", "检修", "维修",
                                   "维保", "报修"),
        context=("问题", "电视")),
    _Rule("110", "暴力或治安警情", "公安报警", (
        "打人", "殴打", "斗殴", "打架", "群殴", "持刀", "拿刀", "拿着刀", "提着刀", "举着刀", "砍人", "捅人",
        "拿枪", "拿着枪", "举着枪",
        "捅了人", "捅伤", "砍伤", "行凶", "家暴", "家庭暴力", "抢劫", "抢夺", "绑架", "劫持", "杀人", "强奸",
        "性侵", "猥亵", "持枪", "开枪", "入室盗窃", "跳楼", "要往下跳", "要跳下去", "轻生", "自杀", "要跳河",
        "威胁要杀", "打我", "被人打", "我被打了", "孩子被打了", "被打伤", "被打得", "被打成", "被同学打", "被保安打",
        "被城管打", "被邻居打", "被老公打", "被丈夫打", "被人砍", "被人捅", "抢包", "人打起来了") + tuple(
        f"{who}{took}" for who in ("被陌生人", "陌生人", "被人") for took in ("抱走", "抢走", "拐走", "拖走", "拽走", "掳走")
    ) + ("被陌生人带走", "被陌生人拉走", "陌生人带走", "被拐", "强行抱走", "强行拉上车", "强行拽上车", "强行拖上车",
         "强行塞进车", "把孩子拉上车", "把孩子拽上车", "把孩子塞进车",  # not 拽上车: a taxi tout's
         # a thief here now (被偷了, told afterwards, is none)
         "进小偷", "进了小偷", "进贼", "进了贼", "小偷还在", "小偷正在", "正在偷", "有人在偷", "抓小偷",
         "被人贩子", "人贩子抱走", "人贩子拐", "泼汽油", "浇汽油", "泼了汽油", "浇了汽油", "同归于尽",
         "活着没意思"),  # a suicide said (轻生, 自杀 above; 不想活了 in the spans)
        spans=("打(?:他|她|我|自己)?的?(?:老婆|媳妇|妻子|老公|丈夫|女朋友|男朋友|女友|老人|父母|老母亲|老父亲)",  # 在打他老婆
               # not as a degree: 吵得我不想活了, 累得都不想活了
               "不想活了" + "".join(f"(?<!{degree}不想活了)" for degree in ("得", "得我", "得人", "得都", "得我都")),
               "抢(?:了|走了?)(?:我|她|他|老人|孩子)?的?" + _either(_LOOT),  # a bag snatched
               "把" + _either(_TAKEN) + "(?:强行)?(?:拉|拽|拖|塞|抱|推)(?:上|进)" + _gap(3) + "车")
        + _led_by(_LOOT, "被(?:人|小偷|歹徒)?抢(?!购|光|完|空|先)")
        + _led_by(("威胁", "扬言"), _gap(12) + "(?:杀|砍|捅|弄死|打死)")  # a threat said (not 我要杀了你)
        # 说要杀了我: opened by the verb, 要 looked behind (a span opened by 要 was tried at every 要求)
        + tuple(f"{kill}(?<=要{kill})(?:了|死)?" + _either(_THREATENED)
                for kill in ("杀", "砍", "捅", "弄死", "打死", "整死", "烧死"))
        + _led_by(_HOLDS, "(?:着|了)?(?:一把|一桶|一瓶|一根|把|桶|根)?" + _either(_WEAPONS))
        + _led_by(("要从", "想从", "准备从"), _gap(8) + "(?:跳下去|跳下来|往下跳)")
        + _led_by(_MISSING, "(?P<gap>[^，,。的]{0,6}?)(?:走丢|走失|失踪|不见了|找不到了|找不着了|没回家|被拐|被"
                            "(?:一个|两个|几个)?(?:陌生)?(?:男的|女的|男人|女人|人贩子|人)?(?:抱走|抢走|拐走|掳走))")
        # someone with dementia gone out and not back (我妈有老年痴呆，早上出门到现在都没回来)
        + _led_by(("老年痴呆", "痴呆", "阿尔茨海默"), "(?P<gap>[^。]{0,14}?)(?:没回来|没回家|走丢|走失|不见了|找不到)")
        # an old person alone not seen for days (独居老人好几天没开门了; a smell from the flat)
        + _led_by(("独居", "一个人住", "独自居住", "独自生活"), "(?P<gap>[^，,。]{0,12}?)(?:(?:好几天|几天|多天|两天|"
                  "三天|一周|一个星期|一星期)(?:了|都|也)?(?:没开门|没出门|没出来|没见|没露面|没动静|联系不上|没人开门|"
                  "没人应|不接电话)|臭味|尸臭)"),
        weak=("打起来了",),
        context=("价格", "战", "官司", "比赛", "游戏", "口水"),
        after=("价", "工", "式", "子", "甩卖", "机", "生源", "市场", "客源", "电话", "手机", "的电话", "的手机",
               "叉"),  # 拿刀叉 (a cutlery's, not 拿刀具…来报复)
        clause=("预防", "防范", "宣传", "培训", "讲座", "咨询", "起诉", "离婚", "法律援助") + _MEDIA + _HANDLED
        + _FOUND_AGAIN,
        past_counts=True),
    _Rule("122", "交通事故", "交通事故报警", (
        "车祸", "撞车", "追尾", "相撞", "翻车", "被车撞", "车撞了", "车撞倒", "车撞伤", "车撞死", "被撞倒", "被撞伤",
        "被撞了", "被撞死", "撞在一起", "撞到一起", "肇事逃逸", "肇事司机跑", "被碾压", "碾压了", "碾压到", "轧到人",
        "车撞上", "车撞进", "车撞到", "车冲进", "车冲上人行道") + tuple(
        f"车把{who}撞" for who in ("我", "人", "他", "她", "孩子", "老人")),  # 车把我撞了 as 被车撞了 (a car hit me)
        spans=("车把" + _gap(8) + "(?:撞|轧|碾)(?:了|倒|伤|死|飞)",),  # 货车把骑电动车的撞了
        weak=("交通事故", "撞人", "撞伤", "轧伤"),
        after=("认定", "责任", "理赔", "处理结果", "多发", "频发", "隐患", "保险", "式", "后") + _DANGER,
        clause=_HAZARD + _MEDIA + _CLAIMS + ("建议", "住院"),
        context=("红绿灯", "信号灯", "减速带")),
    _Rule("120", "有人受伤或急病", "医疗急救", (
        "晕倒", "昏倒", "晕过去", "昏过去", "叫不醒", "休克", "抽搐", "心脏病发", "心脏病犯", "不省人事",
        "没有呼吸", "失去意识", "没有意识了", "没意识了", "喘不上气", "触电", "溺水", "落水", "掉进河里", "掉进水里",
        "掉进湖里", "掉河里", "叫救护车", "需要救护车", "叫急救车", "流了很多血", "流了好多血", "满身是血",
        "满头是血", "满脸是血", "头破血流", "血流不止", "摔倒了起不来", "倒地不起", "一动不动", "人倒在地上",
        "砸到人", "把人砸", "人口吐白沫", "孩子口吐白沫", "倒地口吐白沫", "口吐白沫倒地", "突然口吐白沫",
        "头破了", "砸破了头", "头被砸破", "头被打破", "头磕破了", "头摔破了", "头流血", "头上流血", "头在流血",
        "头一直流血", "人躺在地上", "倒在血泊", "躺在马路上",
        "服毒", "服药过量", "药物过量", "吃药过量", "安眠药吃多了", "割腕", "割手腕", "割破手腕", "手腕割破"),
        spans=_led_by(("摔倒", "跌倒", "摔", "跌", "倒地", "倒在地上"), _gap(4) + "(?:起不来|爬不起来|站不起来)")
        + ("把" + _either(_PEOPLE) + "砸(?:了|伤|倒|中|到)",
           "把" + _either(_DOSES) + "[^，,。]{0,4}?药[^，,。]{0,2}?(?:吃|吞|喝)(?:了|下|光)")  # 把一瓶降压药全吃了
        + _led_by(_SWALLOW, "(?:了|下)?" + _either(_DOSES) + "?" + _either(_POISONS))  # 喝了农药, 吃了半瓶老鼠药
        + _led_by(_SWALLOW, "(?:了|下)?" + _either(_DOSES) + "[^，,。]{0,4}?药")  # 吞了一整瓶安眠药
        + _led_by(("吞", "咽"), "(?:了|下|进)?去?(?:一颗|一个|一枚|一块|几颗|两颗|好几颗)?" + _either(_SWALLOWED))
        + _led_by(_SWALLOWED, "[^，,。]{0,3}?(?:吞|咽)(?:下去|下|进去|进|了)"),  # 把一颗纽扣电池吞下去了
        weak=("昏迷", "受伤", "流血", "出血", "中毒", "摔伤", "骨折", "烫伤", "烧伤", "呼吸困难", "喘不过气", "心梗",
              "脑梗", "中风", "咬伤", "被狗咬了", "砸伤", "压到人", "急救", "摔下来", "楼掉下来", "楼摔下来", "楼上掉下来",
              "楼上摔下来", "坠楼", "误吃了药", "误服", "吃错了药", "吃错药"),
        after=("害", "费", "站", "中心", "知识", "培训", "保险", "赔偿", "鉴定", "管", "险", "流汗", "后", "患者", "指挥",
               "车", "药", "的药", "残留") + _DANGER,  # 心梗的药: a medicine; 吃了农药残留超标的菜
        clause=_HAZARD + _MEDIA + _CLAIMS + ("咨询", "后遗症", "收费", "未造成", "没有造成", "无人员伤亡", "无伤亡",
                                             "没有伤亡", "事件", "治愈", "疗效", "康复", "排放"),
        context=("医院", "医生", "患者", "病人", "手术", "医疗", "住院", "污染", "空气", "臭", "熏", "异味", "气味",
                 "粉尘", "废气", "很多", "多位", "多名", "不少", "墙皮", "瓷砖", "花盆", "坠物", "抛物", "压力",
                 "赔", "狗被", "猫被", "宠物")),  # 我家狗被咬伤了，对方不肯赔: a pet's, a dispute
)
#: A cry for help (邻居家小孩一直哭喊救命, …，救命) with nothing else named is the police's; beside another line's
#: words it only says that line is urgent (URGENT). Not 救命 in a letter's words: 救命钱, 救命通道, 无钱救命, 请救命;
#: nor 呼救, a story's word (同伴随即呼救).
_CRY_FOR_HELP = _Rule("110", "暴力或治安警情", "公安报警", ("喊救命", "叫救命", "喊着救命", "救命啊", "救命呀"),
                      spans=("救命$",), clause=_MEDIA + ("钱", "工资", "通道"))
_ALL_RULES = RULES + (_CRY_FOR_HELP,)
#: The rules by their `what`: the English wording's lines (emergency_en) are these rules'.
_RULE_NAMED = {rule.what: rule for rule in RULES}
#: Which line is named first when several fire: 119 before 110 before 122 before 120, and within a number the rules'
#: order (a chemical plant's fire is the chemicals line's, whether its Chinese or its English words found it).
_LINE_ORDER = {rule: ({"119": 0, "110": 1, "122": 2, "120": 3}[rule.number], i) for i, rule in enumerate(_ALL_RULES)}
#: Any word of a rule, to pass over at once the many sentences that hold none (most).
_ANY_WORD = {rule: re.compile("|".join((*map(re.escape, rule.words + rule.weak),
                                         *(span.replace("(?P<gap>", "(?:") for span in rule.spans))))
             for rule in _ALL_RULES}
_SPANS = {rule: tuple(map(re.compile, rule.spans)) for rule in _ALL_RULES}
#: A word right after one of these is denied, feared, hypothetical or a near miss (没有着火, 担心燃气泄漏, 以免起火,
#: 防溺水, 差点被车撞), also with TRANSPARENT words between (万一发生火灾, 注意不要再摔伤).
NEGATIONS = ("没有人", "没有", "没人", "没", "未有人", "未", "无人", "无", "不是", "并非", "不会", "不要", "不", "别",
             "防止", "以免", "避免", "担心", "怕", "害怕", "预防", "谨防", "防范", "防", "杜绝", "易", "容易", "会",
             "一旦", "万一", "如果", "若", "假如", "很", "注意", "小心", "差点", "差点儿", "差一点", "险些", "迟早",
             "早晚")
TRANSPARENT = ("发生", "出现", "造成", "引发", "引起", "导致", "再次", "再", "又", "被", "出", "要")
#: Words that hold a rule's word but mean something else: 年轻生命 is not 轻生.
COMPOUNDS = ("年轻生", "自燃油", "自燃气", "自燃料", "简直是抢劫", "简直就是抢劫", "和抢劫一样", "跟抢劫一样", "无异于抢劫", "等于抢劫",
             "救命钱", "救命药", "救命稻草", "救命恩人", "救命之恩", "请救命")
#: A past event (昨天车祸, 上周摔伤) is no longer an emergency, except for the police (an assault is a case). A
#: sentence that opens with one of these or a date (below) opens a past story: the sentences after it are past
#: too, until one says now (PRESENT).
PAST = ("昨天", "前天", "昨晚", "上周", "上星期", "上个月", "上月", "去年", "前年", "前几天", "前些天", "前两天",
        "前段时间", "前阵子", "前一阵", "之前", "以前", "曾经", "年前", "月前", "天前", "周前", "当时", "那次", "上次",
        "至今")
#: A date (2019年, 7月17日) that opens a sentence (it starts within the first DATE_HEAD characters: 2019年…,
#: 我于2019年…) opens a past story; further in it dates only its own phrase (…医院于2018年7月11日发生火灾, while
#: 我家住在2015年建成的小区，楼道里燃气味很大 is now).
_DATE = re.compile(r"\d{4}年|\d{1,2}月\d{1,2}[日号]")
_DATED_PHRASE = re.compile(r"[^，,、：:]*(?:\d{4}年|\d{1,2}月\d{1,2}[日号])[^，,、：:]*")
DATE_HEAD = 4
#: Now: a sentence saying so ends a past story.
PRESENT = ("现在", "刚才", "刚刚", "正在", "此刻", "今天", "今晚", "今早", "马上", "赶紧", "快来", "紧急")
#: Urgency: a sentence saying so lets the weak words count among context words (有人受伤了，赶紧送医院). Not the
#: whole of PRESENT: 现在, 今天, 刚刚 are also a letter's words (宝宝刚刚出生几天在医院洗澡时被烫伤).
URGENT = ("赶紧", "快来", "快叫", "快送", "快救", "救命", "速来")
_CLAUSES = re.compile(r"[。！？!?；;\n]+")


def _normal(text):
    """NFKC, white space out; a line break (between the title and the text) stays: it ends a sentence."""
    return re.sub(r"[^\S\n]+", "", unicodedata.normalize("NFKC", text or "").replace("\r", "\n"))


def _in_the_past(clause, story):
    """(whether a sentence tells a past event, whether the letter goes on telling a past story).

    A sentence is past when it says so (PAST), when it opens with a date or a PAST word (within DATE_HEAD
    characters: that opens a story), or when a story is being told and it does not say now (PRESENT)."""
    now = any(p in clause for p in PRESENT)
    date = _DATE.search(clause, 0, DATE_HEAD + 8)
    opens = bool(date and date.start() < DATE_HEAD) or any(0 <= clause.find(p) < DATE_HEAD for p in PAST)
    story = opens or (story and not now)
    return story or any(p in clause for p in PAST), story


def _denied(before):
    """Whether the characters before a word deny it or make it hypothetical (NEGATIONS), TRANSPARENT words
    between them left out."""
    stripped = True
    while stripped:
        stripped = False
        for word in TRANSPARENT:
            if before.endswith(word):
                before, stripped = before[:-len(word)], True
    return any(before.endswith(n) for n in NEGATIONS)


def _hits(rule, clause, past=False, live=None):
    """Whether `rule` fires in one sentence: a word or a span that is not denied (a span neither by a negation in
    its gap), not blocked (clause; context for the weak words unless the sentence is urgent), nor over (`past`;
    `live`: the sentence without its dated phrases, where the words are looked for unless the rule counts past
    events)."""
    if past and not rule.past_counts:
        return False
    if not _ANY_WORD[rule].search(clause if live is None or rule.past_counts else live):
        return False
    if any(c in clause for c in rule.clause):
        return False
    words = rule.words
    if rule.weak and (not any(c in clause for c in rule.context) or any(u in clause for u in URGENT)):
        words = words + rule.weak
    if live is not None and not rule.past_counts:
        clause = live
    for word in words:
        start = clause.find(word)
        while start >= 0:
            if _counts(rule, clause, word, start):
                return True
            start = clause.find(word, start + 1)
    return any(_counts(rule, clause, found.group(), found.start())
               and not any(n in (found.groupdict().get("gap") or "") for n in NEGATIONS)
               for span in _SPANS[rule] for found in span.finditer(clause))


def _counts(rule, clause, word, start):
    """Whether `word` (or a span's text), found at `start`, tells the event: not denied, not made something else by
    what follows it (rule.after) nor part of a longer word (COMPOUNDS)."""
    before, after = clause[max(0, start - 8):start], clause[start + len(word):]
    other = any(after.startswith(a) for a in rule.after) or any(
        word in c and start >= c.index(word) and clause.startswith(c, start - c.index(word)) for c in COMPOUNDS)
    return not other and not _denied(before)


def _vetoed_in_chinese(what, sentence, start, weak):
    """Whether the Chinese words of a mixed sentence block the English phrase found at `start` as they would block
    a Chinese word: a clause word, a context word (a weak phrase, unless urgent), the past (but for the police), a
    negation right before it (上周有个car accident，想问保险怎么报; 没有 car accident)."""
    rule = _RULE_NAMED[what]
    if any(c in sentence for c in rule.clause):
        return True
    if weak and any(c in sentence for c in rule.context) and not any(u in sentence for u in URGENT):
        return True
    if not rule.past_counts and _in_the_past(sentence, False)[0] and not any(p in sentence for p in PRESENT):
        return True
    return _denied(_ENGLISH_TAIL.sub("", _normal(sentence[:start]))[-8:])


#: The English words before a phrase in its run (没有 car accident: before "accident", "car").
_ENGLISH_TAIL = re.compile(r"[A-Za-z0-9'\-]+$")


def emergency_hint(text) -> EmergencyHint | None:
    """(110/119/120/122, what to tell the call-taker) when the text reports an emergency, else None.

    One line is named: fire and gas leaks before violence before traffic before
    injuries; when injuries come with another emergency the label says to call
    120 as well. Only the first EMERGENCY_HEAD characters are read: someone
    reporting an emergency says so first, while a long letter tells its story
    (a past assault, a fire hazard) further on. English wording fires the same rules (emergency_en).
    """
    in_english, text = emergency_en.read(text, _vetoed_in_chinese)  # with Chinese in it, its English words come
    #                                                                   back in Chinese (gas味)
    fired, story = [], False
    for clause in _CLAUSES.split(_normal(text)[:EMERGENCY_HEAD]):
        if not clause:
            continue
        past, story = _in_the_past(clause, story)
        live = _DATED_PHRASE.sub("，", clause) if _DATE.search(clause) else clause
        for rule in _ALL_RULES:
            if rule not in fired and _hits(rule, clause, past, live):
                fired.append(rule)
    fired += [rule for rule in map(_RULE_NAMED.get, in_english) if rule not in fired]
    if _CRY_FOR_HELP in fired and len(fired) > 1:
        fired.remove(_CRY_FOR_HELP)
    if not fired:
        return None
    fired.sort(key=_LINE_ORDER.get)
    first = fired[0]
    label = f"{first.what}：请立即转 {first.number} {first.line}"
    also = [r for r in fired[1:] if r.number != first.number]
    if also:
        label += "；" + "、".join(f"{r.what}，同时通知 {r.number} {SERVICES[r.number]}" for r in also)
    lines = ((first.what, first.number, first.line),) + tuple((r.what, r.number, SERVICES[r.number]) for r in also)
    return EmergencyHint(first.number, label, lines)


# ── 2. text features (pure) ─────────────────────────────────────────────────

#: Words every request has; they are cut out (not just weighted down) so that two short texts do not look
#: alike because both say 市民来电反映…希望尽快处理.
BOILERPLATE = (
    "市民来电反映", "市民来电", "来电人反映", "来电反映", "来电人", "诉求人反映", "诉求人", "市民反映", "反映",
    "希望相关部门", "请相关部门", "相关部门", "有关部门", "尽快处理", "尽快解决", "予以处理", "予以解决",
    "帮忙解决", "协调解决", "希望", "要求", "请求", "您好", "你好", "谢谢", "请问", "尊敬的领导", "领导",
)
_BOILER = re.compile("|".join(re.escape(w) for w in sorted(BOILERPLATE, key=len, reverse=True)))
_SEP = re.compile(r"[\W_]+")


#: Where a request is, in its words: units, roads, housing compounds and numbered buildings (东城区, 景山街道,
#: 景山东街小区, 3号楼): a name of one to six characters before a place word, the names' characters not the small
#: words of a sentence (的, 了, 在…), the place words not the beginning of a thing (路灯, 广场舞, 城管, 超市, 盲区).
#: The place factor compares places: for candidates whose place it knows these words are left out of the text
#: similarity, else a streetlight and a rubbish bin at one address look alike (docs/duplicates.md).
_NOT_IN_NAMES = "的了在有是和与及到从向往对把被给让将很都也还就没不请要说问题"


def _cjk_but(excluded):
    """A character class of digits, Latin letters and CJK characters but `excluded` (one class, no look-ahead per
    character: 4 times faster)."""
    ranges, low = [], 0x4E00
    for cp in sorted(set(map(ord, excluded))):
        if cp > low:
            ranges.append(f"\\u{low:04x}-\\u{cp - 1:04x}")
        low = cp + 1
    return "[0-9a-z" + "".join(ranges) + f"\\u{low:04x}-\\u9fff]"


_PLACE_NAME = _cjk_but(_NOT_IN_NAMES) + "{1,6}?"
#: a place word (街道, 小区, 号楼…) and a numbered part of a building (3号楼, 2单元) as pattern texts: the duplicates
#: factor cuts them out of texts (PLACE_WORDS), the gazetteer refuses names made only of them (models.is_address_words)
PLACE_WORD = (  # the look-ahead of the words' first characters spares trying each word at every character
    r"(?=[街地社网小家花嘉新公大广国胡号单东西南北区县镇市巷苑村城路])"
    r"(?:街道办事处|街道|地区|社区|网格|小区|家园|花园|嘉园|新村|新城|公寓|大厦|广场(?!舞)|国际|大街|胡同|号院|号楼|单元"
    r"|[东西南北]里|(?<![盲误禁病])区(?![域别分间])|县|镇|(?<![超菜城门夜集黑])市(?![民场政容长级内外区])"
    r"|(?<![上逛沿临当])街(?![边头上面])|巷|苑|(?<!农)村(?![民委干里])|城(?![管市区乡镇际建铁墙])"
    r"|(?<![道马公铁修走让问带领线网])路(?![灯面口边段上况线基牌障过人费由途程径沿网肩缘]))")
NUMBERED_PART = r"[0-9一二三四五六七八九十]+(?:期|号楼|栋|单元|号|层|楼|室|门)"
PLACE_WORDS = re.compile(rf"(?:{_PLACE_NAME}{PLACE_WORD}|{NUMBERED_PART})+")


def _normalised(text):
    """NFKC, lower case, the first MAX_CHARS characters, boilerplate cut out."""
    return _BOILER.sub(" ", unicodedata.normalize("NFKC", text or "").lower()[:MAX_CHARS])


def segments(text, places=True):
    """The normalised runs of letters, digits and CJK characters in a text, boilerplate cut out (and the words
    that say where, PLACE_WORDS, unless `places`)."""
    s = _normalised(text)
    return [seg for seg in _SEP.split(s if places else PLACE_WORDS.sub(" ", s)) if seg]


def _bigrams(s, mask):
    counts = {}
    for seg in filter(None, _SEP.split(s)):
        for g in ((seg,) if len(seg) == 1 else map(str.__add__, seg, seg[1:])):
            col = hash(g) & mask
            counts[col] = counts.get(col, 0) + 1
    return counts


#: Common 12345 problems and the words citizens name each with: two texts naming one problem share a feature of its
#: own whatever their words (太吵 and 噪音, 烧烤 and 油烟, 路灯 and 不亮). Only in the texts without their place words,
#: which are compared at one place: there a streetlight and a rubbish bin differ by their problem, and two citizens
#: telling one problem in their own words share few bigrams (docs/duplicates.md: 45–61 % of them were offered).
PROBLEMS = {
    "noise": ("噪音", "噪声", "太吵", "很吵", "好吵", "吵闹", "吵得", "吵死", "喧哗", "高音喇叭", "大喇叭", "鸣笛"),
    "fumes": ("油烟", "烟道", "排烟", "烧烤", "烤串", "夜宵"),
    "rubbish": ("垃圾", "清运", "满溢", "乱扔", "环卫"),
    "streetlight": ("路灯", "不亮", "没亮", "灯坏", "照明"),
    "water_supply": ("停水", "断水", "没水", "水压", "自来水", "供水"),
    "power": ("停电", "断电", "没电", "供电", "跳闸"),
    "heating": ("暖气", "供暖", "采暖", "不热"),
    "gas": ("燃气", "煤气", "天然气"),
    "road_surface": ("坑洼", "大坑", "路面", "破损", "塌陷"),
    "manhole": ("井盖",),
    "drainage": ("下水道", "堵塞", "污水", "化粪池", "返水", "冒水", "排水", "积水"),
    "leak": ("漏水", "渗水", "滴水", "渗漏"),
    "works": ("施工", "工地", "打桩", "渣土"),
    "dust": ("扬尘", "灰尘", "粉尘", "尘土"),
    "parking": ("停车", "车位", "乱停", "停放"),
    "stall": ("占道", "摆摊", "摊贩", "小摊", "早点摊", "出店经营"),
    "building": ("违建", "违章建筑", "私搭乱建", "加盖", "搭建"),
    "property": ("物业",),
    "lift": ("电梯",),
    "wages": ("工资", "欠薪", "薪水", "工钱"),
    "insurance": ("社保", "医保", "养老保险", "公积金"),
    "school": ("入学", "学位", "招生", "上学", "学区"),
    "kindergarten": ("幼儿园", "托儿所", "入园"),
    "bus": ("公交", "班次"),
    "metro": ("地铁", "轨道交通"),
    "trees": ("树木", "砍伐", "绿化", "树枝", "修剪"),
    "dogs": ("狗", "犬", "宠物"),
    "smell": ("臭味", "异味", "恶臭", "臭气", "气味"),
    "housing_quality": ("开裂", "裂缝", "质量问题", "墙皮脱落"),
    "hospital": ("医院", "诊所", "门诊"),
    "disclosure": ("信息公开",),
    "pests": ("蚊子", "老鼠", "蟑螂"),
    "fire_lane": ("消防通道",),
    "signal": ("红绿灯", "信号灯"),
    "group_rent": ("群租", "隔断"),
}
_PROBLEM_OF = {word: name for name, words in PROBLEMS.items() for word in words}
_PROBLEM_WORDS = re.compile("|".join(sorted(_PROBLEM_OF, key=len, reverse=True)))


def problems(what):
    """The PROBLEMS the first PROBLEM_HEAD characters of a normalised text name (the gist comes first: a long letter
    names many problems in passing)."""
    return {_PROBLEM_OF[m.group()] for m in _PROBLEM_WORDS.finditer(what, 0, PROBLEM_HEAD)}


def _what_features(what, mask, counts=None):
    """The features of a normalised text without its place words (`counts`: its bigrams, when already made), with
    a column of each problem it names, of the weight of a bigram seen PROBLEM_COUNT times."""
    counts = _bigrams(what, mask) if counts is None else counts
    for name in problems(what):
        col = hash("\x00" + name) & mask  # no bigram holds a control character: a column of its own
        counts[col] = counts.get(col, 0) + PROBLEM_COUNT
    return counts


def features(text, mask=(1 << N_BITS) - 1, places=True):
    """{hashed character-bigram column: count} of a text, with its place words, or without them and with its
    problems (PROBLEMS) (hash() is stable within one process, which is enough: the index lives in that process)."""
    s = _normalised(text)
    return _bigrams(s, mask) if places else _what_features(PLACE_WORDS.sub(" ", s), mask)


def features_both(text, mask=(1 << N_BITS) - 1):
    """(features with the place words, without them and with the problems) from one normalisation; the same dict
    for a text that names neither a place nor a problem."""
    s = _normalised(text)
    whole, what = _bigrams(s, mask), PLACE_WORDS.sub(" ", s)
    if what != s:
        return whole, _what_features(what, mask)
    return whole, (_what_features(what, mask, dict(whole)) if problems(what) else whole)


def _tf(counts):
    cols = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
    return cols, _tf_of(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))


def _tf_of(counts):
    """1 + log(count) as float32 (element by element: the same value in a long array as in a short one)."""
    return (1.0 + np.log(counts.astype(np.float32))).astype(np.float32)


def _vector(text, idf_of=None, mask=(1 << N_BITS) - 1, places=True):
    """(columns, weights) of a text, L2-normalised; weighted by `idf_of(columns)` when given."""
    cols, tf = _tf(features(text, mask, places))
    if not len(cols):
        return cols, tf
    w = tf * idf_of(cols) if idf_of is not None else tf
    norm = float(np.sqrt((w * w).sum())) or 1.0
    return cols, (w / norm).astype(np.float32)


def _cosine(va, vb):
    (ca, wa), (cb, wb) = va, vb
    if not len(ca) or not len(cb):
        return 0.0
    common, ia, ib = np.intersect1d(ca, cb, assume_unique=True, return_indices=True)
    return float(np.dot(wa[ia], wb[ib])) if len(common) else 0.0


def text_similarity(a, b, index=None):
    """Cosine of two texts, with `index`'s IDF when there is one, else of their plain term frequencies (as an
    index of fewer than MIN_IDF_DOCS tickets weighs them). No index is made for a pair: an empty one holds
    ~25 MB of arrays, and making one per call cost every API intake several milliseconds."""
    return index.similarity(a, b) if index is not None else _cosine(_vector(a), _vector(b))


# ── place and score (pure) ──────────────────────────────────────────────────

@dataclass
class Place:
    """Where a draft or a ticket is: unit ids (or None) and a WGS-84 point (or None)."""

    district: int | None = None
    street: int | None = None
    community: int | None = None
    grid: int | None = None
    lon: float | None = None
    lat: float | None = None
    label: str = ""

    @property
    def known(self):
        return any(v is not None for v in (self.district, self.street, self.community, self.grid, self.lon))


def distance_m(lon1, lat1, lon2, lat2):
    """Metres between points (equirectangular; exact enough within a city). Works on numpy arrays."""
    k = 111_320.0
    dx = (lon2 - lon1) * k * np.cos(np.radians((lat1 + lat2) / 2))
    dy = (lat2 - lat1) * k
    return np.sqrt(dx * dx + dy * dy)


#: the reasons place_factor gives, by the small integer it works with (arrays of strings at each step took 0.33–0.43 ms
#: for the 550 candidates a draft naming a common problem finds at 20,000 tickets; integers 0.12–0.14 ms)
REASONS = np.array(["unknown", "elsewhere", "district", "street", "community", "grid", "point"], dtype=object)
_UNKNOWN, _ELSEWHERE, _POINT = 0, 1, 6


def place_factor(place: Place, district, street, community, grid, lon, lat):
    """(factor 0…1, reason code, distance or NaN) for arrays of candidates' places against a draft's place.

    Unit ids are int arrays with -1 for unknown, coordinates float arrays with NaN.
    """
    n = len(district)
    factor = np.full(n, PLACE_UNKNOWN, dtype=np.float64)
    dist = np.full(n, np.nan)
    if place is None or not place.known:
        return factor, REASONS[np.zeros(n, dtype=np.int8)], dist
    theirs_known = (district >= 0) | (street >= 0) | ~np.isnan(lon)
    unit_f = np.zeros(n)
    unit_r = np.full(n, _ELSEWHERE, dtype=np.int8)
    steps = (("district", district, place.district, 0.3), ("street", street, place.street, 0.6),
             ("community", community, place.community, 0.9), ("grid", grid, place.grid, 1.0))
    conflict = np.zeros(n, dtype=bool)
    for code, (name, arr, mine, value) in enumerate(steps, start=2):
        if mine is None:
            continue
        same = arr == mine
        unit_f = np.where(same, value, unit_f)
        unit_r = np.where(same, code, unit_r)
        # both known at this level and different: another place (unless a finer level says otherwise)
        conflict |= (arr >= 0) & (arr != mine) & (name in ("district", "street"))
    unit_f = np.where(conflict & (unit_f < 0.9), 0.0, unit_f)
    unit_r = np.where(conflict & (unit_f < 0.9), _ELSEWHERE, unit_r)
    f, r = unit_f, unit_r
    if place.lon is not None and place.lat is not None:
        has = ~np.isnan(lon)
        d = np.where(has, distance_m(place.lon, place.lat, np.where(has, lon, place.lon),
                                     np.where(has, lat, place.lat)), np.nan)
        dist = d
        near = has & (d <= NEAR_M)
        point_f = np.where(d <= 50, 1.0, 1.0 - 0.4 * (np.clip(d, 50, NEAR_M) - 50) / (NEAR_M - 50))
        better = near & (point_f >= f)
        f = np.where(better, point_f, f)
        r = np.where(better, _POINT, r)
        far = has & (d > FAR_M)
        f = np.where(far, np.minimum(f, 0.1), f)
        r = np.where(far, _ELSEWHERE, r)
    # the candidate has no place at all: neutral
    f = np.where(theirs_known, f, PLACE_UNKNOWN)
    r = np.where(theirs_known, r, _UNKNOWN)
    return f, REASONS[r], dist


def recency(age_days):
    return np.power(0.5, np.maximum(age_days, 0) / HALF_LIFE_DAYS)


def combined_score(text, place, recent):
    return W_TEXT * text + W_PLACE * place + W_RECENT * recent


def eligible(text, place_f, place_r, score, min_text=MIN_TEXT):
    """Which candidates are offered at all (works on arrays). Without a place to compare (the call-taker has
    not picked one yet, or the candidate has none) the text alone must be alike: an audit saw 33 offers for 30
    unrelated drafts without a street (早点摊占道 → 施工围挡占道), none of them a duplicate."""
    elsewhere = place_r == "elsewhere"
    unknown = place_r == "unknown"
    return ((text >= min_text) & (score >= MIN_SCORE) & (~elsewhere | (text >= ELSEWHERE_MIN_TEXT))
            & (~unknown | (text >= UNKNOWN_PLACE_MIN_TEXT)))


# ── the index (pure) ────────────────────────────────────────────────────────

@dataclass
class Doc:
    """One open ticket as the index sees it."""

    id: int
    text: str
    created: float                 # POSIX seconds
    district: int | None = None
    street: int | None = None
    community: int | None = None
    grid: int | None = None
    lon: float | None = None
    lat: float | None = None


@dataclass
class Match:
    id: int
    score: float
    text: float
    place: float
    place_reason: str
    distance_m: float | None
    age_days: float
    created: float

    @property
    def text_pct(self):
        return f"{self.text:.0%}"

    @property
    def place_label(self):
        if self.place_reason == "point" and self.distance_m is not None:
            return PLACE_LABELS["point"].format(d=int(round(self.distance_m)))
        return PLACE_LABELS.get(self.place_reason, self.place_reason)

    @property
    def recent(self):
        """The recency factor the score was made with (1 now, 0.5 after HALF_LIFE_DAYS)."""
        return (self.score - W_TEXT * self.text - W_PLACE * self.place) / W_RECENT if W_RECENT else 0

    def explain(self):
        """文本相似 72% × 0.6 + 同社区 0.9 × 0.3 + 新近 0.8 × 0.1 = 0.78 (the pages say it in the user's language:
        templatetags.desk.score_words)"""
        return (f"文本相似 {self.text:.0%} × {W_TEXT:g} + {self.place_label} {self.place:.1f} × {W_PLACE:g}"
                f" + 新近 {self.recent:.1f} × {W_RECENT:g} = {self.score:.2f}")


class _Columns:
    """Growable numpy columns of the docs' metadata."""

    NAMES = (("ids", np.int64, 0), ("created", np.float64, 0.0), ("district", np.int64, -1),
             ("street", np.int64, -1), ("community", np.int64, -1), ("grid", np.int64, -1),
             ("lon", np.float64, np.nan), ("lat", np.float64, np.nan), ("alive", np.bool_, False),
             ("start", np.int64, 0), ("length", np.int32, 0), ("what_start", np.int64, 0), ("what_length", np.int32, 0))

    def __init__(self, capacity=1024):
        self.n = 0
        for name, dtype, fill in self.NAMES:
            setattr(self, name, np.full(capacity, fill, dtype=dtype))

    def append(self, doc: Doc):
        if self.n == len(self.ids):
            for name, dtype, fill in self.NAMES:
                old = getattr(self, name)
                new = np.full(max(1024, 2 * len(old)), fill, dtype=dtype)
                new[:len(old)] = old
                setattr(self, name, new)
        i = self.n
        self.ids[i], self.created[i], self.alive[i] = doc.id, doc.created, True
        for name in ("district", "street", "community", "grid"):
            value = getattr(doc, name)
            getattr(self, name)[i] = -1 if value is None else value
        self.lon[i] = np.nan if doc.lon is None else doc.lon
        self.lat[i] = np.nan if doc.lat is None else doc.lat
        self.n += 1
        return i


def _ranges(starts, lengths):
    """Positions starts[i] … starts[i] + lengths[i] - 1 of every i, concatenated in order."""
    total = int(lengths.sum())
    before = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) + np.repeat(starts - before, lengths)


def _grown(a, needed):
    """`a` in an array with room for `needed` items and an eighth more."""
    out = np.zeros(max(needed + needed // 8, 1 << 16), dtype=a.dtype)
    out[:len(a)] = a
    return out


class _Terms:
    """The rows' hashed features and their counts, as they came (what a rebuild weighs anew): one flat array, a
    feature and its count packed in one integer (count << n_bits | column), a row being a (start, length) slice.
    Two small arrays a row (columns, float term frequencies) cost twice the bytes and ~250 bytes of headers a row
    (docs/duplicates.md: speed and memory). A count is at most MAX_CHARS. It grows by an eighth, not twice its
    size: a rebuild (when the tickets added reach a tenth) leaves it with that room."""

    def __init__(self, n_bits, packed=None, n=0):
        self.n_bits = n_bits
        dtype = np.uint32 if MAX_CHARS < 1 << (32 - n_bits) else np.uint64
        self.packed = np.zeros(1 << 16, dtype=dtype) if packed is None else packed
        self.n = n

    def append(self, features):
        """Store one text's {column: count}; its (start, length)."""
        k, start = len(features), self.n
        if start + k > len(self.packed):
            self.packed = _grown(self.packed, start + k)
        cols = np.fromiter(features.keys(), dtype=self.packed.dtype, count=k)
        counts = np.fromiter(features.values(), dtype=self.packed.dtype, count=k)
        self.packed[start:start + k] = (counts << self.n_bits) | cols
        self.n += k
        return start, k

    def gather(self, starts, lengths):
        """(columns as int32, counts) of the slices, concatenated in order."""
        packed = self.packed[_ranges(starts, lengths)]
        return (packed & ((1 << self.n_bits) - 1)).astype(np.int32), packed >> self.n_bits

    def compacted(self, starts, lengths):
        """A store of only these slices, one after the other, and room for an eighth more."""
        kept = self.packed[_ranges(starts, lengths)]
        return _Terms(self.n_bits, _grown(kept, len(kept)), len(kept))

    @property
    def nbytes(self):
        return self.packed.nbytes


def _positions(sorted_with_end, items):
    """Where each of `items` is in `sorted_with_end` (sorted, its last element larger than any item), or the
    position of that last element for the items it lacks."""
    at = np.searchsorted(sorted_with_end, items)
    return np.where(sorted_with_end[at] == items, at, len(sorted_with_end) - 1)


class _Block:
    """Rows' TF-IDF vectors as a CSC matrix over the hashed columns they use (`vocab`, sorted) and one empty column
    for any other: a matrix over all 2**21 columns holds 8 MB of column pointers however few its rows."""

    def __init__(self, matrix, vocab, dim):
        self.matrix, self.vocab = matrix, vocab
        self._lookup = np.append(vocab, np.int32(dim))   # the empty column's place: after every hashed column

    @classmethod
    def of(cls, data, indices, indptr, dim):
        """From CSR arrays over the hashed columns."""
        if len(indices) < dim // 4:
            vocab = np.unique(indices).astype(np.int32)
            compact = np.searchsorted(vocab, indices)
        else:  # the main block: a map over the hashed space is faster than sorting millions
            present = np.zeros(dim, dtype=bool)
            present[indices] = True
            vocab = np.flatnonzero(present).astype(np.int32)
            compact = (np.cumsum(present, dtype=np.int32) - 1)[indices]
        m = sparse.csr_matrix((data, compact.astype(np.int32), indptr), shape=(len(indptr) - 1, len(vocab) + 1))
        return cls(m.tocsc(), vocab, dim)

    @classmethod
    def empty(cls, dim):
        return cls(sparse.csc_matrix((0, 1), dtype=np.float32), np.zeros(0, dtype=np.int32), dim)

    @property
    def n_rows(self):
        return self.matrix.shape[0]

    def scores(self, qc, qw):
        """Each row's dot product with the vector (columns qc, weights qw)."""
        return self.matrix[:, _positions(self._lookup, qc)] @ qw

    def csr(self, dim):
        """The rows over the hashed columns (CSR, columns in order)."""
        m = self.matrix.tocsr()
        return sparse.csr_matrix((m.data, self.vocab[m.indices], m.indptr), shape=(self.n_rows, dim))

    @property
    def nbytes(self):
        m = self.matrix
        return m.data.nbytes + m.indices.nbytes + m.indptr.nbytes + self.vocab.nbytes + self._lookup.nbytes


class _Idf:
    """The IDF of the hashed columns some ticket has, and `unseen` for the others (df 0)."""

    def __init__(self, vocab, values, unseen, dim):
        self.vocab, self.values, self.unseen, self.dim = vocab, np.append(values, unseen), unseen, dim
        self._lookup = np.append(vocab, np.int32(dim))

    @classmethod
    def plain(cls, dim):
        return cls(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32), np.float32(1.0), dim)

    def of(self, cols):
        if len(cols) > max(len(self.vocab), 1 << 16):  # a block's rows: a map over the hashed space is faster
            full = np.full(self.dim, self.unseen, dtype=np.float32)
            full[self.vocab] = self.values[:-1]
            return full[cols]
        return self.values[_positions(self._lookup, cols)]

    @property
    def nbytes(self):
        return self.vocab.nbytes + self.values.nbytes + self._lookup.nbytes


class DuplicateIndex:
    """Open tickets as hashed character-bigram TF-IDF vectors, searched with one sparse product.

    The vectors live in two blocks: `main` (built at once, its IDF computed from
    it) and a small `delta` of tickets added since, weighted with the main
    block's IDF; when the delta grows past `rebuild_fraction` of the index, both
    are rebuilt into one. Removing a ticket only clears its `alive` flag (dead
    rows are dropped at the next rebuild). Not thread-safe by itself: callers
    hold a lock (OpenTicketIndex does).
    """

    def __init__(self, n_bits=N_BITS, rebuild_fraction=0.1, min_rebuild=2000, window_days=WINDOW_DAYS,
                 without_places=True):
        """`without_places`: keep each text's vector without its place words too, which `search` compares where
        it compares the places apart (hotspots, which never search, leave it out: it costs a second vector)."""
        self.without_places = without_places
        self.n_bits = n_bits
        self.window_days = window_days
        self.dim = 1 << n_bits
        self.mask = self.dim - 1
        self.rebuild_fraction, self.min_rebuild = rebuild_fraction, min_rebuild
        self.cols = _Columns()
        self.pos = {}                      # ticket id → row
        self.terms = _Terms(n_bits)        # each row's features for rebuilds: the whole text at cols.start/length,
        #                                    without its place words at cols.what_start/what_length (the same slice
        #                                    for a text that names no place)
        self.n_main = 0
        self.main = self.delta = self._weighted([])
        self.what_main = self.what_delta = None   # made at the first search (hotspots build indexes, never search)
        self._delta_dirty = False
        self.idf = _Idf.plain(self.dim)
        self.n_docs_idf = 0

    # -- building

    def __len__(self):
        return int(self.cols.alive[:self.cols.n].sum())

    def __contains__(self, ticket_id):
        row = self.pos.get(ticket_id)
        return row is not None and bool(self.cols.alive[row])

    def build(self, docs):
        """Replace everything with `docs` (an iterable of Doc)."""
        self.cols, self.pos, self.terms = _Columns(), {}, _Terms(self.n_bits)
        for doc in docs:
            self._append(doc)
        self._rebuild(tight=True)

    def add(self, doc: Doc):
        """Add (or replace) one ticket; it is searchable at once."""
        self.remove(doc.id)
        self._append(doc)
        self._delta_dirty = True
        waiting = self.cols.n - self.n_main
        if waiting >= max(self.min_rebuild, self.rebuild_fraction * self.n_main):
            self._rebuild()

    def remove(self, ticket_id):
        row = self.pos.pop(ticket_id, None)
        if row is not None:
            self.cols.alive[row] = False

    def _append(self, doc):
        row = self.cols.append(doc)
        self.pos[doc.id] = row
        if self.without_places:
            whole, what = features_both(doc.text, self.mask)
        else:
            whole = what = features(doc.text, self.mask)
        c = self.cols
        c.start[row], c.length[row] = self.terms.append(whole)
        c.what_start[row], c.what_length[row] = (c.start[row], c.length[row]) if what is whole \
            else self.terms.append(what)
        return row

    def _weighted(self, rows, what=False, idf=None):
        """The TF-IDF rows (L2-normalised) of the given row numbers as a _Block, of the texts without their place
        words if `what`; weighted by `idf` over all hashed columns when given (a rebuild), else by self.idf."""
        if not len(rows):
            return _Block.empty(self.dim)
        rows = np.asarray(rows, dtype=np.int64)
        c = self.cols
        starts, lengths = (c.what_start, c.what_length) if what else (c.start, c.length)
        lengths = lengths[rows].astype(np.int64)
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices, counts = self.terms.gather(starts[rows], lengths)
        data = _tf_of(counts) * (idf[indices] if idf is not None else self.idf.of(indices))
        sq = np.ones(len(rows))  # a row without features (only boilerplate or punctuation) stays empty
        filled = lengths > 0
        if filled.any():  # reduceat over the filled rows' starts only: an empty last row's start is len(data)
            sq[filled] = np.add.reduceat(data * data, indptr[:-1][filled])
        data = data / np.repeat(np.sqrt(sq), lengths).astype(np.float32)
        return _Block.of(data.astype(np.float32), indices, indptr, self.dim)

    def normalized_rows(self):
        """Every row's L2-normalised TF-IDF vector (CSR, rows in order, dead rows included; a text without
        features is an empty row). After build(docs) alone, row i is the i-th doc."""
        self._fresh_delta()
        return sparse.vstack([self.main.csr(self.dim), self.delta.csr(self.dim)], format="csr")

    def _keep_rows(self, rows):
        """Keep only `rows` (in order), their features copied into a store of their own (room for an eighth more
        of either: tickets added until the next rebuild do not copy them)."""
        old, c = self.cols, _Columns(max(1024, len(rows) + len(rows) // 8))
        for name, _dtype, _fill in _Columns.NAMES:
            getattr(c, name)[:len(rows)] = getattr(old, name)[rows]
        c.n = len(rows)
        self.cols, self.pos = c, {int(ticket_id): row for row, ticket_id in enumerate(c.ids[:c.n])}
        n = c.n
        own_what = (c.what_start[:n] != c.start[:n]) | (c.what_length[:n] != c.length[:n])
        lengths = np.concatenate([c.length[:n], c.what_length[:n][own_what]]).astype(np.int64)
        self.terms = self.terms.compacted(np.concatenate([c.start[:n], c.what_start[:n][own_what]]), lengths)
        starts = np.cumsum(lengths) - lengths
        c.start[:n] = starts[:n]
        c.what_start[:n] = c.start[:n]
        c.what_start[:n][own_what] = starts[n:]

    def _rebuild(self, tight=False):
        """Drop dead rows and those older than the window, recompute the IDF from the rest, one main block. `tight`:
        arrays of the rows' size (and an eighth more for the features) after a build, which grows them."""
        oldest = time.time() - self.window_days * 86400
        c = self.cols
        alive_rows = np.flatnonzero(c.alive[:c.n] & (c.created[:c.n] >= oldest))
        if tight or len(alive_rows) != self.cols.n:
            self._keep_rows(alive_rows)
        c = self.cols
        n = c.n
        df = np.zeros(self.dim, dtype=np.float64)
        if n:
            df += np.bincount(self.terms.gather(c.start[:n], c.length[:n].astype(np.int64))[0], minlength=self.dim)
        if n >= MIN_IDF_DOCS:
            idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
            seen = np.flatnonzero(df).astype(np.int32)
            self.idf = _Idf(seen, idf[seen], idf[np.argmin(df)] if len(seen) < self.dim else np.float32(1.0),
                            self.dim)
        else:  # too few tickets to tell common words from rare ones: plain term frequencies
            idf = None
            self.idf = _Idf.plain(self.dim)
        self.n_docs_idf = n
        self.n_main = n
        self.main = self._weighted(np.arange(n), idf=idf)
        self.delta = self._weighted([])
        self.what_main = self.what_delta = None
        self._delta_dirty = False

    @property
    def min_text(self):
        """The text-similarity floor: plain term frequencies (a small index) let common words weigh more."""
        return MIN_TEXT if self.n_docs_idf >= MIN_IDF_DOCS else MIN_TEXT_PLAIN

    def _fresh_delta(self):
        if self._delta_dirty:
            self.delta = self._weighted(np.arange(self.n_main, self.cols.n))
            self.what_delta = None
            self._delta_dirty = False

    def _blocks(self, places=True):
        """(main, delta) blocks of the whole texts, or (places=False) of the texts without their place words."""
        self._fresh_delta()
        if places:
            return self.main, self.delta
        if self.what_main is None:
            self.what_main = self._weighted(np.arange(self.n_main), what=True)
        if self.what_delta is None:
            self.what_delta = self._weighted(np.arange(self.n_main, self.cols.n), what=True)
        return self.what_main, self.what_delta

    # -- searching

    def vector(self, text, places=True):
        """(columns, weights) of a text (without its place words unless `places`), L2-normalised with this index's
        IDF."""
        return _vector(text, self.idf.of, self.mask, places)

    def similarity(self, a, b):
        """Cosine of two texts with this index's IDF (for a pair, e.g. the same caller's earlier ticket)."""
        return _cosine(self.vector(a), self.vector(b))

    def text_scores(self, text, places=True):
        """Cosine of `text` against every row (dead ones included), as a dense array; of the texts without their
        place words unless `places`."""
        main, delta = self._blocks(places)
        n = self.cols.n
        sims = np.zeros(n, dtype=np.float32)
        qc, qw = self.vector(text, places)
        if not len(qc) or not n:
            return sims
        if self.n_main:
            sims[:self.n_main] = main.scores(qc, qw)
        if n > self.n_main:
            sims[self.n_main:n] = delta.scores(qc, qw)
        return sims

    def search(self, text, place: Place | None = None, now=None, limit=5, exclude=(),
               window_days=WINDOW_DAYS, min_text=None):
        """The best `limit` open tickets for a draft, as Match (score, text, place, age), best first.

        A candidate whose place the place factor compares (same grid, community, street or district, or nearby) is
        compared by what the texts say, their place words left out (segments); one known to be elsewhere, or
        without a place on either side, by the whole text: there the words of the place are all that tells it."""
        now = time.time() if now is None else now
        min_text = self.min_text if min_text is None else min_text
        n = self.cols.n
        if not n or not (text or "").strip():
            return []
        whole, what = self.text_scores(text), self.text_scores(text, places=False)
        c = self.cols
        keep = c.alive[:n] & (np.maximum(whole, what) >= min_text) & (c.created[:n] >= now - window_days * 86400)
        for ticket_id in exclude:
            row = self.pos.get(ticket_id)
            if row is not None:
                keep[row] = False
        rows = np.flatnonzero(keep)
        if not len(rows):
            return []
        f, r, dist = place_factor(place, c.district[rows], c.street[rows], c.community[rows], c.grid[rows],
                                  c.lon[rows], c.lat[rows])
        compared = (r != "elsewhere") & (r != "unknown")
        text_s = np.where(compared, what[rows], whole[rows]).astype(np.float64)
        age = (now - c.created[rows]) / 86400.0
        rec = recency(age)
        score = combined_score(text_s, f, rec)
        ok = eligible(text_s, f, r, score, min_text)
        rows, text_s, f, r, dist, age, score = (a[ok] for a in (rows, text_s, f, r, dist, age, score))
        order = np.lexsort((-text_s, -score))[:limit]
        return [Match(id=int(c.ids[rows[i]]), score=round(float(score[i]), 4), text=round(float(text_s[i]), 4),
                      place=round(float(f[i]), 3), place_reason=str(r[i]),
                      distance_m=None if math.isnan(dist[i]) else float(dist[i]), age_days=float(age[i]),
                      created=float(c.created[rows[i]])) for i in order]

    def memory_bytes(self):
        """The index's arrays: blocks, features kept for rebuilds, IDF, ticket columns (not the dict of rows)."""
        blocks = (self.main, self.delta, self.what_main, self.what_delta)
        total = sum(b.nbytes for b in blocks if b is not None) + self.terms.nbytes + self.idf.nbytes
        return total + sum(getattr(self.cols, name).nbytes for name, _d, _f in _Columns.NAMES)


# ── the process's index of open tickets (Django from here on) ───────────────

REFRESH_READ = 50000  # the most ticket ids, and events, one refresh reads (the rest at the next)
START_WINDOW = 5000   # a build's cursors stop below a gap among the tables' last N ids (a row still being written)

def _conf(name, default):
    from django.conf import settings

    return getattr(settings, "JIESU", {}).get(name, default)


class OpenTicketIndex:
    """One DuplicateIndex per process over the open tickets of the last WINDOW_DAYS days.

    First use loads them (in a background thread when there are more than
    `sync_build_max`; until it is done the panel says the index is being built).
    After that, every `refresh_seconds` at most, a look at the rows added since
    — ticket ids and event ids above their cursors — adds new tickets and
    drops those that were closed, merged, answered or replied. Both are
    primary-key range scans, cheap at any table size. The cursors
    (core/id_cursor.py) stop below a gap in the ids, so a ticket or event
    committed after a later one (two intakes side by side on PostgreSQL) is
    still read when it comes.
    """

    def __init__(self, refresh_seconds=None, sync_build_max=None):
        self.refresh_seconds = refresh_seconds
        self.sync_build_max = sync_build_max
        self.index = None
        self.lock = threading.RLock()
        self.ticket_cursor = Cursor(0)
        self.event_cursor = Cursor(0)
        self.checked = 0.0
        self.db_key = None
        self.building = False
        self.build_seconds = 0.0

    def _refresh_every(self):
        return self.refresh_seconds if self.refresh_seconds is not None else _conf("DUPLICATES_REFRESH_SECONDS", 2.0)

    @staticmethod
    def _rows(qs):
        from django.db.models.functions import Substr

        for row in qs.annotate(head=Substr("text", 1, MAX_CHARS)).values_list(
                "id", "title", "head", "created_at", "district_id", "street_id", "community_id", "grid_id",
                "lon", "lat").iterator(chunk_size=5000):
            pk, title, head, created, district, street, community, grid, lon, lat = row
            text = head if head.startswith(title) else f"{title} {head}"
            yield Doc(pk, text, created.timestamp(), district, street, community, grid, lon, lat)

    def _open_recent(self, now):
        from datetime import timedelta

        from django.utils import timezone

        from jiesu.tickets.models import OPEN_STATES, Ticket

        since = timezone.now() - timedelta(days=WINDOW_DAYS) if now is None else now - timedelta(days=WINDOW_DAYS)
        return Ticket.objects.filter(state__in=OPEN_STATES, created_at__gte=since, parent__isnull=True)

    def _db_key(self):
        from django.db import connection

        return (connection.vendor, connection.settings_dict.get("NAME"))

    def get(self):
        """The index, fresh to within `refresh_seconds`, or None while a background build runs."""
        with self.lock:
            if self.index is None or self.db_key != self._db_key():
                if self.building:
                    return None
                return self._start_build()
            if time.monotonic() - self.checked >= self._refresh_every():
                self._refresh()
            return self.index

    def _start_build(self):
        from jiesu.core.id_cursor_sql import start_cursor
        from jiesu.tickets.models import Ticket, TicketEvent

        limit = self.sync_build_max if self.sync_build_max is not None else _conf("DUPLICATES_SYNC_BUILD_MAX", 20000)
        count = self._open_recent(None).count()
        cursors = (start_cursor(Ticket._meta.db_table, START_WINDOW), start_cursor(TicketEvent._meta.db_table, START_WINDOW))
        if count <= limit:
            self._build(cursors)
            return self.index
        self.building = True
        threading.Thread(target=self._build_in_thread, args=(cursors,), daemon=True,
                         name="jiesu-duplicates-index").start()
        return None

    def _build_in_thread(self, cursors):
        from django.db import connection

        try:
            with self.lock:
                self._build(cursors)
        finally:
            self.building = False
            connection.close()

    def _build(self, cursors):
        started = time.perf_counter()
        index = DuplicateIndex()
        index.build(self._rows(self._open_recent(None)))
        self.index = index
        self.ticket_cursor, self.event_cursor = cursors
        self.checked = time.monotonic()
        self.db_key = self._db_key()
        self.build_seconds = time.perf_counter() - started

    def _refresh(self):
        """Apply what happened since the last look (new tickets, state changes)."""
        from jiesu.core.id_cursor_sql import unread_rows
        from jiesu.tickets.models import Ticket, TicketEvent

        self.checked, now = time.monotonic(), time.time()
        events = unread_rows(TicketEvent._meta.db_table, self.event_cursor, REFRESH_READ, "id, ticket_id")
        new_ids = [pk for (pk,) in unread_rows(Ticket._meta.db_table, self.ticket_cursor, REFRESH_READ)]
        max_event = TicketEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if max_event < self.event_cursor.after:  # the database went back (a restore, a test): start again
            self.index = None
            self._start_build()
            return
        touched = {t for _e, t in events} | set(new_ids)
        self.event_cursor = advance(self.event_cursor, [e for e, _t in events], now)
        self.ticket_cursor = advance(self.ticket_cursor, new_ids, now)
        if not touched:
            return
        touched = sorted(touched)
        still_open = set()
        for chunk in range(0, len(touched), 900):
            part = touched[chunk:chunk + 900]
            qs = self._open_recent(None).filter(id__in=part)
            for doc in self._rows(qs):
                still_open.add(doc.id)
                if doc.id not in self.index:
                    self.index.add(doc)
        for ticket_id in touched:
            if ticket_id not in still_open:
                self.index.remove(ticket_id)

    def forget(self, ticket_id):
        with self.lock:
            if self.index is not None:
                self.index.remove(ticket_id)

    def reset(self):
        with self.lock:
            self.index, self.checked, self.db_key = None, 0.0, None
            self.ticket_cursor, self.event_cursor = Cursor(0), Cursor(0)


OPEN_INDEX = OpenTicketIndex()


def reset_index(refresh_seconds=None, sync_build_max=None):
    """Forget the process's index (tests; a restored database). The next search rebuilds it."""
    OPEN_INDEX.reset()
    OPEN_INDEX.refresh_seconds = refresh_seconds
    OPEN_INDEX.sync_build_max = sync_build_max


# ── drafts, places, checks (Django) ─────────────────────────────────────────

CHECK_ROLES = ("call_taker", "dispatcher", "admin")


def may_check(user):
    """Who may see other citizens' open tickets while recording one: the hotline and administrators."""
    from jiesu.core import scoping

    return scoping.has_role(user, *CHECK_ROLES)


@dataclass
class Draft:
    """What the call-taker has typed so far."""

    text: str = ""
    title: str = ""
    address: str = ""
    lon: str | float | None = None
    lat: str | float | None = None
    coord_system: str = "wgs84"
    street_code: str = ""
    phone: str = ""
    anonymous: bool = False

    @classmethod
    def from_params(cls, q):
        """From a QueryDict (the intake form's field names)."""
        return cls(text=(q.get("text") or "")[:4000], title=(q.get("title") or "")[:120],
                   address=(q.get("address") or "")[:200],
                   lon=q.get("lon") or None, lat=q.get("lat") or None,
                   coord_system=q.get("coord_system") or "wgs84", street_code=(q.get("street") or "").strip(),
                   phone=(q.get("citizen_phone") or "").strip()[:30],
                   anonymous=(q.get("anonymous") or "") in ("on", "1", "true"))


def place_of_ticket(ticket) -> Place:
    return Place(district=ticket.district_id, street=ticket.street_id, community=ticket.community_id,
                 grid=ticket.grid_id, lon=ticket.lon, lat=ticket.lat)


def place_of_draft(draft: Draft) -> Place:
    """Where the draft is, as far as can be told yet: coordinates, else the chosen unit, else the address,
    else a place named in the text. Unusable input is ignored here (the form reports it on submit)."""
    from jiesu.dispatch.locator import LocateError, check_coordinates, locate_address, locate_coordinates

    found, lon, lat = None, None, None
    try:
        lon, lat = check_coordinates(draft.lon, draft.lat, draft.coord_system)
    except LocateError:
        lon = lat = None
    if lon is not None:
        found = locate_coordinates(lon, lat, "wgs84")
        if found.unit is None:
            found = None
    if found is None and draft.street_code:
        from jiesu.tickets import services

        units = services.REFERENCE.get_or_load(("place", draft.street_code),
                                               lambda: services.place_of_code(draft.street_code))
        if units:
            ids = {k: getattr(v, "id", None) for k, v in units.items()}
            label = next((units[k].name for k in ("grid", "community", "street", "district") if units.get(k)), "")
            return Place(ids.get("district"), ids.get("street"), ids.get("community"), ids.get("grid"),
                         lon, lat, label)
    if found is None and draft.address.strip():
        found = locate_address(draft.address)
    if found is None or found.unit is None:
        if draft.text.strip():
            found = locate_address(draft.text, source="text")
    if found is None or found.unit is None:
        return Place(lon=lon, lat=lat)
    get = lambda u: u.id if u is not None else None  # noqa: E731
    return Place(get(found.district), get(found.street), get(found.community), get(found.grid), lon, lat,
                 getattr(found.unit, "name", ""))


@dataclass
class Candidate:
    """A match with its ticket (for the panel)."""

    ticket: object
    match: Match
    chosen: bool = False
    proposal: object = None         # its own pending Proposal into another ticket: offered, marked as such

    @property
    def score(self):
        return self.match.score


@dataclass
class Repeat:
    """An earlier ticket of the same caller about the same problem."""

    ticket: object
    text: float
    days: int
    same_place: str                 # in Chinese (the API, the ticket's history); pages: templatetags.desk.place_words
    place_reason: str = ""
    distance_m: float | None = None
    calls: list = field(default_factory=list)   # the caller's other tickets that lead to this one, newest first

    @property
    def text_pct(self):
        return f"{self.text:.0%}"

    def names(self, pk):
        """Whether `pk` is this ticket or one of the calls leading to it (what a form rendered earlier may name)."""
        return pk == self.ticket.pk or any(c.pk == pk for c in self.calls)


@dataclass
class IntakeCheck:
    emergency: EmergencyHint | None = None
    candidates: list = field(default_factory=list)
    repeats: list = field(default_factory=list)
    place: Place | None = None
    building: bool = False
    seconds: float = 0.0
    indexed: int = 0

    @property
    def ms(self):
        return f"{self.seconds * 1000:.1f}"

    def as_dict(self):
        def brief(t):
            return {"id": t.pk, "number": t.number, "title": t.title, "state": str(t.state),
                    "created_at": t.created_at.isoformat()}
        return {
            "emergency": {"number": self.emergency.number, "label": _emergency_words(self.emergency)}
            if self.emergency else None,
            "candidates": [{**brief(c.ticket), "score": c.match.score, "text": c.match.text,
                            "place": c.match.place, "place_label": c.match.place_label,
                            "age_days": round(c.match.age_days, 2), "explain": c.match.explain(),
                            "chosen": c.chosen,
                            "proposed_into": c.proposal.into.number if c.proposal else None} for c in self.candidates],
            "repeats": [{**brief(r.ticket), "text": round(r.text, 3), "days": r.days, "same_place": r.same_place,
                         "earlier_calls": [brief(c) for c in r.calls]} for r in self.repeats],
            "building": self.building, "indexed": self.indexed, "ms": round(self.seconds * 1000, 2),
        }


def _confirmed(user, matches, extra_ids=()):
    """The tickets behind the matches that are still open and visible, in the matches' order. Consultations
    are left out unless picked: each is answered for its caller, there is nothing to handle once."""
    from django.db.models import Q

    from jiesu.core import scoping
    from jiesu.tickets.models import OPEN_STATES, Ticket

    ids = [m.id for m in matches] + [i for i in extra_ids if i]
    if not ids:
        return {}
    qs = (Ticket.objects.filter(pk__in=ids, state__in=OPEN_STATES, parent__isnull=True)
          .exclude(Q(request_type="consult") & ~Q(pk__in=[i for i in extra_ids if i]))
          .select_related("street", "community", "district", "category"))
    return {t.pk: t for t in scoping.visible_tickets(user, qs)}


def find_similar(user, text, place: Place | None, limit=5, exclude=(), chosen=None, now=None):
    """(candidates, building, indexed): open tickets like this text and place, best first, each with its
    ticket; `chosen` (a ticket id the call-taker picked) stays in the list even if it fell out of the top."""
    from django.utils import timezone

    idx = OPEN_INDEX.get()
    if idx is None:
        return [], True, 0
    stamp = (now or timezone.now()).timestamp()
    with OPEN_INDEX.lock:
        matches = idx.search(text, place, now=stamp, limit=limit + 5, exclude=exclude)
        indexed = len(idx)
    rows = _confirmed(user, matches, [chosen] if chosen else ())
    out = confirmed_candidates(matches, rows, limit, chosen)
    if chosen and chosen not in {c.ticket.pk for c in out} and chosen in rows:
        t = rows[chosen]
        sim = idx.similarity(text, f"{t.title} {t.text}")
        f, r, dist = place_factor(place, *(np.array([v if v is not None else -1]) for v in (
            t.district_id, t.street_id, t.community_id, t.grid_id)),
            np.array([t.lon if t.lon is not None else np.nan]), np.array([t.lat if t.lat is not None else np.nan]))
        age = (stamp - t.created_at.timestamp()) / 86400
        score = combined_score(sim, float(f[0]), float(recency(age)))
        out.append(Candidate(t, Match(t.pk, round(float(score), 4), round(sim, 4), round(float(f[0]), 3), str(r[0]),
                                      None if math.isnan(dist[0]) else float(dist[0]), age,
                                      t.created_at.timestamp()), chosen=True))
    _mark_proposed(out)
    return out, False, indexed


def confirmed_candidates(matches, rows, limit, chosen=None):
    """The index's matches whose tickets `rows` ({id: Ticket}, _confirmed) holds, as Candidates, at most `limit`; a
    match whose id the index knew under another row is forgotten."""
    out = []
    for m in matches:
        t = rows.get(m.id)
        if t is None:
            continue
        if abs(t.created_at.timestamp() - m.created) > 1:  # the index knew another row under this id
            OPEN_INDEX.forget(m.id)
            continue
        out.append(Candidate(t, m, chosen=(m.id == chosen)))
        if len(out) == limit:
            break
    return out


def same_caller(user, draft: Draft, place: Place, now=None, limit=3, exclude=()):
    """Earlier tickets (any state) of the same phone number in REPEAT_DAYS days about the same problem."""
    from datetime import timedelta

    from django.utils import timezone

    from jiesu.core import scoping
    from jiesu.tickets.models import Ticket

    from jiesu.core.params import phone_digits

    digits = phone_digits(draft.phone)
    if draft.anonymous or len(digits) < 7 or not draft.text.strip():
        return []
    now = now or timezone.now()
    variants = {draft.phone.strip(), digits}  # numbers are stored as digits since 2026-12-06; as typed before
    recent = Ticket.objects.filter(  # phone > '': the partial index's own condition
        citizen_phone__gt="", citizen_phone__in=variants, created_at__gte=now - timedelta(days=REPEAT_DAYS)).exclude(
        pk__in=list(exclude))
    if not recent.exists():  # most callers: a cheap query answers (the full one cost ~1.5 ms to compile)
        return []
    qs = scoping.visible_tickets(user, recent).order_by("-created_at")
    idx = OPEN_INDEX.index
    out = []
    for t in qs.select_related("street", "community", "parent", "parent__street", "parent__community")[:30]:
        sim = text_similarity(draft.text, f"{t.title} {t.text}", idx)
        f, r, _d = place_factor(place, *(np.array([v if v is not None else -1]) for v in (
            t.district_id, t.street_id, t.community_id, t.grid_id)),
            np.array([t.lon if t.lon is not None else np.nan]), np.array([t.lat if t.lat is not None else np.nan]))
        reason = str(r[0])
        if reason == "unknown":
            repeat = sim >= REPEAT_MIN_TEXT_NO_PLACE
        else:
            repeat = sim >= REPEAT_MIN_TEXT and float(f[0]) >= 0.6
        if repeat:
            days = max(0, (timezone.localtime(now).date() - timezone.localtime(t.created_at).date()).days)  # 昨天 = 1
            label = PLACE_LABELS["point"].format(d=int(round(_d[0]))) if reason == "point" else PLACE_LABELS[reason]
            out.append(Repeat(t, sim, days, label, reason, float(_d[0]) if reason == "point" else None))
    return one_per_handled(out, now, exclude)[:limit]


def one_per_handled(repeats, now, exclude=()):
    """The repeats grouped by the ticket handling their matter (handling_tickets), most alike first: one Repeat
    per handling ticket, with its own similarity and place when the caller's call to it is among `repeats` (else
    the closest call's), the days since it was recorded, and the other calls as `calls` (audit 11, finding 15:
    the box listed a closed repeat, a pending one and, last, the ticket a unit was handling)."""
    from django.utils import timezone

    handled = handling_tickets([r.ticket for r in repeats])
    groups = {}
    for r in sorted(repeats, key=lambda r: -r.text):
        groups.setdefault(handled[r.ticket.pk].pk, []).append(r)
    out = []
    for pk, group in groups.items():
        if pk in exclude:
            continue
        target = handled[group[0].ticket.pk]
        own = next((r for r in group if r.ticket.pk == pk), group[0])
        days = max(0, (timezone.localtime(now).date() - timezone.localtime(target.created_at).date()).days)
        calls = sorted((r.ticket for r in group if r.ticket.pk != pk), key=lambda t: t.created_at, reverse=True)
        out.append(Repeat(target, own.text, days, own.same_place, own.place_reason, own.distance_m, calls))
    return out


CHAIN_HOPS = 4  # calls filed one against another before the ticket handling them: more is not followed


def handling_tickets(tickets):
    """{id: the ticket handling the matter} for `tickets` (a caller's earlier ones): a merged ticket's parent; a
    ticket awaiting dispatch with a pending proposal or repeat flag, the ticket the merge would go into; a ticket
    closed as a repeat, the one its repeat flag named; each followed on the same way (CHAIN_HOPS steps at most);
    any other ticket itself."""
    out = {t.pk: t for t in tickets}
    for _hop in range(CHAIN_HOPS):
        ends = {t.pk: t for t in out.values()}
        step = _next_in_chain(ends)
        if not step:
            break
        out = {pk: step.get(t.pk, t) for pk, t in out.items()}
    return out


def _next_in_chain(tickets):
    """{id: the next ticket towards the one handling the matter} for those of `tickets` ({id: Ticket}) that lead
    on (handling_tickets)."""
    from jiesu.tickets.models import SpecialClass, State

    step = {pk: t.parent for pk, t in tickets.items() if t.state == State.MERGED and t.parent_id}
    waiting = {pk: t for pk, t in tickets.items() if pk not in step and (
        t.state == State.NEW or (t.state == State.CLOSED and t.special_class == SpecialClass.REPEAT))}
    for pk, mine in (_proposals_of(waiting) if waiting else {}).items():
        if waiting[pk].state == State.NEW:
            lead = next((p for p in mine if p.pending), None)
        else:
            lead = next((p for p in mine if p.reason in REPEAT_REASONS), None)
        if lead is not None and lead.into.pk != pk:
            step[pk] = lead.into
    return step


REPEAT_REASONS = ("repeat", "same_caller")  # the proposals that say a ticket repeats another of the same caller


def repeated_ticket(ticket):
    """The ticket a call closed as a repeat is filed against: the one its latest repeat flag (or the call-taker's
    choice at intake) names, followed to the ticket handling the matter; None when none names one."""
    named = next((p.target for p in proposals(ticket) if p.reason in REPEAT_REASONS), None)
    return handling_tickets([named])[named.pk] if named is not None else None


def check_intake(user, draft: Draft, limit=5, chosen=None, now=None) -> IntakeCheck:
    """Everything the intake panel shows for a draft: emergency hint, repeat flags, similar open tickets."""
    started = time.perf_counter()
    from jiesu.dispatch.services import ticket_text

    result = IntakeCheck(emergency=emergency_hint(ticket_text(draft.title, draft.text)))
    if len(draft.text.strip()) >= 4:
        result.place = place_of_draft(draft)
        result.candidates, result.building, result.indexed = find_similar(user, draft.text, result.place, limit,
                                                                          chosen=chosen, now=now)
        result.repeats = same_caller(user, draft, result.place, now=now)
    result.seconds = time.perf_counter() - started
    return result


def similar_to_ticket(user, ticket, limit=3, exclude=()):
    """Open tickets like an existing one (for the dispatcher's ticket page), itself and its family left out."""
    exclude = {ticket.pk, *exclude} | set(ticket.merged_children.values_list("pk", flat=True))
    if ticket.parent_id:
        exclude.add(ticket.parent_id)
    found, _building, _n = find_similar(user, f"{ticket.title} {ticket.text}", place_of_ticket(ticket), limit,
                                        exclude=exclude)
    return found


@dataclass
class TicketDuplicates:
    """What a ticket's duplicate panel lists besides the emergency prompt."""

    proposals: list     # this ticket's own proposals and flags (Proposal), pending or retired, newest first
    incoming: list      # similar tickets with a pending proposal into this one (Candidate): proposals, not offers
    similar: list       # other similar open tickets (Candidate), each marked with its own pending proposal


def ticket_duplicates(user, ticket, limit=3):
    """The duplicate panel of a ticket page. A ticket already proposed for merging into this one is listed as that
    proposal, not offered again as a new candidate; the tickets this one is proposed into, or was split apart
    from, are not offered either."""
    if not ticket.is_open:  # closed, answered, merged: its page says what became of it, nothing is pending
        return TicketDuplicates([], [], [])
    mine = [p for p in proposals(ticket) if p.shown]
    taken = {t.pk for p in mine for t in (p.target, p.into)} | split_apart(ticket)
    found = similar_to_ticket(user, ticket, limit * 2, exclude=taken)
    incoming = [c for c in found if c.proposal is not None and c.proposal.into.pk == ticket.pk]
    return TicketDuplicates(mine, incoming, [c for c in found if c not in incoming][:limit])


# ── after the ticket is recorded ────────────────────────────────────────────

PROPOSED = "duplicate_proposed"


def propose_merge(user, ticket, parent_id, reason="intake", note=""):
    """Record the call-taker's choice: `ticket` repeats the open ticket `parent_id`; the dispatcher merges.
    A ticket merged meanwhile (the dispatcher may merge it while the call-taker types) is taken as its
    parent's: the proposal names the ticket chosen and is carried out into the one handling the matter."""
    from django.utils.translation import gettext as _

    from jiesu.core import scoping
    from jiesu.core.errors import Conflict, DomainError
    from jiesu.tickets import services
    from jiesu.tickets.models import OPEN_STATES, Ticket

    note = services.optional_note(note)
    parent = Ticket.objects.filter(pk=parent_id).select_related("parent").first() if parent_id else None
    if parent is None or parent.pk == ticket.pk or not scoping.can_view(user, parent):
        raise DomainError(_("There is no ticket with that number."), field="merge_into")
    into = parent.handled_as
    if into.state not in OPEN_STATES or into.parent_id or into.pk == ticket.pk:
        raise Conflict(_("A ticket can only be merged into an open ticket that is not itself merged."))
    sim = text_similarity(f"{ticket.title} {ticket.text}", f"{parent.title} {parent.text}", OPEN_INDEX.index)
    return services.record_event(ticket, PROPOSED, user, ticket.state, ticket.state, note, parent=parent.pk,
                                 parent_number=parent.number, text_similarity=round(sim, 3), reason=reason)


# What became of a proposal, worked out when read (nothing is recorded when it lapses: the history holds the
# proposal and, on the other ticket, what closed or merged it).
PENDING = "pending"   # the merge can be carried out now
DONE = "done"         # carried out: one of the two was merged into the other (or both into a third)
SETTLED = "settled"   # this ticket is no longer open, or was merged elsewhere: nothing pending on it
SPLIT = "split"       # the two were split apart (a dissatisfied citizen's request is handled on its own)
FINISHED = ("closed", "answered", "replied")  # the ticket it would go into is finished: the fate is its state


@dataclass
class Proposal:
    """A merge proposal or same-caller flag (the latest `duplicate_proposed` event naming a ticket) and its fate.

    It counts only while the merge can be carried out: into the ticket named, or the one that ticket has since
    been merged into (a merge takes a ticket's duplicates along; a proposal follows it the same way). A
    same-caller flag whose earlier ticket is finished still asks a person, while this ticket awaits dispatch,
    whether it is a repeat without new facts (条例 Art.11 class 3)."""

    event: object
    child: object           # the ticket proposed for merging
    target: object          # the ticket the event names
    into: object            # where the merge would go now: the target, or the ticket it was merged into
    fate: str = PENDING     # PENDING, DONE, SETTLED, SPLIT, or the finished state of `into` (FINISHED)
    into_this: bool = False   # set by the panel: the merge goes the other way (services.merge_parent)
    may_merge: bool = False   # set by the panel: the user may carry it out in that direction

    @property
    def reason(self):
        return self.event.payload.get("reason") or "intake"

    @property
    def text_similarity(self):
        return self.event.payload.get("text_similarity")

    @property
    def pending(self):
        return self.fate == PENDING

    @property
    def followed(self):
        """The ticket named was merged into another since: the merge goes there."""
        return self.into.pk != self.target.pk

    @property
    def repeat_question(self):
        from jiesu.tickets.models import State

        return self.reason == "same_caller" and self.fate in FINISHED and self.child.state == State.NEW

    @property
    def undecided(self):
        """A person still has to decide (auto-dispatch leaves the ticket alone)."""
        return self.pending or self.repeat_question

    @property
    def shown(self):
        return self.fate not in (DONE, SETTLED)

    @property
    def repeat_note(self):
        return repeat_note(self.target.number)


def _fate(child, target, into, split):
    from jiesu.tickets.models import OPEN_STATES

    if child.pk in (target.parent_id, into.pk) or (child.parent_id and child.parent_id in (target.pk, into.pk)):
        return DONE
    if child.state not in OPEN_STATES or child.parent_id:
        return SETTLED
    if {frozenset((child.pk, target.pk)), frozenset((child.pk, into.pk))} & split:
        return SPLIT
    if into.state in OPEN_STATES and not into.parent_id:
        return PENDING
    return str(into.state) if into.state in FINISHED else SETTLED


def _split_pairs(ids):
    """{frozenset((a, b))} of the tickets among `ids` split apart (a `split_off` event on the parent names the
    child); looked up by ticket, both ends being among `ids`."""
    from jiesu.tickets.models import TicketEvent

    rows = TicketEvent.objects.filter(ticket_id__in=list(ids), kind="split_off").values_list("ticket_id", "payload")
    return {frozenset((tid, payload["child"])) for tid, payload in rows if payload.get("child")}


def _proposals_of(children):
    """{child id: [Proposal, newest first]} for the tickets `children` ({id: Ticket}): five queries at most."""
    from jiesu.tickets.models import Ticket, TicketEvent

    out = {pk: [] for pk in children}
    latest = {}
    for e in TicketEvent.objects.filter(ticket_id__in=list(children), kind=PROPOSED).order_by("-at", "-id"):
        if e.payload.get("parent"):
            latest.setdefault((e.ticket_id, e.payload["parent"]), e)
    if not latest:
        return out
    tickets = Ticket.objects.select_related("street", "community")
    known = {t.pk: t for t in tickets.filter(pk__in={pid for _c, pid in latest})}
    known |= {t.pk: t for t in tickets.filter(pk__in={t.parent_id for t in known.values()} - known.keys())}
    split = _split_pairs(set(children) | known.keys())
    for (cid, pid), event in latest.items():
        target = known.get(pid)
        if target is None:
            continue
        into = known.get(target.parent_id, target)
        out[cid].append(Proposal(event, children[cid], target, into, _fate(children[cid], target, into, split)))
    return out


def proposals(ticket):
    """The tickets this one was proposed for merging into or flagged as a repeat of (each once, newest first),
    with what became of each (Proposal.fate)."""
    return _proposals_of({ticket.pk: ticket})[ticket.pk]


def awaiting_decision(tickets):
    """The ids of those of `tickets` with a proposal or flag a person has still to decide (Proposal.undecided):
    auto-dispatch leaves them alone. A few queries for any number of tickets, one when none has a proposal."""
    found = _proposals_of({t.pk: t for t in tickets})
    return {pk for pk, mine in found.items() if any(p.undecided for p in mine)}


def pending_proposals(tickets):
    """{ticket id: its latest pending Proposal} of those of `tickets` that have one."""
    found = _proposals_of({t.pk: t for t in tickets})
    return {pk: pending[0] for pk, mine in found.items() if (pending := [p for p in mine if p.pending])}


def proposed_parents(ticket_ids):
    """{ticket id: id of the ticket its latest pending proposal would merge it into} (for queues)."""
    from jiesu.tickets.models import Ticket

    return {pk: p.into.pk for pk, p in pending_proposals(Ticket.objects.filter(pk__in=list(ticket_ids))).items()}


def _mark_proposed(candidates):
    """Mark each candidate already proposed for merging into a ticket: offered still, and said so."""
    found = pending_proposals([c.ticket for c in candidates]) if candidates else {}
    for c in candidates:
        c.proposal = found.get(c.ticket.pk)


def split_apart(ticket):
    """Ids of the tickets this one was split off from or that were split off from it (a dissatisfied citizen's
    request is handled on its own: offering to merge it back would undo that)."""
    from jiesu.tickets.models import TicketEvent

    mine = {e["child"] for e in ticket.events.filter(kind="split_off").values_list("payload", flat=True)
            if e.get("child")}
    theirs = set(TicketEvent.objects.filter(kind="split_off", payload__child=ticket.pk).values_list("ticket_id",
                                                                                                   flat=True))
    return mine | theirs


def repeat_note(number):
    """The 分类处置 note of a ticket closed as the same caller's repeat of ticket `number`."""
    return f"重复诉求，无新情况：同一来电人已于 {number} 反映"


def emergency_note(number, hint=None):
    """The 分类处置 note of a ticket closed as an emergency transferred to `number` (110/119/120/122)."""
    what = hint.label.split("：")[0] if hint and hint.number == number else SERVICES[number]
    return f"紧急事项（{what}），已转 {number} {SERVICES[number]}"


def parse_then(value):
    """The intake form's follow-up button: "emergency:119", "repeat:<ticket id>" → (class, detail) or None."""
    kind, _sep, detail = (value or "").partition(":")
    if kind == "emergency" and detail in SERVICES:
        return "emergency", detail
    if kind == "repeat" and detail.isdigit():
        return "repeat", int(detail)
    return None


def after_intake(user, ticket, merge_into=None, then=""):
    """Do what the call-taker chose on the intake form, once the ticket is recorded.

    Returns [(level, message)] for the page. `then` closes the new ticket as
    分类处置 (emergency transferred to a line, or a repeat of an earlier ticket);
    otherwise `merge_into` records a merge proposal for the dispatcher.
    Nothing here undoes the recording: a refusal is reported, the ticket stays.
    """
    from django.utils.translation import gettext as _

    from jiesu.core.errors import DomainError
    from jiesu.dispatch.services import emergency_of
    from jiesu.tickets import services
    from jiesu.tickets.models import SpecialClass, Ticket

    out = []
    if not may_check(user):  # a citizen's web form, a grid worker's report: nobody saw the panel
        flag_repeats_quietly(user, ticket)
        return out
    follow = parse_then(then)
    if then and follow is None:
        out.append(("warning", _("The ticket is recorded, but: %(message)s") % {
            "message": _("the chosen closing “%(v)s” is not one the form offers; the ticket stays open.") % {
                "v": then}}))
    try:
        if follow and follow[0] == "emergency":
            number = follow[1]
            hint = emergency_of(ticket)
            services.close_special(user, ticket, SpecialClass.EMERGENCY, emergency_note(number, hint))
            out.append(("success", _("Closed as special class: emergency, transferred to %(n)s.") % {"n": number}))
        elif follow and follow[0] == "repeat":
            earlier = next((r.ticket for r in same_caller(user, Draft(
                text=ticket.text, phone=ticket.citizen_phone, anonymous=ticket.anonymous),
                place_of_ticket(ticket), exclude=[ticket.pk], limit=30) if r.names(follow[1])), None)
            if earlier is None:  # the form offers only the same caller's recent tickets: anything else is not one
                raise DomainError(_("The earlier ticket chosen is not a recent request of the same caller about "
                                    "this: not closed as a repeat."), field="then")
            services.record_event(ticket, PROPOSED, user, ticket.state, ticket.state, "", parent=earlier.pk,
                                  parent_number=earlier.number, reason="repeat")
            services.close_special(user, ticket, SpecialClass.REPEAT,
                                   repeat_note(earlier.number))
            out.append(("success", _("Closed as special class: repeat of %(number)s.") % {"number": earlier.number}))
        elif merge_into:
            parent = propose_merge(user, ticket, merge_into)
            out.append(("info", _("Proposed to the dispatcher as a duplicate of %(number)s.")
                        % {"number": parent.payload["parent_number"]}))
    except DomainError as exc:
        out.append(("warning", _("The ticket is recorded, but: %(message)s") % {"message": exc.message}))
    if ticket.state != "closed":  # recorded as a request, also when the chosen closing was refused (close_special
        # locks and updates this very object, so its state is the database's)
        out += flag_repeats(user, ticket)
    return out


def _emergency_words(hint):
    from jiesu.dispatch.wording import emergency_words

    return emergency_words(hint)


def flag_repeats_quietly(user, ticket):
    """flag_repeats for a ticket no call-taker saw (a citizen's web form or app, a grid worker's report, another
    system): flagged by the user if they may use the panel, else by the `system` user; the citizen is told
    nothing (the flag names other tickets). A failed check never makes the intake fail: the ticket is recorded."""
    from jiesu.dispatch.services import system_user

    try:
        flag_repeats(user if may_check(user) else system_user(), ticket)
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).exception("intake: the same-caller check failed for ticket %s", ticket.pk)


def flag_repeats(user, ticket):
    """Record on a ticket recorded as a new request that the same caller reported the same problem lately.

    The call-taker did not close it as a repeat (条例 Art.11 class 3): there may be new facts. The
    flag (a `duplicate_proposed` event, reason "same_caller", per earlier ticket) shows in the
    dispatcher's duplicate panel, where the earlier ticket can be merged into or the new one closed.
    """
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    from jiesu.dispatch.wording import in_platform_language, same_caller_note
    from jiesu.tickets import services

    draft = Draft(text=ticket.text, phone=ticket.citizen_phone, anonymous=ticket.anonymous)
    repeats = same_caller(user, draft, place_of_ticket(ticket), exclude=[ticket.pk])
    if repeats:  # already proposed for merging: said once
        proposed = {p.target.pk for p in proposals(ticket)}
        repeats = [r for r in repeats if r.ticket.pk not in proposed]
    for r in repeats:
        facts = {"parent": r.ticket.pk, "parent_number": r.ticket.number, "text_similarity": round(r.text, 3),
                 "reason": "same_caller", "days": r.days, "place_reason": r.place_reason,
                 **({"distance_m": round(r.distance_m)} if r.distance_m is not None else {})}
        services.record_event(ticket, PROPOSED, user, ticket.state, ticket.state,
                              in_platform_language(same_caller_note, facts), **facts)
    if not repeats:
        return []
    return [("warning", _("Flagged as a possible repeat of %(numbers)s (the same caller); the dispatcher decides.")
             % {"numbers": pgettext("between names in a list", ", ").join(r.ticket.number for r in repeats)})]
