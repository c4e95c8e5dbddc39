"""Emergency wording in English: a foreign caller's words as the call-taker types them (12345's foreign-language
service), or an English request from the app.

The lines are the Chinese rules' (duplicates.RULES, found by their `what`), so the label, its order and its
wording in the page's language are theirs. English has words between spaces, so a phrase is matched as whole
words in one sentence, and the Chinese rules' ideas are kept in a small form: strong phrases tell an event (on
fire, stabbed, passed out); weak ones may as well tell a nuisance or a story (smoke, injured) and are blocked by
context words (a barbecue's smoke, hurt in hospital) unless the sentence is urgent; hazards, films and games,
claims and advice block every phrase; a vehicle or an animal right before a police phrase makes it theirs (a car
hit me is 122's, as 被车撞了 is); a phrase shortly after a denial or a fear (no one is hurt, in case of fire, almost
hit by a car) does not count; a sentence about the past (yesterday, last week, in 2019) counts only
for the police unless the phrase's own clause says now. What a phone types (can’t, “ ”, full-width letters) is
read as ASCII first. Phrases are whole words also beside Chinese characters (gas味). A text with Chinese in it is also
read by the Chinese rules, its short English runs first put in Chinese (`read`: 楼道里gas味很重 as 燃气味); of a
mostly Chinese text only the longer English runs are read here; the Chinese words of a sentence with both may
veto a phrase (`read`'s veto: 上周有个car accident，想问保险怎么报). Pure: no Django.
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import partial

#: The first N characters are read, as the Chinese rules read the first duplicates.EMERGENCY_HEAD: English takes
#: about three times the characters for the same words.
HEAD = 360


#: A whole English word also beside a Chinese character (gas味, 拿着knife): \b fails there, 味 being a word character.
_START, _END = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"


def _any(*phrases):
    """One pattern of whole-word phrases, in lower case, for a sentence in lower case (a case-blind pattern costs
    three times as much; so does a phrase that does not start with a letter); a space in a phrase stands for any
    white space or hyphen."""
    return re.compile(_START + "(?:" + "|".join(p.replace(" ", r"[\s-]+") for p in phrases) + ")" + _END)


@dataclass(frozen=True)
class EnglishRule:
    what: str                # the Chinese rule's `what` (火情, 燃气泄漏, …): its line and its words
    words: re.Pattern        # strong: an event
    weak: re.Pattern = None  # weak: an event, a nuisance or a story
    blocks: re.Pattern = None   # anywhere in the sentence, these block every phrase
    context: re.Pattern = None  # anywhere in the sentence, these block the weak phrases (unless URGENT)
    after: re.Pattern = None    # right after the phrase, these make it something else (fire exit, accident-prone)
    before: re.Pattern = None   # right before the phrase, these make it something else (a car hit me: no fist)
    past_counts: bool = False   # a past event still belongs to this line (an assault is a police case)
    feared_counts: bool = False  # a fear or a maybe is reported as the event (there might be a gas leak)


_HAZARD = ("risk", "risks", "risky", "hazard", "hazards", "hazardous", "prevent", "prevention", "preventing", "drill",
           "drills", "training", "inspection", "inspections", "inspect", "campaign", "statistics", "often",
           "frequently", "every day", "always", "regularly", "safety check", "safety checks", "alarm test")
_MEDIA = ("movie", "movies", "film", "films", "game", "games", "tv", "television", "news", "novel", "video",
          "videos", "show", "advertisement", "advertisements", "advert", "adverts", "commercial")
_CLAIMS = ("insurance", "claim", "claims", "compensation", "compensate", "reimburse", "reimbursement", "lawsuit",
           "sue", "liability", "who pays", "how much does", "fee", "fees", "bill", "refund", "refunds", "refunded",
           "money back", "receipt", "invoice", "price", "prices", "cost", "costs", "overcharged", "discount",
           "warranty", "subsidy", "pay for", "paid for")
#: Right after a phrase: a hazard or a question (fire risk, a gas leak detector, what to do if …).
_DANGER = ("risk", "risks", "hazard", "hazards", "danger", "detector", "detectors", "alarm", "alarms",
           "waiting to happen")  # an accident waiting to happen
#: Electric wires down or sparking (a fire line: 119), and what they do to a person (120).
_WIRES = ("wire", "wires", "cable", "cables", "power line", "power lines", "electric line", "electric lines",
          "transformer", "outlet", "socket", "fuse box")
_WIRE = "(?:" + "|".join(_WIRES) + ")"
_LINE = "(?:" + "|".join(_WIRES + ("line", "lines")) + ")"  # a line, after a word that makes it live
_LIVE = ("live", "electric", "electrical", "power", "high voltage")
_DOWN = (r" (?:is |are |has |have )?(?:down|fallen|fell|came down|hanging|dangling|lying|snapped|"
         r"on the (?:ground|road|street|sidewalk|pavement))")
#: Taking someone away by force (a stranger is trying to take a child away, dragged her into a van); to take a
#: child away, or into the pool, is no crime alone: force or a stranger makes it one.
_TAKE = ("take", "takes", "taking", "took", "taken")
_DRAG = ("drag", "drags", "dragging", "dragged", "pull", "pulling", "pulled", "grab", "grabs", "grabbing", "grabbed",
         "push", "pushed", "pushing", "force", "forced", "forcing", "bundle", "bundled", "throw", "threw", "lure",
         "lured", "luring")
_CHILDREN = "child|children|kid|kids|baby|boy|girl|son|daughter|toddler"
_CHILD = rf" (?:a |the |my |our |his |her |this |that |their )?(?:little |young )?(?:{_CHILDREN})"
_PEOPLE = (f"{_CHILDREN}|woman|women|man|men|person|guy|guys|lady|wife|husband|girlfriend|boyfriend|partner|mother|"
           "father|mom|mum|dad|grandma|grandpa|grandmother|grandfather|neighbour|neighbor|friend|brother|sister|"
           "student|students|cashier|passenger|passengers|family|old man|old woman|old lady|elderly man|elderly woman")
_PERSON = (rf" (?:her|him|them|me|us|someone|somebody|people|(?:a |an |the |my |our |his |her |this |that |their |"
           rf"some |two )?(?:little |young |old |elderly )?(?:{_PEOPLE}))")
#: Hands on a person (beating his wife, punching each other, choking her): 打人, 殴打.
_HARM = ("beating", "beat up", "beating up", "punching", "punched", "kicking", "slapping", "slapped", "strangling",
         "strangled", "choking", "choked", "hitting")
#: Saying one will kill (he says he is going to kill me, threatened to stab her): 威胁要杀.
_THREAT = (r"(?:says|said|saying|yelling|shouting|screaming|swearing|threatens|threatened|threatening)(?: that)?"
           r"(?: (?:he|she|they|he's|she's|they're|he'll|she'll|they'll|hes|shes|theyre|hell|shell|theyll))?"
           r"(?: is| are| will| would)?(?: going to| gonna| to)? (?:kill|stab|shoot|murder|hurt)"
           rf"(?:{_PERSON}| (?:myself|himself|herself|themselves|yourself|you|everyone|everybody))")
_BLADES = "knife|gun|pistol|blade|machete|axe|cleaver"
#: A weapon drawn (pulled a knife on me, drew out a gun): 持刀, 拿刀.
_DRAWN = (rf"(?:pulled|pulls|pulling|drew|draws|drawing) (?:out (?:a |an |his |her |the )?(?:{_BLADES})|"
          rf"(?:a |an |his |her |the )?(?:{_BLADES})(?: out)? (?:on|at))")
#: A door forced (break down my door, kicked the front door in).
_DOORS = (r"(?:break|breaks|breaking|broke|kick|kicks|kicking|kicked|smash|smashes|smashing|smashed|bust|busting|"
          r"busted|bash|bashing)")
_A_DOOR = r"(?:my|our|the|her|his|their|a|your) (?:front |back |apartment |flat |bedroom |bathroom )?door"
#: A price called a robbery (the parking charges are daylight robbery): 简直是抢劫.
_PRICED = ("daylight robbery", "highway robbery", "charges", "overpriced", "rip off", "ripoff")
#: A police matter the police have handled (the police came yesterday about the fight): 警察已经来处理了.
_POLICE_HANDLED = (r"police (?:came|have been|had been|already|dealt|arrested|took (?:him|her|them) away|sorted)",
                   "already (?:handled|dealt with)", "(?:was|were) arrested")
#: A vehicle or an animal right before a police phrase: a car hit me is the traffic police's (122), a dog that
#: attacked our cat none; a person between them (the taxi driver attacked me) leaves the phrase the police's.
_NOT_A_HAND = (r"(?<![a-z])(?:car|cars|bus|truck|lorry|taxi|van|motorbike|motorcycle|scooter|e bike|ebike|vehicle|"
               r"suv|tram|tractor|minibus|train|dog|dogs|cat|cats|bull|cow|goose|geese|monkey|monkeys|horse|animal|"
               r"animals)(?: (?!driver|drivers|rider|riders|man|men|guy|guys|woman|owner|passenger|people)[a-z']+)"
               r"{0,3} $")
#: A weapon in someone's hand (has a pistol, waving a knife): 持刀, 持枪.
_ARMED = (r"(?:(?:has|had|holding|waving|pointing|brandishing) (?:a |an )?(?:gun|pistol|rifle|shotgun|firearm|knife|"
          r"machete|axe|blade|cleaver)|with (?:a |an )?(?:gun|pistol|rifle|shotgun|firearm|knife))")
_INTO_A_CAR = r" (?:away|into (?:a |an |the |his |her |their )?(?:car|van|vehicle|truck|taxi))"
#: Taken away by force, said in the passive (a woman is being dragged into a van by two men).
_PASSIVE_TAKEN = (r"(?:is|are|was|were|being|been|got|get|gets) (?:being )?(?:dragged|pulled|forced|pushed|bundled|"
                  r"thrown|grabbed|lured|taken|shoved|carried)(?: away)?(?: by [a-z ]{1,30}?)? into "
                  r"(?:a |an |the |his |her |their |some )?(?:car|van|minivan|vehicle|truck|taxi|suv)")
#: A theft going on: the thief is still here, just stolen, someone stealing a bike (a theft told afterwards is
#: no emergency, as 被偷了 is none in Chinese).
_LOOT = ("bike|bikes|bicycle|bicycles|car|cars|e bike|e bikes|scooter|scooters|motorbike|motorbikes|battery|"
         "batteries|wallet|wallets|phone|phones|bag|bags|purse|purses|cable|cables|things|stuff|money")
_THEFT = (r"just (?:been |got |gotten )?stolen", r"just stole", r"thie(?:f|ves) (?:is|are) (?:still )?(?:here|there|"
          r"inside|in|on|at|running|getting away|escaping|hiding)", r"(?:catch|chasing|chase|stop) (?:the |a )?thief",
          rf"(?:is|are) (?:stealing|trying to steal) (?:a |the |my |our |his |her |their |some |"
          rf"people's )?(?:{_LOOT})", r"(?:is|are) pickpocketing")
#: A vehicle striking someone or something (a car hit a cyclist, a drunk driver just hit my car); a pedestrian or a
#: cyclist struck needs no vehicle named (then hit a pedestrian).
_VEHICLE = ("car|cars|bus|truck|lorry|taxi|van|motorbike|motorcycle|scooter|e bike|driver|vehicle|suv|tram|tractor|"
            "minibus")
_STRUCK = ("hit|hits|struck|knocked down|knocked over|ran into|crashed into|smashed into|slammed into|rammed|"
           "ploughed into|plowed into|mowed down|ran over|runs over")
_RIDERS = "pedestrian|pedestrians|cyclist|cyclists|biker|bikers|motorcyclist|motorcyclists|delivery rider"
_STRUCK_ONE = (rf"(?:a |an |the |my |our |his |her |their |two |some |several |another )?(?:{_RIDERS}|child|kid|boy|"
               rf"girl|man|woman|old man|old woman|old lady|person|people|student|students|{_VEHICLE}|someone|"
               rf"somebody|me|him|her|us|them)")
#: Being in hospital (after an accident: a claim's story, 住院), not a hospital as a place (outside the hospital gate).
_IN_HOSPITAL = ("(?:in|to|into|at|from) (?:the )?hospital", "hospitali[sz]ed", "hospital (?:bill|bills|stay|ward)")
#: Someone lying on the road or the floor (a thing lying there, a cable, is no patient).
_SOMEONE = ("he|she|someone|somebody|person|man|woman|child|kid|boy|girl|people|they|father|mother|dad|mum|mom|"
            "grandma|grandpa|grandmother|grandfather|husband|wife|son|daughter|cyclist|pedestrian|driver|rider|worker")
#: Breathing, waking, a pulse: a vital sign that is not there (isn't breathing, can't breathe, won't wake up).
_NOT = r"(?:not|never|isn'?t|wasn'?t|aren'?t|weren'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|won'?t|can'?t|cannot|couldn'?t)"
_NO_VITAL_SIGNS = (_NOT + r" (?:been )?breath(?:e|ing)", "unable to breathe", "struggling to breathe",
                   r"(?:won'?t|will not|can'?t|cannot|can not|couldn'?t|doesn'?t|didn'?t|isn'?t|is not|not) "
                   r"(?:wake|waking|woken) up", r"(?:can'?t|cannot|couldn'?t) wake (?:him|her|them|my [a-z]+) up",
                   "no pulse", "lost consciousness", "losing consciousness")

_SNATCHED = (r" (?:my|her|his|a|an|the|their|our|someone's) (?:bag|handbag|purse|phone|mobile|wallet|necklace|chain|"
             r"child|baby|kid|boy|girl|daughter|son)")

#: "fire" as a verb, a person its object (fire the contractor, fire him), is no fire.
_FIRE_NOT_A_VERB = (r"fire(?! (?:(?:the |this |that |our |my |your |their |his |her |a |an |all )?(?:[a-z]+ )?(?:"
                    r"contractor|contractors|worker|workers|staff|employee|employees|manager|managers|guard|guards|"
                    r"cleaner|cleaners|builder|builders|company|agent|agency|landlord|teacher|nanny|official|"
                    r"officials)|him|her|them|me|us|everyone|everybody|whoever|anyone)(?![a-z]))")
#: A thing set alight (the heater set the curtains alight, set fire to the bins): 点着了, 烧起来.
_SET_ALIGHT = (r"(?:set|sets|setting) (?:fire to|light to|(?:the |a |an |my |our |his |her |their |some )?(?:[a-z]+ )?"
               r"[a-z]+ (?:alight|ablaze|on fire))")
#: A figure of speech, which blocks the fire's phrases (set the world on fire, set the stage alight).
_FIGURATIVE_FIRE = r"set (?:the )?(?:world|stage|charts|internet|dance floor|imagination) (?:on fire|alight|ablaze)"
#: A gas fitting leaking, a few words between them (the gas hose behind the stove is leaking), but not water's.
_GAS_PART = ("pipe|pipes|line|lines|pipeline|hose|valve|cylinder|canister|bottle|stove|cooker|boiler|heater|meter|"
             "tap")
_NOT_WATER = "(?!water|drain|drains|sewage|sewer|toilet|radiator|heating|roof|ceiling|faucet|sink)"
#: A gas pipe struck or broken (the diggers hit a gas line, a gas main burst): 燃气管道挖破了.
_GAS_MAIN = "gas (?:pipe|pipes|line|lines|main|mains|pipeline)"
_GAS_PIPE_STRUCK = (r"(?:hit|hits|struck|broke|cut|cuts|damaged|ruptured|punctured|severed|dug into|drilled into|"
                    rf"cracked) (?:a |an |the |our |their |some )?(?:main |underground )?{_GAS_MAIN}")
_GAS_PIPE_BROKEN = (rf"{_GAS_MAIN}(?: {_NOT_WATER}[a-z']+){{0,4}} (?:has |have |was |were |is |are |got |just )?"
                    r"(?:burst|ruptured|broken|broke|cracked|severed|punctured|been hit|been damaged)")
#: Swallowed what poisons (my son swallowed bleach, ate rat poison): 误服, 吃错药 (weak there too).
_POISONS = ("bleach|poison|rat poison|pesticide|pesticides|insecticide|detergent|laundry pod|laundry pods|"
            "washing powder|drain cleaner|cleaning fluid|cleaning liquid|toilet cleaner|antifreeze|weed killer|"
            "paint thinner|kerosene|lighter fluid|battery|batteries|button battery|magnet|magnets")
_SWALLOWED = (rf"(?:swallowed|swallowing|drank|drinking|ate|eaten|eating|ingested) (?:some |a |the |a lot of |lots of |"
              rf"a bottle of |a whole bottle of |a cup of |a glass of )?(?:{_POISONS})")
#: Too many pills taken: an overdose, as strong as the word ("many" is a context word of the weak phrases).
_TOO_MANY_PILLS = (r"(?:swallowed|took|taken|ate) (?:a whole bottle of|a bottle of|a box of|a handful of|too many|all "
                   r"(?:of )?(?:my |his |her |the )?)(?: [a-z]+)? (?:pills|tablets|painkillers)")
_BY_AN_ANIMAL = (r"by (?:a |an |the |some |two |our |my |their )?(?:stray |big |wild )?(?:dog|dogs|cat|cats|animal|"
                 r"animals|bull|cow|goose|geese|monkey|monkeys|horse|bees|wasps)")
#: An animal at a person (a stray dog attacked my kid, attacked by dogs): 被狗咬了 (a dog at a cat is none).
_MAULED = (rf"(?:dog|dogs) (?:has |have |just )?(?:attacked|attacking|is attacking|are attacking|bit|mauled|"
           rf"mauling|is biting|are biting){_PERSON}", "(?:attacked|mauled) " + _BY_AN_ANIMAL)
_CANNOT = r"(?:can'?t|cannot|can not|couldn'?t|could not|unable to)"
#: A person at a phrase's start, in few alternatives (a phrase opening with all of _PEOPLE costs an English text
#: 4 µs more: every word is tried against each).
_A_PERSON = (r"(?:he|she|someone|somebody|(?:a|an|my|our|his|her|the|their) (?:[a-z]+ )?(?:man|woman|child|kid|boy|"
             r"girl|son|daughter|toddler|baby|worker|dad|mum|mom|father|mother|grandma|grandpa|person|lady|"
             r"neighbou?r|friend|husband|wife|brother|sister))")
#: Someone fallen into a hole (a man fell into the drainage ditch; not my phone fell into the drain): 掉进下水井.
_FALLEN_INTO = (rf"{_A_PERSON} (?:has |have |just )?(?:fell|fallen|slipped) (?:into|down) (?:a |an |the )"
                r"(?:[a-z]+ ){0,2}(?:ditch|pit|hole|drain|sewer|shaft|well|trench|manhole|gully|culvert)")
#: Someone locked in a car (a toddler is locked inside a hot car; not the keys): 孩子被反锁在车里.
_LOCKED_IN_A_CAR = (rf"{_A_PERSON} (?:is |was |are |were |has been |have been |got |been )?"
                    r"(?:locked|trapped|stuck) (?:in|inside) (?:a |the |his |her |their |my |our |this |that )?"
                    r"(?:hot |locked |parked )?(?:car|vehicle|van|truck)")
#: Out again: a rescue told is over (the cat that was trapped in the drain was rescued).
_RESCUED = ("rescued", "was freed", "were freed", "been freed", "got out", "pulled out alive")
#: A lift stopped with people in it (stopped between floors, the elevator broke down with my mum inside).
_LIFT_STOPPED = (r"(?:stopped|stuck|stalled|halted|jammed|hanging) between (?:two )?(?:floors|the [a-z0-9]+ and "
                 r"(?:the )?[a-z0-9]+ floors?)",
                 rf"(?:lift|elevator|lifts|elevators)(?: (?!with )[a-z']+){{0,4}} with (?:my |our |his |her |their |a |"
                 rf"an |the |two |three |some |several |many |\d+ )?(?:[a-z]+ )?(?:{_PEOPLE}|people|passengers|"
                 rf"residents) (?:still |stuck |trapped )?(?:inside|in it)")

#: A chemical plant's blast or fire (the chemical plant had a blast, a fire at the chemical works): the chemicals
#: line, named before the fire's (duplicates._LINE_ORDER), as 化工厂爆炸了 is.
_CHEMICAL_SITE = r"chemicals? (?:plant|plants|factory|factories|works|warehouse|depot|park)"
_CHEMICAL_SITE_EVENT = (_CHEMICAL_SITE + r"(?: [a-z']+){0,6} (?:explosion|exploded|blew up|blast|on fire|caught fire|"
                        r"burning|fire)",
                        r"(?:explosion|blast|fire|fires) (?:at|in) (?:a |an |the )?" + _CHEMICAL_SITE)
RULES = (
    EnglishRule("火情", _any(
        "on fire", "caught fire", "catching fire", "is burning", "are burning", "burning down", "burnt down",
        "burned down", "in flames", "flames", "explosion", "exploded", "blew up", "arson", "fire broke out",
        "a fire in", "a fire at", "fire in the", "fire at the", "smoke is pouring", "smoke pouring", "full of smoke",
        "filled with smoke", "smoke coming out of the window", "smoke coming out of the windows",
        *(wire + r"[^.!?;]{0,40}(?:sparking|sparks|arcing)" for wire in _WIRES), "sparking " + _WIRE,
        "arcing " + _WIRE, *(live + " " + _LINE + _DOWN for live in _LIVE), "downed " + _LINE, "fallen " + _WIRE,
        *(line + _DOWN for line in ("power line", "power lines", "power cable", "power cables", "electric line",
                                     "electric lines")),
        r"sparks (?:are )?(?:coming|flying|shooting) (?:out )?(?:of|from)", _SET_ALIGHT, "ablaze", "caught alight"),
        weak=_any(_FIRE_NOT_A_VERB, "smoke", "black smoke", "thick smoke", "smells of burning"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "opened fire", "open fire on", "cease fire", "ceasefire",
                    _FIGURATIVE_FIRE),
        context=_any("barbecue", "bbq", "grill", "cigarette", "cigarettes", "smoker", "smokers", "second hand",
                     "secondhand", "balcony", "chimney", "cooking", "kitchen", "restaurant", "pollution",
                     "emissions", "factory", "burning trash", "burning garbage", "burning rubbish", "burning leaves",
                     "straw", "noise", "nuisance", "every", "comes into", "drifts"),
        after=_any(*_DANGER, "safety", "exit", "exits", "escape", "drill", "door", "doors", "lane", "lanes",
                   "extinguisher", "extinguishers", "station", "hydrant", "code", "department", "brigade",
                   "engine", "truck", "fighters", "fighting", "a gun", "guns", "shots", "a shot",
                   # a thing named after fire (a fire trap, a fire sale, fire ants)
                   "trap", "traps", "proof", "resistant", "retardant", "protection", "regulations", "rules",
                   "permit", "permits", "inspector", "inspectors", "pit", "pits", "wood", "works", "place", "sale",
                   "wall", "walls", "ant", "ants", "starter", "starters", "cracker", "crackers")),
    EnglishRule("燃气泄漏", _any(
        "gas leak", "gas leaks", "gas leaking", "gas is leaking", "leaking gas", "smell of gas", "smells of gas",
        "smell gas", "smelling gas", "gas smell", "gas smells", "gas alarm is going off", "gas alarm going off",
        "gas alarm keeps beeping", "gas alarm is beeping", "gas detector is beeping", "gas pipe is leaking",
        "gas pipe leaking", "leak of gas",
        r"(?:smell|smells|smelled|smelt|smelling|stinks|stink|stank|stunk|stinking|reeks|reek|reeked|reeking) "
        r"(?:strongly |badly )?(?:of|like) "
        r"(?:natural )?gas",
        rf"gas (?:{_GAS_PART})(?: {_NOT_WATER}[a-z']+){{0,4}} (?:leaking|hissing|leaks|hisses)",
        r"gas (?:pipe|line|hose|valve|cylinder|canister|bottle|meter) (?:leaks|has a leak)",
        "gas is hissing", "hissing gas", "hiss of gas", _GAS_PIPE_STRUCK, _GAS_PIPE_BROKEN),
        blocks=_any(*(w for w in _HAZARD if w != "alarm test"), *_MEDIA, *_CLAIMS, "repaired", "repair fee",
                    "gas station", "gas stations", "petrol station", "filling station", "petrol", "gasoline", "diesel",
                    "water pipe", "water pipes", "water leak", "water leaking", "leaking water", "leaks water"),
        after=_any("detector", "detectors", "sensor", "sensors", "check", "inspection", "insurance", "station",
                   "stations", "pump", "pumps", "price", "prices", "mileage", "tank", "tanks", "can", "cans",
                   "powered", "engine", "generator", "mower", "bill", "bills", "company", "meter", "meters"),
        feared_counts=True),
    EnglishRule("危险化学品泄漏或化工厂险情", _any(
        "chemical leak", "chemical leaking", "chemical spill", "chemicals leaking", "toxic gas", "poison gas",
        "ammonia leak", "ammonia leaking", "chlorine leak", "chlorine gas", "acid leak", "acid spill",
        "tanker overturned", "tanker has overturned", "chemical plant is on fire", "chemical plant explosion",
        "chemical plant is smoking", "chemical factory is on fire", "chemical factory explosion", *_CHEMICAL_SITE_EVENT,
        "toxic cloud", "chemical cloud", "chemical smoke"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "emergency plan", "exercise")),
    EnglishRule("有人被困", _any(
        "trapped in", "trapped inside", "stuck in the lift", "stuck in the elevator", "stuck in a lift",
        "stuck in an elevator", "stuck between floors", _CANNOT + " (?:get|climb|crawl) out", _FALLEN_INTO,
        _LOCKED_IN_A_CAR,
        "fell into a manhole", "fell into the manhole", "fell into a well", "fell down a well", "buried alive",
        "buried under", "locked in the lift", "locked in the elevator", *_LIFT_STOPPED),
        weak=_any("trapped", "lift is stuck", "elevator is stuck", "lift stuck", "elevator stuck"),
        blocks=_any(*_HAZARD, *_MEDIA, "several times", "many times", "repair", "repaired", "maintenance",
                    "lockdown", "quarantine", *_RESCUED),
        context=_any("problem", "problems", "feel trapped", "feeling trapped")),
    EnglishRule("暴力或治安警情", _any(
        "beating someone", "beating him", "beating her", "beating me", "beating a", "beating people",
        "being beaten", "was beaten", "got beaten", "beat me", "beat him", "beat her", "hit me", "hitting me",
        "attacked", "attacking", "assault", "assaulted", "stabbed", "stabbing", "with a knife", "holding a knife",
        "knife attack", _ARMED, "shooting", "robbed", "robbery", "mugged",
        "mugging", "kidnapped", "kidnapping", "raped", "rape", "sexual assault", "domestic violence",
        "beats his wife", "beats her", "suicide", "going to jump", "threatening to jump", "threatening to kill",
        "people are fighting", "men are fighting", "fight broke out", "brawl", "brawling", "fist fight",
        "street fight", "break in",
        "broke in", "burglary", "burglar", "burglars", "intruder", "intruders", "prowler", "home invasion",
        "kicking the door in", "kicking in the door", "kicking down the door", "kicked the door in",
        "kicked in the door", "kicked down the door", "smashed the window and",
        "shots fired", "shots were fired", "shots being fired", "heard shots", "heard a shot",
        "shot at (?:me|us|him|her|them|people|someone|somebody|the crowd|cars)", "opened fire", "open fire on",
        "firing a gun",
        "fired a gun", "firing shots", "fired shots", "shot" + _PERSON, "armed man", "armed men", "armed robbery",
        "abduct", "abducted", "abducting", "abduction", "kidnap", "bag snatcher", "purse snatcher",
        "was snatched", "were snatched", "got snatched",
        *(snatch + _SNATCHED for snatch in ("snatch", "snatched", "snatching", "snatches")),
        *(drag + _PERSON + _INTO_A_CAR for drag in _DRAG), _PASSIVE_TAKEN, *_THEFT,
        *(take + _CHILD + " away by force" for take in _TAKE),
        *("forcibly " + take + _CHILD for take in _TAKE),
        r"stranger[^.!?;]{0,30}(?:take|taking|took|grab|grabbing|grabbed|drag|dragging|dragged|pull|pulling|pulled|"
        r"lure|luring|lured)" + _CHILD,
        _THREAT, _DRAWN, rf"{_DOORS} (?:down|in) {_A_DOOR}",
        rf"{_DOORS} {_A_DOOR} (?:down|in)"),
        weak=_any("fighting", "fight", "breaking into", "break into", "broke into", "broken into", "breaking in",
                  "trying to get in", "by force", "forcibly", "kicking the door", "forcing the door",
                  "forcing open", "gunshot", "gunshots", "gun shot", "gun shots",
                  "gunfire", "was shot", "were shot", "been shot", "got shot",
                  r"climbing (?:in |in through |through |into )(?:my |our |the |a )windows?",
                  r"(?:taken|grabbed|dragged|pulled|lured|led) (?:away )?by (?:a |some )?strangers?",
                  *(harm + other for harm in _HARM for other in (_PERSON, " each other", " one another"))),
        blocks=_any(*_MEDIA, "prevention", "training", "lecture", "consult", "consultation", "lawsuit",
                    "divorce", "legal aid", "self defense", "self defence", *_PRICED, *_POLICE_HANDLED),
        context=_any("price", "prices", "rights", "for my", "for our", "for their", "court", "against the",
                     "fight back", "fighting spirit", "match", "market", "markets", "industry", "career", "tears",
                     "song", "laughter", "sweat", "demolish", "demolished", "demolition", "evict", "evicted",
                     "eviction", "confiscated", "towed", "firecracker", "firecrackers", "fireworks", "keep", "keeps",
                     "every day", "every night", "often", "always", "photo", "photos", "picture", "pictures",
                     # a quarrel is no brawl; a phone or a battery that is "shot" is broken
                     "had a fight", "have a fight", "having a fight", "argument", "arguing", "argue", "quarrel",
                     "phone", "battery", "laptop", "computer", "screen", "camera", "engine", "nerves", "repair",
                     "dropped", "wedding", "scene"),
        after=_any("down", "alarm", "alarms", "detector", "detectors", "prevention", "about", "over", "a look",
                   "a glance",
                   "a message", "an email", "a text", "a smile", "a question", _BY_AN_ANIMAL),
        before=re.compile(_NOT_A_HAND.replace(" ", r"[\s-]+")), past_counts=True),
    EnglishRule("交通事故", _any(
        "car crash", "car accident", "crashed", "crash", "collision", "collided", "hit by a car", "hit by a bus",
        "hit by a truck", "hit by a taxi", "hit by a vehicle", "hit by a motorbike", "hit by a scooter",
        "hit by an e bike", "ran over", "run over", "hit and run", "rear ended", "overturned", "knocked down by",
        rf"(?:{_VEHICLE})(?: [a-z']+){{0,3}} (?:{_STRUCK}) {_STRUCK_ONE}",
        rf"(?:{_STRUCK}) (?:a |an |the |two |some |several |another )?(?:{_RIDERS})"),
        weak=_any("traffic accident", "accident"),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "responsibility", *_IN_HOSPITAL, "suggest", "suggestion",
                    # a computer's crash: software, a website, the stock market (not "site" nor "market": a car
                    # crashed into the construction site, the market stall)
                    "computer", "website", "web site", "app", "system", "portal", "server", "software", "program",
                    "browser", "laptop", "upload", "uploading", "login", "log in", "online", "screen", "network",
                    "internet", "wifi", "stock", "stocks"),
        context=_any("traffic light", "traffic lights", "speed bump", "at work", "workplace"),
        after=_any(*_DANGER, "prone", "report", "certificate", "responsibility", "insurance", "claim", "black spot",
                   "statistics", "out(?! of control)", "course", "courses", "diet", "test", "tests", "pad", "helmet",
                   "helmets", "barrier", "barriers")),
    EnglishRule("有人受伤或急病", _any(
        "unconscious", "passed out", "fainted", "collapsed", "stopped breathing", *_NO_VITAL_SIGNS, "heart attack",
        "seizure", "convulsing",
        "bleeding heavily", "lots of blood", "covered in blood", "won'?t stop bleeding", "electrocuted",
        "drowning", "drowned", "fell into the river", "fell into the lake", "fell into the water",
        "call an ambulance", "need an ambulance", "needs an ambulance", "overdose", "overdosed", _TOO_MANY_PILLS,
        "lying on the ground", rf"(?:{_SOMEONE})(?:'s| is| are| was| has been)? (?:still )?(?:lying|lies) (?:on|in) "
        r"the (?:road|street|floor|ground|pavement|sidewalk)", "electrocution", "electric shock", "electrical shock",
        "shocked by (?:a |the )?(?:" + "|".join(_LIVE + ("downed", "fallen")) + " )?" + _WIRE,
        *(wire + r"[^.!?;]{0,60} (?:was|were|got|been|is|are) (?:shocked|zapped)" for wire in _WIRES)),
        weak=_any("injured", "injury", "injuries", "hurt", "bleeding", "broken leg", "broken arm", "broken bone",
                  "burned", "burnt", "scalded", "fell down", "fell off", "bitten by a dog", "dog bite",
                  "poisoned", "poisoning", "stroke", "short of breath", "hit by falling", "unresponsive",
                  r"(?:not|isn'?t|stopped) moving", _SWALLOWED, *_MAULED),
        blocks=_any(*_HAZARD, *_MEDIA, *_CLAIMS, "consult", "consultation", "after effects", "recovered",
                    "recovery", "no injuries", "no one was injured", "nobody was injured", "no casualties"),
        context=_any("hospital", "doctor", "doctors", "patient", "patients", "surgery", "clinic", "food", "pollution",
                     "air", "smell", "smells", "dust", "fumes", "many", "several", "feelings", "feeling",
                     "pride", "business", "sales", "market", "reputation", "credit",
                     # burned by a deal, an unresponsive landlord, traffic not moving
                     "agency", "agent", "deposit", "scam", "scammed", "scammer", "fraud", "fake", "cheated",
                     "seller", "landlord", "management", "company", "investment", "traffic", "queue", "project",
                     "application"),
        after=_any("medicine", "medicines", "medication", "medications", "pill", "pills", "drug", "drugs", "tablets",
                   "prevention", "patient", "patients", "ward", "clinic", "rehabilitation", "symptoms", "survivor",
                   "survivors", "screening", "test", "tests", "out", *_DANGER,
                   # burned a thing, not oneself (burned my dinner, burnt the rubbish)
                   r"(?:my |the |our |his |her |some |a |the whole )?(?:dinner|lunch|breakfast|food|toast|rice|pan|"
                   r"pot|pots|cake|meal|soup|milk|coffee|popcorn|bread|pizza|meat|eggs|cookies|noodles|rubbish|trash|"
                   r"garbage|leaves|paper|papers|candle|candles|incense)")),
)

_DENIALS = ("no", "not", "never", "nobody", "none", "without", "prevent[a-z]*", "avoid[a-z]*", "if", "in case of",
            "in case", "almost", "nearly")
_FEARS = ("afraid", "worried", "worry", "fear", "could", "might", "may")


def _denied_by(words):
    return re.compile(r"(?:" + _START + "(?:" + "|".join(words) + ")" + _END + r"|n't)[^,.;:]{0,16}$")


#: Shortly before a phrase, these deny it or make it a fear, a what-if or a near miss.
_DENIED = _denied_by(_DENIALS + _FEARS)
#: For a rule whose suspicion is reason enough (a gas leak one fears is reported as one: 怀疑燃气泄漏), only denials.
_DENIED_ONLY = _denied_by(_DENIALS)
_PAST = _any("yesterday", "last (?:night|week|weekend|month|year|time|semester|term|summer|winter|spring|autumn|fall)",
             "last (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)", "ago", "previously",
             "the other day", "in 19\\d\\d", "in 20\\d\\d")
#: Minutes ago is now (a bus hit a motorbike a minute ago). "still" with a negation is a complaint that something
#: is not done (still hasn't been cleaned up), no event now.
_NOW = _any("now", "right now", "just now", "currently", "today", "tonight", "this morning",
            r"(?:a |one |two |three |five |ten |a few |few |several |\d+ )?(?:second|seconds|minute|minutes|moment|"
            r"moments|min|mins) ago", "half an hour ago", "an hour ago",
            r"still(?! (?:not|no|never|nobody|hasn'?t|haven'?t|hasnt|havent|isn'?t|isnt|aren'?t|arent|wasn'?t|"
            r"didn'?t|didnt|doesn'?t|doesnt|don'?t|dont|waiting|unpaid|unresolved|unrepaired)(?![a-z]))")
#: Where a clause ends within a sentence: "now" or "still" makes only its own clause present (a fire last week, and
#: the corridor still smells: the fire is past).
_CLAUSE_END = re.compile(r"[,:()]| (?:and|but|so|while|though|although|because|which) ")
#: Urgency: the weak phrases count among context words (someone is injured in the restaurant, hurry).
URGENT = _any("help", "hurry", "quick", "quickly", "urgent", "urgently", "immediately", "asap", "emergency",
              "right now", "come now")
#: The phrases of every rule, to pass over at once the sentences that hold none (most): searched one pattern after
#: another, as one pattern of them all costs a fifth more (48.9 against 37.5 µs on an English text).
_PHRASES = tuple(p for rule in RULES for p in (rule.words, rule.weak) if p is not None)
_CHINESE = re.compile("[\u3400-\u9fff]")
_SENTENCES = re.compile(r"(?<![0-9])[.!?;\n]+|[。！？；]+")


def _latin_half(text, ascii_text=None):
    """Whether at least half of the text is ASCII: English is read, not a Chinese letter with a link or an "APP"
    in it (this costs ~0.3 µs on a Chinese head, a regular expression ten times more)."""
    return len(text.encode("ascii", "ignore") if ascii_text is None else ascii_text) * 2 >= len(text) > 0


def _clause(sentence, found):
    """The clause of the sentence the phrase stands in."""
    start = max((end.end() for end in _CLAUSE_END.finditer(sentence, 0, found.start())), default=0)
    end = _CLAUSE_END.search(sentence, found.end())
    return sentence[start:end.start() if end else len(sentence)]


def _counts(rule, pattern, sentence, past, weak, veto):
    """Whether a phrase of `pattern` stands in the sentence, neither denied, over (`past`, unless its own clause
    says now), vetoed by the Chinese words around it (`veto`), nor made something else. A phrase right before a
    Chinese character is the Chinese rules' to read (gas leak检测 as 燃气泄漏检测: `read`)."""
    for found in pattern.finditer(sentence):
        if _CHINESE.match(sentence, found.end()):
            continue
        if rule.after is not None and rule.after.match(sentence[found.end():].lstrip(" -")):
            continue
        if rule.before is not None and rule.before.search(sentence, 0, found.start()):
            continue
        if (_DENIED_ONLY if rule.feared_counts else _DENIED).search(sentence[:found.start()]):
            continue
        if past and not rule.past_counts and not _NOW.search(_clause(sentence, found)):
            continue
        if veto is None or not veto(rule.what, found.start(), weak):
            return True
    return False


def _fires(rule, sentence, past, weak=True, veto=None):
    if rule.blocks is not None and rule.blocks.search(sentence):
        return False
    if _counts(rule, rule.words, sentence, past, False, veto):
        return True
    if rule.weak is None or not weak:
        return False
    blocked = rule.context is not None and rule.context.search(sentence) and not URGENT.search(sentence)
    return not blocked and _counts(rule, rule.weak, sentence, past, True, veto)


#: English words said in Chinese speech (楼道里gas味很重, 有个man拿着knife) as the Chinese rules' words: a text with
#: Chinese in it is read with them (燃气味, 拿着刀), its negations and context in Chinese. Only a run of one or two
#: English words between Chinese ones is put in Chinese, the run as a whole first (gas station is 加油站, not 燃气…):
#: a longer run is English and read as such (`_english_runs`), where "no gas leak" stays denied.
IN_CHINESE = {
    "gas": "燃气", "natural gas": "天然气", "gas leak": "燃气泄漏", "leak": "泄漏", "leaking": "泄漏", "leaks": "泄漏",
    "leaked": "泄漏", "smell": "味", "gas smell": "燃气味", "alarm": "报警器", "gas station": "加油站",
    "on fire": "着火", "smoke": "烟", "explosion": "爆炸", "exploded": "爆炸",
    "knife": "刀", "gun": "枪", "robbed": "被抢劫", "robbery": "抢劫", "mugged": "被抢劫", "stabbed": "被捅伤",
    "kidnapped": "被绑架", "kidnapping": "绑架", "abducted": "被绑架", "burglar": "入室盗窃", "burglary": "入室盗窃",
    "suicide": "自杀", "domestic violence": "家暴",
    "car accident": "车祸", "car crash": "车祸", "traffic accident": "交通事故", "accident": "事故",
    "blood": "血", "bleeding": "流血", "faint": "晕倒", "fainted": "晕倒", "passed out": "晕过去",
    "unconscious": "昏迷", "heart attack": "心梗", "seizure": "抽搐", "not breathing": "没有呼吸",
    "can't breathe": "喘不上气", "drowning": "溺水", "drowned": "溺水", "electrocuted": "触电",
    "electric shock": "触电", "ambulance": "救护车", "injured": "受伤", "poisoned": "中毒", "poisoning": "中毒",
    "scalded": "烫伤", "trapped": "被困", "stuck": "卡住", "lift": "电梯", "elevator": "电梯",
    "crash": "撞", "crashed": "撞", "collided": "相撞", "collision": "相撞",  # 两辆车crash了 as 两辆车撞了
}
#: Most Chinese letters hold English letters (A市, H4县, APP): unless their ASCII characters (lower case) hold a word
#: of IN_CHINESE or three words in a row, they are passed over, in ~0.5 µs (one pattern of both, or a case-blind
#: one, or one on the text itself, costs three times as much).
_KEY_WORD = re.compile("|".join(sorted({max(key.split(), key=len) for key in IN_CHINESE})).encode())
_THREE_WORDS = re.compile(rb"[a-z]+[ \t-]+[a-z]+[ \t-]+[a-z]")
_RUN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?(?:[ \t-]+[A-Za-z]+(?:'[A-Za-z]+)?)*")
_GAP = re.compile(r"[\s-]+")
#: What a phone, a word processor or a full-width keyboard types for ASCII (can’t, “fire”, ｆｉｒｅ): their ASCII
#: forms (NFKC for the full-width letters) before anything is read. A regular expression finds them (~2 µs on a
#: Chinese head); NFKC of the whole head would cost 60 µs, its full-width punctuation being many.
_TYPOGRAPHIC = re.compile("[\u2018\u2019\u201a\u201b\u2032\u201c\u201d\u2013\u2014\uff07\uff21-\uff3a\uff41-\uff5a]")
_AS_ASCII = {"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u201c": '"', "\u201d": '"',
             "\u2013": "-", "\u2014": " - "}


def _typed_as_ascii(found):
    return _AS_ASCII.get(found.group()) or unicodedata.normalize("NFKC", found.group())


def _in_chinese(run):
    words = _GAP.split(run.group().lower())
    if len(words) > 2:
        return run.group()
    whole = " ".join(words)
    return IN_CHINESE.get(whole) or "".join(IN_CHINESE.get(word, word) for word in words)


def _english_runs(head):
    """(run, its sentence) for the runs of three English words or more in a mostly Chinese text: English said as
    such, in the Chinese that may veto it."""
    return [(run.group(), sentence, run.start()) for sentence in _SENTENCES.split(head)
            for run in _RUN.finditer(sentence) if len(_GAP.split(run.group())) > 2]


def read(text, veto=None):
    """(the `what`s the English of `text` fires, the text for the Chinese rules).

    English text (at least half ASCII) is read here, sentence by sentence. A mostly Chinese text is the Chinese
    rules' to read; only its longer English runs are read here, and only for strong phrases: the context that
    would block a weak one is in the Chinese around them. Any text with Chinese in it goes to the Chinese rules
    with its short English runs in Chinese (IN_CHINESE: 楼下有人faint了 is half ASCII, yet 晕倒 for them).

    `veto(what, sentence, start, weak)`, given by the Chinese rules, says whether the Chinese words of a sentence
    that has both block a phrase found at `start` (上周有个car accident，想问保险怎么报: the past and a claim)."""
    head = (text or "")[:HEAD]
    if head.isascii():
        return _fired(_SENTENCES.split(head), weak=True), text
    head = _TYPOGRAPHIC.sub(_typed_as_ascii, head)
    ascii_head = head.encode("ascii", "ignore")
    if len(ascii_head) == len(head):
        return _fired(_SENTENCES.split(head), weak=True), text
    if _latin_half(head, ascii_head):
        found = _fired([(sentence, sentence, 0) for sentence in _SENTENCES.split(head)], weak=True, veto=veto)
    else:
        letters = ascii_head.lower()
        if not (_KEY_WORD.search(letters) or _THREE_WORDS.search(letters)):  # most Chinese letters
            return (), text
        found = _fired(_english_runs(head[:HEAD // 3]), weak=False, veto=veto)
    chinese = _RUN.sub(_in_chinese, head)
    return found, (text if chinese == head else chinese + text[HEAD:])


def fired(text):
    """The `what`s of the rules the English of `text` fires (duplicates.RULES' names), in the rules' order."""
    return read(text)[0]


def _fired(pieces, weak, veto=None):
    """The `what`s fired by the English sentences, or by (English, the sentence it is in, where it starts there):
    the Chinese words of a sentence with both may `veto` a phrase."""
    found = []
    for piece in pieces:
        english, around, offset = (piece, None, 0) if isinstance(piece, str) else piece
        sentence = english.lower()
        if not _latin_half(sentence) or not any(phrases.search(sentence) for phrases in _PHRASES):
            continue
        past = bool(_PAST.search(sentence))
        chinese = partial(_vetoed, veto, around, offset) if veto and around and _CHINESE.search(around) else None
        found += [rule.what for rule in RULES if rule.what not in found and _fires(rule, sentence, past, weak, chinese)]
    return tuple(found)


def _vetoed(veto, sentence, offset, what, start, weak):
    return veto(what, sentence, offset + start, weak)
