"""Which similar tickets the intake offers for merging: same-problem pairs against different problems at one place.

    .venv/bin/python bench/duplicates_pairs.py

Real citizen messages (../shared/data/complaints_cn): places that many messages
name (伊景园滨河苑, 丽发新城, 魅力之城… 14 of them), each message given a problem by
words of its title (捆绑销售车位, 搅拌站, 路灯…; `PLACES`), at most 12 a problem.
Two messages of one place are a **same-problem** pair (different citizens, their
own words) when their problems are one, else an **other-problem** pair: the
audit's streetlight and rubbish bin at one address. Sets:

- `letters`: title + message, as the citizens wrote them;
- `titles`: the titles alone (short, as a call-taker's summary is);
- `bj_titles`: the titles after one Beijing address (district, street, compound:
  东城区景山街道景山东街小区), as a 12345 call-taker writes them;
- `bj_summary`: after one address, a message's title and the head of its own
  text (the same problem told twice) against titles of two different
  categories (titles_labeled.csv);
- `elsewhere`: the same title after two different addresses: another place,
  which must not be offered as the same matter (`ELSEWHERE_MIN_TEXT`).

Each pair goes through the real `DuplicateIndex.search`: the second text is an
open ticket of a street, the first the draft, typed in the same street (another
street for `elsewhere`), and the pair counts as offered when the ticket is among
the offers. Twice: in an index of all 16,000 messages and titles (TF-IDF), and in
one of 500 (plain term frequencies, `MIN_IDF_DOCS`, as in the demo city).
Prints, per set and index, the share of same-problem pairs offered (recall) and
of other-problem pairs offered (false offers), for the pairs of every other place
of `PLACES` (`tune`: what a change is tuned on), of the other places (`check`:
what shows whether it holds beyond them) and all; the sets not of one place split
every other pair. Last line JSON.
"""
import csv
import itertools
import json
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from jiesu.dispatch.duplicates import Doc, DuplicateIndex, Place  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
MESSAGES = ("messages_with_votes.csv", "messages_with_replies.csv", "messages_labeled.csv")
#: place → (problem, words of a title that tell it), the first that matches; titles matching none are left out.
PLACES = {
    "伊景园滨河苑": (("parking_bundled", "车位|捆绑|绑定"), ("price_raised", "涨价")),
    "丽发新城": (("mixing_plant", "搅拌|混凝土|混泥土|太吵|噪|灰尘"), ("road", "道路|坑"), ("water_cut", "断.*水"),
             ("rubbish", "垃圾")),
    "魅力之城": (("fumes", "油烟|烟|夜宵|烧烤"), ("cracks", "开裂"), ("noise", "噪音|凌晨"), ("school", "入学|小学"),
             ("parking", "车位"), ("price", "降价"), ("metro", "地铁")),
    "万国城": (("kindergarten", "幼儿园"), ("mahjong", "麻将"), ("works", "施工"), ("care_home", "养老院"),
            ("shop_in_flat", "住改商"), ("deposit", "诚意金"), ("footbridge", "天桥")),
    "中海国际": (("night_works", "施工|噪音|工地"), ("kindergarten", "幼儿园"), ("fence", "围栏"), ("metro", "地铁"),
             ("rockery", "假山"), ("parking", "停车"), ("market", "菜市场"), ("road", "白塞湖路|白赛湖路")),
    "凯乐国际城": (("streetlight", "路灯"), ("parking", "停车|乱停|交通乱象")),
    "金麓": (("resale", "上市交易"), ("funeral", "丧事"), ("window_bars", "防盗"), ("eatery", "菜馆|油烟"), ("noise", "噪音")),
    "深业睿城": (("bus", "204|公交"), ("kindergarten", "幼儿园"), ("parking", "车位|地位"), ("metro", "地铁|出口|出入口"),
             ("noise", "噪音"), ("building", "违建")),
    "诺亚山林": (("hospital", "医院"), ("bus", "公交"), ("road", "断头路")),
    "东成大厦": (("disclosure", "公开"), ("review", "复议")),
    "青青家园": (("shop_in_flat", "住改商"), ("flue", "烟道|油烟管道"), ("water", "水压"), ("aircon", "空调")),
    "兰亭湾畔": (("eatery", "餐饮|餐厅"), ("awning", "雨棚")),
    "辉煌国际城": (("eatery", "饭店|餐饮|商铺非法营业"), ("false_papers", "虚假场地证明")),
    "老地方美食广场": (("fraud", "招商"), ("fire_licence", "消防|无证")),
}
PER_PROBLEM = 12
TUNE, CHECK, ALL = "tune", "check", "all"
HALVES = (TUNE, CHECK, ALL)
COMPOUND_WORDS = ("金台", "幸福", "阳光", "和平", "翠微", "双榆", "康乐", "丽景", "华远", "远洋", "春晖", "晨光")
COMPOUND_SUFFIXES = ("小区", "家园", "花园", "南里", "北里", "新村", "嘉园", "公寓", "苑", "社区")


def read(name):
    with open(DATA / "complaints_cn" / name, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def distinct_messages():
    seen, out = set(), []
    for name in MESSAGES:
        for row in read(name):
            title, text = row["留言主题"].strip(), row["留言详情"].strip()
            if title and text and (title, text[:50]) not in seen:
                seen.add((title, text[:50]))
                out.append((title, text))
    return out


def half_of(place):
    """The half of the places a place's pairs belong to: every other place of PLACES tunes, the rest checks."""
    return TUNE if list(PLACES).index(place) % 2 == 0 else CHECK


def place_pairs(messages, rng):
    """(same-problem pairs, other-problem pairs) of (title, text) messages naming one place, each pair with the
    place's half (`half_of`)."""
    by_problem = defaultdict(list)
    for place, problems in PLACES.items():
        for title, text in messages:
            if place in title + text[:100]:
                problem = next((name for name, words in problems if re.search(words, title)), None)
                if problem:
                    by_problem[place, problem].append((title, text))
    same, other, by_place = [], [], defaultdict(list)
    for (place, _problem), items in sorted(by_problem.items()):
        rng.shuffle(items)
        items = items[:PER_PROBLEM]
        by_place[place].append(items)
        same += ((a, b, half_of(place)) for a, b in itertools.combinations(items, 2))
    for place, groups in by_place.items():
        for one, two in itertools.combinations(groups, 2):
            other += ((a, b, half_of(place)) for a, b in itertools.product(one, two))
    return same, other


def beijing_addresses():
    rows = csv.DictReader(open(DATA / "geo" / "beijing_townships_nbs2023.csv", encoding="utf-8-sig"))
    return [(r["district"], r["name"]) for r in rows if r["name"].endswith("街道")]


def address(rng, streets):
    district, street = rng.choice(streets)
    base = street[:-2]
    compound = rng.choice((base, rng.choice(COMPOUND_WORDS))) + rng.choice(COMPOUND_SUFFIXES)
    return rng.choice((f"{district}{street}{compound}", f"{street}{compound}{rng.randint(1, 30)}号楼",
                       f"{base}{rng.choice(('东街', '西路', '北里'))}{compound}"))


def pair_sets(rng):
    messages = distinct_messages()
    same, other = place_pairs(messages, rng)
    streets = beijing_addresses()
    titles = [(r["留言主题"].strip(), r["一级分类"]) for r in read("titles_labeled.csv")]
    labelled = read("messages_labeled.csv")

    def at_one_address(pairs):
        out = []
        for a, b, half in pairs:
            where = address(rng, streets)
            out.append((where + a, where + b, half))
        return out

    def alternate(pairs):
        """Pairs not of one place (random messages and titles): every other one tunes."""
        return [(a, b, TUNE if i % 2 == 0 else CHECK) for i, (a, b) in enumerate(pairs)]

    summary_same = [(m["留言主题"].strip(), m["留言详情"].strip()[:80]) for m in rng.sample(labelled, 400)]
    summary_other = []
    while len(summary_other) < 600:
        (t1, c1), (t2, c2) = rng.sample(titles, 2)
        if c1 != c2:
            summary_other.append((t1, t2))
    sets = {
        "letters": ([(f"{a[0]} {a[1]}", f"{b[0]} {b[1]}", h) for a, b, h in same],
                    [(f"{a[0]} {a[1]}", f"{b[0]} {b[1]}", h) for a, b, h in other]),
        "titles": ([(a[0], b[0], h) for a, b, h in same], [(a[0], b[0], h) for a, b, h in other]),
        "bj_titles": (at_one_address((a[0], b[0], h) for a, b, h in same),
                      at_one_address((a[0], b[0], h) for a, b, h in other)),
        "bj_summary": (at_one_address(alternate(summary_same)), at_one_address(alternate(summary_other))),
        "elsewhere": ([], alternate([(address(rng, streets) + t, address(rng, streets) + t)
                                     for t, _c in rng.sample(titles, 400)])),
    }
    corpus = [f"{t} {x}" for t, x in messages] + [t for t, _c in titles]
    return sets, corpus


def offered_shares(index, pairs, elsewhere=False):
    """{half: share} of pairs whose second text, an open ticket in street 1, is offered for the first typed in
    street 1 (street 2 when `elsewhere`), for the tuning half, the check half and all pairs."""
    now, ticket_id, hits = time.time(), 10**9, defaultdict(list)
    draft_place = Place(district=1, street=2 if elsewhere else 1)
    for draft, ticket, half in pairs:
        index.add(Doc(ticket_id, ticket, now - 3600, district=1, street=1))
        offered = any(m.id == ticket_id for m in index.search(draft, draft_place, now=now, limit=10**6))
        hits[half].append(offered)
        hits[ALL].append(offered)
        index.remove(ticket_id)
    return {half: round(sum(hits[half]) / len(hits[half]), 3) if hits[half] else None for half in HALVES}


def share_words(shares):
    return " ".join(f"{half} {'-' if shares[half] is None else shares[half]:>5}" for half in HALVES)


def main():
    rng = random.Random(1)
    sets, corpus = pair_sets(rng)
    indexes = {}
    for name, texts in (("idf", corpus), ("plain", rng.sample(corpus, 500))):
        index = DuplicateIndex(min_rebuild=10**9)   # the pairs' tickets come and go in the delta, as at intake
        index.build(Doc(i, t, time.time(), district=2, street=1000 + i % 300) for i, t in enumerate(texts))
        indexes[name] = index
    result = {}
    for mode, index in indexes.items():
        print(f"{mode}: {len(index)} tickets indexed, IDF over {index.n_docs_idf}, text floor {index.min_text}")
        for name, (same, other) in sets.items():
            recall = offered_shares(index, same, elsewhere=name == "elsewhere")
            false = offered_shares(index, other, elsewhere=name == "elsewhere")
            result[f"{mode}.{name}"] = {"recall": recall, "false_offers": false, "pairs": [len(same), len(other)]}
            print(f"  {name:11} same problem offered: {share_words(recall)}   "
                  f"other problem offered: {share_words(false)}   ({len(same)} / {len(other)} pairs)")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
