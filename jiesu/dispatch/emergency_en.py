"""Emergency wording in English: a foreign caller's words as the call-taker types them (12345's foreign-language
service), or an English request from the app.

The lines are the Chinese rules' (duplicates.RULES, found by their `what`), so the label, its order and its
wording in the page's language are theirs. English has words between spaces, so a phrase is matched as whole
words in one sentence, and the Chinese rules' ideas are kept in a small form: strong phrases tell an event (on
fire, stabbed, passed out); weak ones may as well tell a nuisance or a story (smoke, injured) and are blocked by
context words (a barbecue's smoke, hurt in hospital) unless the sentence is urgent; hazards, films and games,
claims and advice block every phrase; a phrase shortly after a denial or a fear (no one is hurt, in case of
fire, almost hit by a car) does not count; a sentence about the past (yesterday, last week, in 2019) counts only
for the police. Pure: no Django.
"""
import re
from dataclasses import dataclass

#: The first N characters are read, as the Chinese rules read the first duplicates.EMERGENCY_HEAD: English takes
#: about three times the characters for the same words.
HEAD = 360


def _any(*phrases):
    """One pattern of whole-word phrases; a space in a phrase stands for any white space or hyphen."""
    return re.compile(r"\b(?:" + "|".join(p.replace(" ", r"[\s-]+") for p in phrases) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class EnglishRule:
    what: str                # the Chinese rule's `what` (火情, 燃气泄漏, …): its line and its words
    words: re.Pattern        # strong: an event
    weak: re.Pattern = None  # weak: an event, a nuisance or a story
    blocks: re.Pattern = None   # anywhere in the sentence, these block every phrase
    context: re.Pattern = None  # anywhere in the sentence, these block the weak phrases (unless URGENT)
    after: re.Pattern = None    # right after the phrase, these make it something else (fire exit, accident-prone)
    past_counts: bool = False   # a past event still belongs to this line (an assault is a police case)
    feared_counts: bool = False  # a fear or a maybe is reported as the event (there might be a gas leak)


_HAZARD = ("risk", "risks", "risky", "hazard", "hazards", "hazardous", "prevent", "prevention", "preventing", "drill",
           "drills", "training", "inspection", "inspections", "inspect", "campaign", "statistics", "often",
           "frequently", "every day", "always", "regularly", "safety check", "safety checks", "alarm test")
_MEDIA = ("movie", "movies", "film", "films", "game", "games", "tv", "television", "news", "novel", "video",
          "videos", "show")
_CLAIMS = ("insurance", "claim", "claims", "compensation", "compensate", "reimburse", "reimbursement", "lawsuit",
           "sue", "liability", "who pays", "how much does", "fee", "fees", "bill")
#: Right after a phrase: a hazard or a question (fire risk, a gas leak detector, what to do if …).
_DANGER = ("risk", "risks", "hazard", "hazards", "danger", "detector", "detectors", "alarm", "alarms")

RULES = (
    EnglishRule("火情", _any(
        "on fire", "caught fire", "catching fire", "is burning", "are burning", "burning down", "burnt down",
        "burned down", "in flames", "flames", "explosion", "exploded", "blew up", "arson", "fire broke out",
        "a fire in", "a fire at", "fire in the", "fire at the", "smoke is pouring", "smoke pouring", "full of smoke",
        "filled with smoke", "smoke coming out of the window", "smoke coming out of the windows"),
        weak=_any("fire", "smoke", "black smoke", "thick smoke", "smells of burning"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS),
        context=_any("barbecue", "bbq", "grill", "cigarette", "cigarettes", "smoker", "smokers", "second hand",
                     "secondhand", "balcony", "chimney", "cooking", "kitchen", "restaurant", "pollution",
                     "emissions", "factory", "burning trash", "burning garbage", "burning rubbish", "burning leaves",
                     "straw", "noise", "nuisance", "every", "comes into", "drifts"),
        after=_any(*_DANGER, "safety", "exit", "exits", "escape", "drill", "door", "doors", "lane", "lanes",
                   "extinguisher", "extinguishers", "station", "hydrant", "code", "department", "brigade",
                   "engine", "truck", "fighters", "fighting")),
    EnglishRule("燃气泄漏", _any(
        "gas leak", "gas leaks", "gas leaking", "gas is leaking", "leaking gas", "smell of gas", "smells of gas",
        "smell gas", "smelling gas", "gas smell", "gas smells", "gas alarm is going off", "gas alarm going off",
        "gas alarm keeps beeping", "gas alarm is beeping", "gas detector is beeping", "gas pipe is leaking",
        "gas pipe leaking", "leak of gas"),
        blocks=_any(*(w for w in _HAZARD if w != "alarm test"), *_MEDIA, *_CLAIMS, "repaired", "repair fee"),
        after=_any("detector", "detectors", "sensor", "sensors", "check", "inspection", "insurance"),
        feared_counts=True),
    EnglishRule("危险化学品泄漏或化工厂险情", _any(
        "chemical leak", "chemical leaking", "chemical spill", "chemicals leaking", "toxic gas", "poison gas",
        "ammonia leak", "ammonia leaking", "chlorine leak", "chlorine gas", "acid leak", "acid spill",
        "tanker overturned", "tanker has overturned", "chemical plant is on fire", "chemical plant explosion",
        "chemical plant is smoking", "chemical factory is on fire", "chemical factory explosion"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "emergency plan", "exercise")),
    EnglishRule("有人被困", _any(
        "trapped in", "trapped inside", "stuck in the lift", "stuck in the elevator", "stuck in a lift",
        "stuck in an elevator", "stuck between floors", "can't get out", "cannot get out", "can not get out",
        "fell into a manhole", "fell into the manhole", "fell into a well", "fell down a well", "buried alive",
        "buried under", "locked in the lift", "locked in the elevator"),
        weak=_any("trapped", "lift is stuck", "elevator is stuck", "lift stuck", "elevator stuck"),
        blocks=_any(*_HAZARD, *_MEDIA, "several times", "many times", "repair", "repaired", "maintenance",
                    "lockdown", "quarantine"),
        context=_any("problem", "problems", "feel trapped", "feeling trapped")),
    EnglishRule("暴力或治安警情", _any(
        "beating someone", "beating him", "beating her", "beating me", "beating a", "beating people",
        "being beaten", "was beaten", "got beaten", "beat me", "beat him", "beat her", "hit me", "hitting me",
        "attacked", "attacking", "assault", "assaulted", "stabbed", "stabbing", "with a knife", "holding a knife",
        "knife attack", "has a gun", "with a gun", "shooting", "shot at", "robbed", "robbery", "mugged",
        "mugging", "kidnapped", "kidnapping", "raped", "rape", "sexual assault", "domestic violence",
        "beats his wife", "beats her", "suicide", "going to jump", "threatening to jump", "threatening to kill",
        "people are fighting", "men are fighting", "a fight", "fist fight", "street fight", "break in",
        "broke in", "burglary", "burglar"),
        weak=_any("fighting", "fight"),
        blocks=_any(*_MEDIA, "prevention", "training", "lecture", "consult", "consultation", "lawsuit",
                    "divorce", "legal aid", "self defense", "self defence"),
        context=_any("price", "prices", "rights", "for my", "for our", "for their", "court", "against the",
                     "fight back", "fighting spirit", "match"),
        past_counts=True),
    EnglishRule("交通事故", _any(
        "car crash", "car accident", "crashed", "crash", "collision", "collided", "hit by a car", "hit by a bus",
        "hit by a truck", "hit by a taxi", "hit by a vehicle", "hit by a motorbike", "hit by a scooter",
        "hit by an e bike", "ran over", "run over", "hit and run", "rear ended", "overturned", "knocked down by"),
        weak=_any("traffic accident", "accident"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "responsibility", "hospital", "suggest", "suggestion",
                    "computer", "website", "app", "system"),
        context=_any("traffic light", "traffic lights", "speed bump", "at work", "workplace"),
        after=_any("prone", "report", "certificate", "responsibility", "insurance", "claim", "black spot",
                   "statistics")),
    EnglishRule("有人受伤或急病", _any(
        "unconscious", "passed out", "fainted", "collapsed", "not breathing", "stopped breathing",
        "can't breathe", "cannot breathe", "can not breathe", "heart attack", "seizure", "convulsing",
        "bleeding heavily", "lots of blood", "covered in blood", "won't stop bleeding", "electrocuted",
        "drowning", "drowned", "fell into the river", "fell into the lake", "fell into the water",
        "call an ambulance", "need an ambulance", "needs an ambulance", "overdose", "overdosed",
        "lying on the ground", "won't wake up", "not moving"),
        weak=_any("injured", "injury", "injuries", "hurt", "bleeding", "broken leg", "broken arm", "broken bone",
                  "burned", "burnt", "scalded", "fell down", "fell off", "bitten by a dog", "dog bite",
                  "poisoned", "poisoning", "stroke", "short of breath", "hit by falling"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "consult", "consultation", "after effects", "recovered",
                    "recovery", "no injuries", "no one was injured", "nobody was injured", "no casualties"),
        context=_any("hospital", "doctor", "doctors", "patient", "patients", "surgery", "clinic", "food", "pollution",
                     "air", "smell", "smells", "dust", "fumes", "many", "several", "feelings", "feeling",
                     "pride", "business", "sales", "market", "reputation", "credit")),
)

_DENIALS = ("no", "not", "never", "nobody", "none", "without", r"prevent\w*", r"avoid\w*", "if", "in case of",
            "in case", "almost", "nearly")
_FEARS = ("afraid", "worried", "worry", "fear", "could", "might", "may")


def _denied_by(words):
    return re.compile(r"(?:\b(?:" + "|".join(words) + r")\b|n't)[^,.;:]{0,16}$", re.IGNORECASE)


#: Shortly before a phrase, these deny it or make it a fear, a what-if or a near miss.
_DENIED = _denied_by(_DENIALS + _FEARS)
#: For a rule whose suspicion is reason enough (a gas leak one fears is reported as one: 怀疑燃气泄漏), only denials.
_DENIED_ONLY = _denied_by(_DENIALS)
_PAST = _any("yesterday", "last night", "last week", "last month", "last year", "ago", "previously",
             "the other day", "in 19\\d\\d", "in 20\\d\\d")
_NOW = _any("now", "right now", "just now", "currently", "still", "today", "tonight", "this morning")
#: Urgency: the weak phrases count among context words (someone is injured in the restaurant, hurry).
URGENT = _any("help", "hurry", "quick", "quickly", "urgent", "urgently", "immediately", "asap", "emergency",
              "right now", "come now")
#: Any phrase of any rule, to pass over at once the sentences that hold none (most).
_ANY_PHRASE = re.compile("|".join(p.pattern for rule in RULES for p in (rule.words, rule.weak) if p is not None),
                         re.IGNORECASE)
_SENTENCES = re.compile(r"(?<![0-9])[.!?;\n]+|[。！？；]+")


def _latin_half(text):
    """Whether at least half of the text is ASCII: English is read, not a Chinese letter with a link or an "APP"
    in it (this costs ~0.3 µs on a Chinese head, a regular expression ten times more)."""
    return len(text.encode("ascii", "ignore")) * 2 >= len(text) > 0


def _counts(rule, pattern, sentence):
    """Whether a phrase of `pattern` stands in the sentence, neither denied nor made something else."""
    for found in pattern.finditer(sentence):
        if rule.after is not None and rule.after.match(sentence[found.end():].lstrip(" -")):
            continue
        if not (_DENIED_ONLY if rule.feared_counts else _DENIED).search(sentence[:found.start()]):
            return True
    return False


def _fires(rule, sentence, past):
    if past and not rule.past_counts:
        return False
    if rule.blocks is not None and rule.blocks.search(sentence):
        return False
    if _counts(rule, rule.words, sentence):
        return True
    if rule.weak is None:
        return False
    blocked = rule.context is not None and rule.context.search(sentence) and not URGENT.search(sentence)
    return not blocked and _counts(rule, rule.weak, sentence)


def fired(text):
    """The `what`s of the rules the English of `text` fires (duplicates.RULES' names), in the rules' order."""
    head = (text or "")[:HEAD]
    if not _latin_half(head):
        return ()
    found = []
    for sentence in _SENTENCES.split(head):
        if not _latin_half(sentence) or not _ANY_PHRASE.search(sentence):
            continue
        past = bool(_PAST.search(sentence)) and not _NOW.search(sentence)
        found += [rule.what for rule in RULES if rule.what not in found and _fires(rule, sentence, past)]
    return tuple(found)
