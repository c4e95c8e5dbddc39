"""Whether a ticket's text reports or accuses a unit (pure): auto-dispatch leaves such a ticket to a person, and
the desk says why (services.holds), so that a report never reaches the unit it reports on by machine.

- a report in words (举报, 检举, 揭发): reason "report", whatever request type the call-taker chose;
- misconduct words that accuse an office by themselves (包庇, 不作为, 受贿, 吃拿卡要, 保护伞…): "accuses_unit";
- an official, or one of the units named (the one a ticket would go to), doing what staff must not (打人, 辱骂,
  刁难, 推诿…) in the same clause, shortly after it and with nobody else in between (城管队员把人打伤了;
  东华门街道工作人员态度恶劣): "accuses_unit". 「城管不管占道经营」 asks the unit to act, which is what a
  dispatch to it does: no hold; nor a street named as the place (东华门街道王府井大街有人占道经营).

English texts (the 311 data, English-speaking installs) the same way, by whole words in any case: a whistleblower
("report" alone asks for a pothole to be fixed: no hold), words accusing an office by themselves (bribe, corruption,
kickbacks, misconduct, covering up for …), and an official (officer, inspector, city employee, staff … or a unit
named) doing what staff must not in the same clause, shortly before it (the inspector took money; the staff were
rude and refused to help) or after it, named by "by" (I was harassed by a building department employee).
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

EN_REPORT_WORDS = ("whistleblower", "whistle-blower", "whistleblowing", "blow the whistle", "blowing the whistle")

EN_MISCONDUCT_WORDS = (
    "bribe", "bribes", "bribed", "bribery", "bribing", "corrupt", "corruption", "kickback", "kickbacks", "embezzle",
    "embezzled", "embezzling", "embezzlement", "extort", "extorted", "extorting", "extortion", "under the table",
    "abuse of power", "abuse of authority", "abuse of office", "misconduct", "cover up for", "covering up for",
    "covered up for", "covers up for", "on the take", "hush money", "payoff", "payoffs", "police brutality",
    "excessive force",
)

#: Who acts for a unit, in English. Not "department" or "city" alone, which name the unit asked to act.
EN_OFFICIAL_WORDS = (
    "officer", "officers", "police", "policeman", "policemen", "policewoman", "cop", "cops", "inspector",
    "inspectors", "city worker", "city workers", "city employee", "city employees", "employee", "employees",
    "staff", "staffer", "clerk", "clerks", "official", "officials", "supervisor", "crew", "agent", "agents",
    "ranger", "warden", "deputy", "sheriff", "department head", "caseworker", "case worker", "sergeant",
    "detective", "trooper", "marshal", "council member", "councilman", "councilwoman",
)

#: What staff must not do, in English; a push or a blow at a person only (the crew pushed the bins: no).
EN_CONDUCT = (
    r"(?:hit|pushed|shoved|grabbed|struck) (?:me|him|her|us|them|my \w+|an? (?:\w+ )?(?:man|woman|boy|girl|child|kid))",
    r"(?:hit|pushed|shoved|grabbed|struck)(?= by)",
    r"punched", r"kicked", r"slapped", r"assaulted", r"attacked", r"beat (?:me|him|her|us|them|up)", r"beaten",
    r"choked", r"tased", r"threatened", r"threatening", r"harassed", r"harassing", r"intimidated",
    r"(?:yelled|shouted|screamed|cursed|swore|swearing|yelling|shouting|cursing) at", r"insulted", r"mocked",
    r"verbally abused", r"abused", r"abusive", r"racial slurs?", r"rude", r"disrespectful", r"unprofessional",
    r"refused to (?:help|assist|take|accept|listen)", r"refuses to (?:help|assist|take|accept|listen)",
    r"hung up on", r"pass(?:ed|ing)? the buck", r"(?:took|takes|taking|accepted|accepting) (?:money|cash|a bribe)",
    r"(?:demanded|demanding|asked me for|asked for) (?:money|cash|a payment|payment)", r"stole",
)

#: Someone else named between the official and the deed, or a clause of its own begun (I called the police because
#: the man next door threatened me): the deed is not the official's.
EN_OTHER_ACTORS = ("someone", "somebody", "man", "men", "woman", "women", "guy", "guys", "person", "people", "kid",
                   "kids", "neighbor", "neighbors", "neighbour", "neighbours", "landlord", "driver", "owner", "tenant",
                   "customer", "vendor", "security guard", "because", "when", "while", "after", "since", "although",
                   "if", "until")

EN_ACTOR_REACH = 40  # characters between the end of an official's name and the deed, at most


def _any_of(words):
    return re.compile("|".join(map(re.escape, sorted(words, key=len, reverse=True))))  # the longest first


def _any_word_of(patterns):
    """Any of `patterns` (regular expressions) as whole words, in any case."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE)


def _any_english_word_of(words):
    return _any_word_of(map(re.escape, sorted(words, key=len, reverse=True)))


_REPORT, _MISCONDUCT, _DEED = _any_of(REPORT_WORDS), _any_of(MISCONDUCT_WORDS), _any_of(CONDUCT_WORDS)
_REPORT_EN, _MISCONDUCT_EN = _any_english_word_of(EN_REPORT_WORDS), _any_english_word_of(EN_MISCONDUCT_WORDS)
_OFFICIAL_EN, _OTHER_EN = _any_english_word_of(EN_OFFICIAL_WORDS), _any_english_word_of(EN_OTHER_ACTORS)
_DEED_EN = _any_word_of(EN_CONDUCT)
_NEGATED_EN = re.compile(r"(?:\b(?:not|never|no)|n['’]t)\s*$", re.IGNORECASE)
_BY = re.compile(r"\s+by\b", re.IGNORECASE)
#: Where the agent named after "by" ends: a preposition, a relative or a conjunction.
_AGENT_END = re.compile(r"\b(?:at|in|on|near|outside|inside|from|with|of|to|for|during|driven|who|that|which|and|"
                        r"or|when|while|because|after)\b", re.IGNORECASE)
_LOWER_WORD, _UPPER_WORD = re.compile("[a-z][a-z][a-z]"), re.compile("[A-Z][A-Z][A-Z]")  # [a-z]{3} is slower
_ASCII_RUN = re.compile("[\x00-\x7f‘’“”–—]{3,}")


@dataclass(frozen=True)
class Accusation:
    reason: str  # "report" or "accuses_unit"
    words: str   # what was found, as written: 举报 / 收好处 / 城管…打人


def accusation_in(text, unit_names=()):
    """The first Accusation in `text` (title and description), or None. `unit_names`: the units the ticket would
    go to, whose names count as an official's when they do what staff must not."""
    text = text or ""
    unit_names = tuple(name for name in unit_names if name)
    found = _words_in(text, _REPORT, _MISCONDUCT)
    if found is None:
        found = _deed_of_an_official(text, OFFICIAL_WORDS + unit_names)
    for run in _english_runs(text) if found is None else ():
        found = _words_in(run, _REPORT_EN, _MISCONDUCT_EN) or _english_accusation(run, unit_names)
        if found is not None:
            break
    return found


def _words_in(text, report_words, misconduct_words):
    for reason, words in (("report", report_words), ("accuses_unit", misconduct_words)):
        found = words.search(text)
        if found is not None:
            return Accusation(reason, found.group())
    return None


def _deed_of_an_official(text, actors):
    for deed in _DEED.finditer(text):
        actor = _official_before(text, deed.start(), actors)
        if actor is not None:
            return Accusation("accuses_unit", f"{actor}…{deed.group()}")
    return None


def _english_runs(text):
    """The English parts of `text` (runs of ASCII holding a word of three letters): the English rules cost ten times
    the Chinese ones and read no Chinese text (its pseudonymised places, A市, hold single letters only; a web
    address in a Chinese letter is read alone)."""
    if _LOWER_WORD.search(text) is None and _UPPER_WORD.search(text) is None:
        return []
    if text.isascii():
        return [text]
    return [run.group() for run in _ASCII_RUN.finditer(text)
            if _LOWER_WORD.search(run.group()) or _UPPER_WORD.search(run.group())]


def _english_accusation(text, unit_names):
    """An official doing what staff must not, in English: named before the deed (_english_official_before) or
    after it by "by" (harassed by an inspector)."""
    for deed in _DEED_EN.finditer(text):
        actor = _english_official_before(text, deed.start(), unit_names)
        if actor is not None:
            return Accusation("accuses_unit", f"{actor}…{deed.group()}")
        actor = _english_official_after_by(text, deed.end(), unit_names)
        if actor is not None:
            return Accusation("accuses_unit", f"{deed.group()}…{actor}")
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


def _english_official_before(text, start, unit_names):
    """_official_before in English: whole words, EN_ACTOR_REACH, EN_OTHER_ACTORS, a denial (did not, never) just
    before the deed."""
    before = _CLAUSE.split(text[max(0, start - 120):start])[-1]
    if _NEGATED_EN.search(before):
        return None
    found = [(m.end(), m.group()) for m in _OFFICIAL_EN.finditer(before)]
    found += [(before.rfind(name) + len(name), name) for name in unit_names if name in before]
    if not found:
        return None
    end, actor = max(found)
    between = before[end:]
    if len(between) > EN_ACTOR_REACH or _OTHER_EN.search(between):
        return None
    return actor


def _english_official_after_by(text, end, unit_names):
    """The official a passive deed names after "by" (harassed by a building department employee at my home): the
    words up to the first preposition or clause, so "hit by a car near the police station" names the car."""
    by = _BY.match(text, end)
    if by is None:
        return None
    phrase = _AGENT_END.split(_CLAUSE.split(text[by.end():by.end() + 80])[0], 1)[0]
    found = _OFFICIAL_EN.search(phrase)
    if found is not None:
        return found.group()
    return next((name for name in unit_names if name in phrase), None)
