"""Whether a ticket's text reports or accuses a unit (pure): auto-dispatch leaves such a ticket to a person, and
the desk says why (services.holds), so that a report never reaches the unit it reports on by machine.

- a report in words (举报, 检举, 揭发): reason "report", whatever request type the call-taker chose;
- misconduct words that accuse an office by themselves (包庇, 不作为, 受贿, 吃拿卡要, 保护伞…): "accuses_unit";
- an official, or one of the units named (the one a ticket would go to), doing what staff must not (打人, 辱骂,
  刁难, 推诿…) in the same clause, shortly after it and with nobody else in between (城管队员把人打伤了;
  东华门街道工作人员态度恶劣): "accuses_unit". 「城管不管占道经营」 asks the unit to act, which is what a
  dispatch to it does: no hold; nor a street named as the place (东华门街道王府井大街有人占道经营).
"""
import re
from dataclasses import dataclass

REPORT_WORDS = ("举报", "检举", "揭发")

MISCONDUCT_WORDS = (
    "包庇", "不作为", "乱作为", "慢作为", "收好处", "好处费", "受贿", "索贿", "行贿", "贿赂", "吃拿卡要", "贪污",
    "腐败", "徇私", "保护伞", "渎职", "滥用职权", "以权谋私", "官商勾结", "打击报复", "吃空饷", "收红包", "权钱交易",
)

#: Who acts for a unit: the words a citizen names them by. Not 社区 or 街道 alone, which name places far more often.
OFFICIAL_WORDS = (
    "城管", "执法", "协管", "工作人员", "干部", "民警", "警察", "辅警", "派出所", "书记", "主任", "居委会", "村委会",
    "街道办", "网格员", "局长", "科长", "所长", "队长", "队员", "公务员", "政府",
)

#: What staff must not do, when an official (or a unit named) does it.
CONDUCT_WORDS = (
    "打人", "殴打", "打伤", "打我", "把我打", "把人打", "把他打", "把她打", "骂人", "辱骂", "骂我", "威胁", "恐吓",
    "推搡", "暴力执法", "粗暴执法", "野蛮执法", "态度恶劣", "刁难", "推诿", "踢皮球", "敷衍", "收钱", "索要",
)

#: Someone else named between the official and the deed: the deed is theirs (城管来了以后小贩骂人).
OTHER_ACTORS = ("有人", "老板", "商户", "摊贩", "小贩", "保安", "物业", "司机", "邻居", "居民", "顾客", "店主", "业主")

NEGATED = ("没有", "没", "未", "不是", "并非", "从未", "从没")

ACTOR_REACH = 8  # characters between the end of an official's name and the deed, at most

_CLAUSE = re.compile(r"[，,。.；;！!？?\n]+")


def _any_of(words):
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))  # the longest first


_REPORT, _MISCONDUCT, _DEED = _any_of(REPORT_WORDS), _any_of(MISCONDUCT_WORDS), _any_of(CONDUCT_WORDS)


@dataclass(frozen=True)
class Accusation:
    reason: str  # "report" or "accuses_unit"
    words: str   # what was found, as written: 举报 / 收好处 / 城管…打人


def accusation_in(text, unit_names=()):
    """The first Accusation in `text` (title and description), or None. `unit_names`: the units the ticket would
    go to, whose names count as an official's when they do what staff must not."""
    text = text or ""
    for reason, words in (("report", _REPORT), ("accuses_unit", _MISCONDUCT)):
        found = words.search(text)
        if found is not None:
            return Accusation(reason, found.group())
    actors = OFFICIAL_WORDS + tuple(name for name in unit_names if name)
    for deed in _DEED.finditer(text):
        actor = _official_before(text, deed.start(), actors)
        if actor is not None:
            return Accusation("accuses_unit", f"{actor}…{deed.group()}")
    return None


def _official_before(text, start, actors):
    """The official named last in the deed's clause before `start`, when the deed is not denied right before it and
    follows the official closely enough (ACTOR_REACH) with nobody else named in between (OTHER_ACTORS)."""
    before = _CLAUSE.split(text[max(0, start - 40):start])[-1]
    if before.endswith(NEGATED):
        return None
    found = [(before.rfind(actor) + len(actor), actor) for actor in actors if actor in before]
    if not found:
        return None
    end, actor = max(found)
    between = before[end:]
    if len(between) > ACTOR_REACH or any(other in between for other in OTHER_ACTORS):
        return None
    return actor
