"""Place names in a message's words, for data that carries no place column (pure).

The Teddy Cup messages name their places in the text: a pseudonymised district
(A3区, A7县), and below it estates, roads, schools, villages (米兰春天, 联丰路,
郝家坪小学). `extract(text)` returns (district, [places]) with the district
as written and the finer places most specific first (an estate before the road
it is on). It is a heuristic — a name is the up-to-6 characters before a place
suffix, cut at punctuation and at words that cannot be part of a name — good
enough to label a problem and to tell "the same estate" from "the same district".
"""
from __future__ import annotations

import re
import unicodedata

DISTRICT = re.compile(r"[A-Z]\d{1,2}[区县市]")
CITY = re.compile(r"[A-Z]市|西地省|[A-Z]省")
#: Suffixes of a place name, the most specific kinds first (their order ranks the places found).
SUFFIXES = (
    ("estate", ("小区", "花园", "花苑", "家园", "公寓", "大厦", "新城", "新村", "嘉园", "名苑", "华庭", "雅苑", "山庄",
                "公馆", "府", "苑", "园", "城", "湾", "里")),
    ("facility", ("小学", "中学", "学校", "幼儿园", "医院", "市场", "公园", "广场", "车站", "地铁站", "站", "桥", "隧道")),
    ("village", ("社区", "村", "组", "镇", "乡", "街道")),
    ("road", ("大道", "路", "街", "巷", "线")),
)
_RANK = {s: r for r, (_kind, words) in enumerate(SUFFIXES) for s in words}
_SUFFIX = re.compile("|".join(re.escape(s) for s in sorted(_RANK, key=len, reverse=True)))
#: Characters and words that end a name on its left (a name never contains them).
_STOP = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]|[的在和与及于了是我们你他她它对从向把被给到为有个这那就都也还要请问"
                   r"想能会将已该其此各由因把让使每位号栋楼期]|反映|关于|咨询|投诉|建议|希望|附近|旁边|位于|所在|地处|"
                   r"居住|业主|住户|居民|市民|政府|部门|领导|书记|市长|管理|工程|项目|问题|情况|相关|部分|很多|许多|导致|必须|"
                   r"靠近|目前|全面|开展|类似|进入|左拐|右拐|横跨|所有|整个|周边|经过|本人系|系|近|建|一个|两条")
#: Endings that look like a suffix but are not a place (大道理, 线上, 城管, 路灯 are cut by what follows).
_NOT_AFTER = ("管", "灯", "面", "况", "费", "由", "上", "下", "口", "边")
_GENERIC = {"小区", "花园", "公园", "学校", "小学", "中学", "医院", "市场", "社区", "街道", "乡镇", "马路", "道路", "公路",
            "高速", "农村", "城市", "城区", "县城", "全城", "本村", "本组", "该村", "我村", "路段", "线路", "专线",
            "一线", "二线", "在线", "热线", "新城", "老城", "主城", "进城", "满城", "广场", "车站"}
MAX_NAME = 6
TEXT_CHARS = 120
KEY_CHARS = 3


def normal(text):
    return unicodedata.normalize("NFKC", text or "").replace("\u3000", " ")


def district_of(text):
    """The first district named (A3区), or ''."""
    m = DISTRICT.search(normal(text))
    return m.group(0) if m else ""


def _names(text):
    text = CITY.sub("，", DISTRICT.sub("，", normal(text)))
    for m in _SUFFIX.finditer(text):
        end = m.end()
        if text[end:end + 1] in _NOT_AFTER:
            continue
        left = text[max(0, m.start() - MAX_NAME):m.start()]
        stops = list(_STOP.finditer(left))
        name = left[stops[-1].end():] if stops else left
        if len(name) < 2 and not (len(name) == 1 and len(m.group(0)) == 1):
            name = ""
        full = name + m.group(0)
        if len(full) >= 3 and full not in _GENERIC and not full[0].isdigit():
            yield _RANK[m.group(0)], m.start(), full


def extract(title, text=""):
    """(district or '', [place names]): the title's places first (most specific kind first), then those of
    the text's first `TEXT_CHARS` characters (the rest of a long message names everything around)."""
    ordered = []
    for part in (title, (text or "")[:TEXT_CHARS]):
        found = {}
        for rank, pos, name in _names(part):
            found.setdefault(name, (rank, pos))
        ordered += [n for n in sorted(found, key=lambda n: found[n]) if n not in ordered]
    return district_of(title) or district_of(text), ordered


def place_key(name):
    """A key under which spellings of one place meet: 万科魅力之城 and 魅力之城, 丽发新城小区 and 丽发新城
    (a trailing 小区/社区 is dropped, then the last KEY_CHARS characters are kept)."""
    for tail in ("小区", "社区"):
        if name.endswith(tail) and len(name) - len(tail) >= 2:
            name = name[:-len(tail)]
    return name[-KEY_CHARS:]
