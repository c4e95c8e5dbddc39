"""The gazetteer (地名库): address text → grid / community / street / district.

Two layers:

* `Gazetteer` — pure (no Django): an in-memory index of place names, each
  pointing at one or more territorial units, and the rules that turn the
  names found in a text into one place. Units are any objects with `id`,
  `code`, `name`, `kind`, `parent_id`, `street_id`, `district_id` (Unit
  rows, or plain tuples in tests).
* The database side: `GazetteerEntry` rows (admin-editable), seeded from the
  org tree (unit names and aliases) and from a short hand-written list of
  well-known roads, landmarks and compounds (`PACKAGE_ENTRIES`), and
  `locate_text(address)`, which uses the cached index (router.reference()).

Matching (docs/dispatch-routing.md):

1. The text is normalised (NFKC, no whitespace) and scanned once; at each
   position a dict keyed on the next two characters gives the names starting
   there, longest first, and the longest that fits is taken. Matches lying
   inside a longer one are dropped (王府井大街 hides 王府井).
2. A district named in the text (东城区, 东城) filters every other match to
   the units inside it; a name with no unit there is ignored, and said so.
3. The most specific level found wins (grid > community > street > district);
   among equals the higher confidence, then the longer name.
4. A name with several units (八里庄 → 朝阳区 or 海淀区) is narrowed by the
   other names found; if that does not settle it, the place is their common
   ancestor (the district when both lie in one), else the next match, else
   nothing — and the reason names the candidates.
5. Nothing found → no place: the router then falls back to the district, or
   the hotline centre, and says why.

Reasons are kept as their parts and worded when read, in the reader's language
(wording.word; reading one needs Django's settings, matching does not).
"""
from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field, replace

LEVELS = ("grid", "community", "street", "district")
LEVEL_RANK = {"district": 1, "street": 2, "community": 3, "grid": 4}

#: How sure a match of each entry kind is, before ambiguity and conflicts.
KIND_CONFIDENCE = {"unit": 0.95, "alias": 0.9, "compound": 0.85, "landmark": 0.85, "road": 0.7}
#: A two-character alias (东华门 is fine, 上地 or 双井 less so) is easily a false hit.
SHORT_ALIAS_CONFIDENCE = 0.6
#: The kinds of name as a reason says them (wording.PLACE_TEMPLATES "kind_…"); another kind says nothing.
KIND_WORDS = {kind: (f"kind_{kind}", None) for kind in KIND_CONFIDENCE}
#: Reasons without a place.
NOTHING_FOUND = ("place_nothing", None)
UNDECIDED = ("place_undecided", None)

#: In a request's own words (not its address field) a two-character name is often part of another word:
#: 楼上地板 (上地), 大兴土木 (大兴), 房子朝阳 (朝阳), 买西单品 (西单). There it counts only when the words around it
#: say a place: a locative before it (在西单) or a place word after it (西单附近, 上地地铁站, 国贸桥).
PLACE_BEFORE = ("在", "到", "去", "住", "位于", "从", "于", "至", "近", "往", "来", "和", "与", "、")
PLACE_AFTER = ("路", "街", "道", "桥", "门", "村", "镇", "乡", "区", "里", "园", "站", "口", "附近", "一带", "周边",
               "周围", "地区", "小区", "那边", "这边", "那里", "这里", "商圈", "地铁", "环岛", "东", "西", "南", "北",
               "、", "和", "与")

#: Street/township names without 街道/镇/乡/地区 that are common words or other
#: places' names (河北省, 光明, 鼓楼大街 in 东城/西城 vs 密云鼓楼街道): not used as aliases.
GENERIC_BASES = frozenset(
    "河北 光明 胜利 新华 向阳 曙光 新村 新镇 东风 城关 城北 城南 城子 古城 四海 温泉 鼓楼 果园 龙山 滨河 "
    "星城 仁和 东升 北庄 杨庄 宝山 永定 安定 平房 空港 荣华 清水".split())

#: Well-known places, by district and (where sure) street: (name, kind, district, street or "").
#: Only facts; a place whose street is not certain points at its district.
PACKAGE_ENTRIES = (
    # 东城区
    ("王府井大街", "road", "东城区", "东华门街道"),
    ("王府井", "landmark", "东城区", "东华门街道"),
    ("南锣鼓巷", "landmark", "东城区", "交道口街道"),
    ("天坛公园", "landmark", "东城区", "天坛街道"),
    ("前门大街", "road", "东城区", "前门街道"),
    ("北京站", "landmark", "东城区", "建国门街道"),
    ("故宫", "landmark", "东城区", ""),
    ("雍和宫", "landmark", "东城区", ""),
    ("地坛公园", "landmark", "东城区", ""),
    ("东单", "landmark", "东城区", ""),
    ("簋街", "landmark", "东城区", ""),
    ("东长安街", "road", "东城区", ""),
    # 西城区
    ("西单", "landmark", "西城区", "西长安街街道"),
    ("金融大街", "road", "西城区", "金融街街道"),
    ("后海", "landmark", "西城区", "什刹海街道"),
    ("烟袋斜街", "road", "西城区", "什刹海街道"),
    ("北海公园", "landmark", "西城区", ""),
    ("北京动物园", "landmark", "西城区", ""),
    ("宣武门", "landmark", "西城区", ""),
    # 朝阳区
    ("国贸", "landmark", "朝阳区", "建外街道"),
    ("建国门外大街", "road", "朝阳区", "建外街道"),
    ("朝阳门外大街", "road", "朝阳区", "朝外街道"),
    ("三里屯太古里", "landmark", "朝阳区", "三里屯街道"),
    ("798艺术区", "landmark", "朝阳区", "酒仙桥街道"),
    ("奥林匹克公园", "landmark", "朝阳区", ""),
    ("鸟巢", "landmark", "朝阳区", ""),
    ("水立方", "landmark", "朝阳区", ""),
    ("朝阳公园", "landmark", "朝阳区", ""),
    ("大望路", "road", "朝阳区", ""),
    ("蓝色港湾", "landmark", "朝阳区", ""),
    # 海淀区
    ("北京大学", "landmark", "海淀区", "燕园街道"),
    ("清华大学", "landmark", "海淀区", "清华园街道"),
    ("颐和园", "landmark", "海淀区", "青龙桥街道"),
    ("圆明园", "landmark", "海淀区", ""),
    ("中国人民大学", "landmark", "海淀区", ""),
    ("五道口", "landmark", "海淀区", ""),
    ("西二旗", "landmark", "海淀区", ""),
    ("中关村大街", "road", "海淀区", ""),
    ("国家图书馆", "landmark", "海淀区", ""),
    # 丰台区
    ("北京西站", "landmark", "丰台区", ""),
    ("北京南站", "landmark", "丰台区", ""),
    ("丽泽商务区", "landmark", "丰台区", ""),
    # 石景山区
    ("首钢园", "landmark", "石景山区", ""),
    ("八大处公园", "landmark", "石景山区", ""),
    # 通州区
    ("城市副中心", "landmark", "通州区", ""),
    ("环球度假区", "landmark", "通州区", ""),
    ("环球影城", "landmark", "通州区", ""),
    # 昌平区
    ("天通苑", "compound", "昌平区", ""),
    ("居庸关长城", "landmark", "昌平区", ""),
    # 大兴区
    ("大兴国际机场", "landmark", "大兴区", ""),
    # 怀柔区
    ("慕田峪长城", "landmark", "怀柔区", ""),
    ("雁栖湖", "landmark", "怀柔区", ""),
    # 密云区
    ("古北水镇", "landmark", "密云区", ""),
    ("密云水库", "landmark", "密云区", ""),
    # 延庆区
    ("八达岭长城", "landmark", "延庆区", "八达岭镇"),
    ("世园公园", "landmark", "延庆区", ""),
)


class Worded:
    """A dataclass field whose value is kept as parts (in `<name>_parts`) and read in words (wording.word), in
    the language of whoever reads it. `result.reason = parts` (or a plain text) sets it, and so does the
    dataclass's __init__ (a descriptor field: its default is the empty text). Wording needs Django's settings,
    hence imported when read: matching names does not."""

    def __set_name__(self, owner, name):
        self.parts = f"{name}_parts"

    def __get__(self, obj, owner=None):
        if obj is None:
            return ""
        from jiesu.dispatch.wording import word

        return word(getattr(obj, self.parts))

    def __set__(self, obj, value):
        setattr(obj, self.parts, value)


def normalize(text: str | None) -> str:
    """NFKC (full-width → half-width) and no whitespace: 'ＡＢ 1 号' → 'AB1号'."""
    if not text:
        return ""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def street_base(name: str) -> str:
    """东华门街道 → 东华门, 南磨房地区 → 南磨房, 长沟镇 → 长沟 (same rule as the org tree)."""
    for suffix in ("街道", "地区", "镇", "乡"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def level_of(unit) -> str | None:
    kind = str(unit.kind)
    return kind if kind in LEVEL_RANK else None


def chain_ids(unit) -> dict:
    """{"grid", "community", "street", "district"} ids of a territorial unit (None above it)."""
    kind = level_of(unit)
    chain = dict.fromkeys(LEVELS)
    if kind == "grid":
        chain["grid"], chain["community"] = unit.id, unit.parent_id
    elif kind == "community":
        chain["community"] = unit.id
    chain["street"] = unit.id if kind == "street" else unit.street_id
    chain["district"] = unit.id if kind == "district" else unit.district_id
    return chain


# --------------------------------------------------------------------------- pure index

@dataclass(frozen=True, slots=True)
class Entry:
    """One name → one unit, with the kind of name and how sure a match is."""

    name: str
    unit_id: int
    kind: str = "unit"
    confidence: float = 0.9


def entry_confidence(name: str, kind: str, level: str | None = None) -> float:
    """KIND_CONFIDENCE, except that a two-character alias of a street or below (上地, 双井) is weaker;
    a district's short name (东城, 延庆) is not."""
    if kind == "alias" and len(name) <= 2 and level != "district":
        return SHORT_ALIAS_CONFIDENCE
    return KIND_CONFIDENCE.get(kind, 0.8)


@dataclass(slots=True)
class Match:
    start: int
    end: int
    name: str
    candidates: tuple  # Entry, best first


@dataclass
class TextPlace:
    """What the gazetteer made of a text: the unit (by id) or None, and why (`reason_parts`, worded when read)."""

    unit_id: int | None
    confidence: float
    reason_parts: object
    matched: list = field(default_factory=list)   # names found, in text order
    candidates: list = field(default_factory=list)  # unit ids when the text was ambiguous

    @property
    def reason(self) -> str:
        from jiesu.dispatch.wording import word

        return word(self.reason_parts)


class Gazetteer:
    """Longest-match place-name index held in memory (pure).

    >>> g = Gazetteer([Entry("东华门", 3, "alias")], {3: unit})   # doctest: +SKIP
    >>> g.locate("东华门附近有人摆摊").unit_id                       # doctest: +SKIP
    3
    """

    def __init__(self, entries, units: dict):
        self.units = units
        by_name: dict[str, dict[int, Entry]] = defaultdict(dict)
        for e in entries:
            name = normalize(e.name)
            unit = units.get(e.unit_id)
            if len(name) < 2 or unit is None or level_of(unit) is None:
                continue
            known = by_name[name].get(e.unit_id)
            if known is None or e.confidence > known.confidence:
                by_name[name][e.unit_id] = Entry(name, e.unit_id, e.kind, e.confidence)
        index: dict[str, list] = defaultdict(list)
        for name, cands in by_name.items():
            ordered = tuple(sorted(cands.values(), key=lambda c: (-c.confidence, units[c.unit_id].code)))
            index[name[:2]].append((name, ordered))
        for bucket in index.values():
            bucket.sort(key=lambda item: -len(item[0]))
        self._index = dict(index)
        self.names = len(by_name)

    def __len__(self):
        return self.names

    # -- scanning

    def matches(self, text: str) -> list[Match]:
        """The longest name at each position, minus those inside an earlier, longer one."""
        text = normalize(text)
        index, found, reach = self._index, [], 0
        for i in range(len(text) - 1):
            bucket = index.get(text[i:i + 2])
            if bucket is None:
                continue
            for name, cands in bucket:
                if text.startswith(name, i):
                    end = i + len(name)
                    if end > reach:
                        found.append(Match(i, end, name, cands))
                        reach = end
                    break
        return found

    # -- deciding

    def chain(self, unit_id) -> dict:
        return chain_ids(self.units[unit_id])

    def _related(self, a, b) -> bool:
        """a and b lie on one branch (one is the other or its ancestor)."""
        return a == b or a in self.chain(b).values() or b in self.chain(a).values()

    def label(self, unit_id):
        """A unit and its district as a reason's part: 东华门街道（东城区） (东华门街道 (东城区) in English), 东城区."""
        unit = self.units[unit_id]
        district = self.units.get(unit.district_id) if level_of(unit) != "district" else None
        return ("place_label", {"unit": unit.name, "district": district.name}) if district is not None else unit.name

    def labels(self, unit_ids):
        """Several units as one part: 八里庄街道（朝阳区）、八里庄街道（海淀区）."""
        return "units_sep", [self.label(u) for u in unit_ids]

    @staticmethod
    def said_as_place(text: str, m: Match) -> bool:
        """Whether a short name stands as a place in free text (PLACE_BEFORE / PLACE_AFTER), not inside a word."""
        if len(m.name) > 2:
            return True
        return text[:m.start].endswith(PLACE_BEFORE) or text[m.end:].startswith(PLACE_AFTER)

    def locate(self, text: str, free_text: bool = False) -> TextPlace:
        """The unit a text names. `free_text`: the request's own words, not an address: two-character names
        count only where said as a place (said_as_place)."""
        found = self.matches(text)
        if free_text:
            normal = normalize(text)
            found = [m for m in found if self.said_as_place(normal, m)]
        if not found:
            return TextPlace(None, 0.0, NOTHING_FOUND)
        units = self.units
        names = [m.name for m in found]
        notes = []

        # 2. districts named in the text filter the other matches
        districts = {c.unit_id for m in found if all(level_of(units[c.unit_id]) == "district" for c in m.candidates)
                     for c in m.candidates}
        usable = []
        for m in found:
            cands = m.candidates
            if districts:
                inside = tuple(c for c in cands if chain_ids(units[c.unit_id])["district"] in districts)
                if not inside:
                    where = ("units_sep", [units[d].name for d in sorted(districts, key=lambda d: units[d].code)])
                    notes.append(("place_outside", {"name": m.name, "districts": where}))
                    continue
                cands = inside
            usable.append((m, cands))

        # 3. most specific first
        def rank(item):
            m, cands = item
            top = max(LEVEL_RANK[level_of(units[c.unit_id])] for c in cands)
            return (top, max(c.confidence for c in cands), m.end - m.start)

        usable, settled = self._settle(usable)
        ordered = sorted(usable, key=rank, reverse=True)
        singles = [(m, cands[0].unit_id) for m, cands in usable if len(cands) == 1]
        for m, cands in ordered:
            others = [uid for other, uid in singles if other is not m]
            chosen, confidence, why = self._decide(m, cands, others, notes, id(m) in settled)
            if chosen is None:
                continue
            return self._result(chosen, confidence, m, why, names, others, notes, free_text)
        return TextPlace(None, 0.0, ("reason_sep", notes) if notes else UNDECIDED, names,
                         candidates=[c.unit_id for _, cands in usable for c in cands])

    def _settle(self, usable):
        """Names of several units that the unambiguous names settle, as their one unit: (usable, ids of the
        settled matches). So 东城 (东城区, or a street's alias) beside 王府井大街 is 东城区, and ranks as a
        district below the road's street. A settled name is no surer than the surest name that settled it."""
        singles = [cands[0] for _m, cands in usable if len(cands) == 1]
        out, settled = [], set()
        for m, cands in usable:
            if len(cands) > 1:
                backing = {c: [s.confidence for s in singles if self._related(s.unit_id, c.unit_id)] for c in cands}
                support = [c for c in cands if backing[c]]
                if len(support) == 1:
                    c = support[0]
                    cands = (replace(c, confidence=min(c.confidence, max(backing[c]))),)
                    settled.add(id(m))
            out.append((m, cands))
        return out, settled

    def _decide(self, m, cands, singles, notes, settled=False):
        """(unit id, confidence, explanation's parts) for one match, or (None, …) when it is undecidable."""
        if len(cands) == 1:
            c = cands[0]
            kind = KIND_WORDS.get(c.kind, "")
            why = ("place_named_settled" if settled else "place_named", {"name": m.name, "kind": kind})
            return c.unit_id, c.confidence, why
        # several units carry this name, and the other names do not pick one of them
        support = [c for c in cands if any(self._related(s, c.unit_id) for s in singles)]
        pool = support or list(cands)
        listed = self.labels(c.unit_id for c in pool)
        chains = [self.chain(c.unit_id) for c in pool]
        for level in LEVELS:
            ids = {ch[level] for ch in chains}
            if len(ids) == 1 and None not in ids:
                common = ids.pop()
                confidence = max(c.confidence for c in pool) * 0.8
                return common, confidence, ("place_common", {"name": m.name, "places": listed,
                                                             "unit": self.units[common].name})
        if ("place_ambiguous", listed) not in ((kind, parts.get("places")) for kind, parts in notes):
            notes.append(("place_ambiguous", {"name": m.name, "places": listed}))  # said once for the same places
        return None, 0.0, ""

    def _result(self, chosen, confidence, m, why, names, others, notes, free_text=False):
        chain = self.chain(chosen)
        on_branch = set(v for v in chain.values() if v is not None)
        agreeing, conflicting = [], []
        for other in others:
            if other in on_branch or chosen in self.chain(other).values():
                agreeing.append(other)
            else:
                conflicting.append(other)
        if agreeing:
            confidence = min(0.99, confidence + 0.04)
        if conflicting:
            confidence *= 0.8
            rank = LEVEL_RANK[level_of(self.units[chosen])]
            same_level = any(LEVEL_RANK[level_of(self.units[u])] >= rank for u in conflicting)
            notes.append(("place_conflict_first" if same_level else "place_conflict_finer",
                          {"others": self.labels(dict.fromkeys(conflicting)), "name": m.name}))
        reason = ("place_found_text" if free_text else "place_found", {"why": why, "place": self.label(chosen)})
        if notes:
            reason = ("reason_sep", [reason, *notes])
        return TextPlace(chosen, round(confidence, 3), reason, names)


# --------------------------------------------------------------------------- database side

def derived_entries(units) -> list[tuple[str, str, int]]:
    """(name, kind, unit id) for the org tree's territorial units: names, aliases, short forms.

    Districts: 东城区, its aliases (东城区人民政府, 东城). Streets: 东华门街道,
    东华门街道办事处, and the name without 街道/镇/乡/地区 (东华门) unless that is
    a common word or a district's name. Communities and grids: their names.
    """
    units = [u for u in units if level_of(u) is not None and u.active]
    district_names = {u.name for u in units if level_of(u) == "district"}
    district_names |= {n[:-1] for n in district_names}
    out = {}
    for u in units:
        out.setdefault((u.name, u.id), "unit")
        for alias in (a.strip() for a in (u.aliases or "").split(",")):
            if len(alias) >= 2 and alias != u.name:
                out.setdefault((alias, u.id), "alias")
        if level_of(u) == "street":
            base = street_base(u.name)
            if len(base) >= 2 and base not in GENERIC_BASES and base not in district_names:
                out.setdefault((base, u.id), "alias")
    return [(name, kind, unit_id) for (name, unit_id), kind in out.items()]


def package_entries(units) -> list[tuple[str, str, int]]:
    """PACKAGE_ENTRIES resolved against the org tree (places whose unit is missing are left out)."""
    districts = {u.name: u for u in units if level_of(u) == "district"}
    streets = {(u.district_id, u.name): u for u in units if level_of(u) == "street"}
    out = []
    for name, kind, district_name, street_name in PACKAGE_ENTRIES:
        district = districts.get(district_name)
        if district is None:
            continue
        unit = streets.get((district.id, street_name)) if street_name else district
        if unit is not None:
            out.append((name, kind, unit.id))
    return out


def seed_gazetteer(units=None, prune=True) -> dict:
    """Keep the gazetteer in step with the org tree; idempotent.

    Creates the entries of `derived_entries` (source auto) and
    `PACKAGE_ENTRIES` (source package) that are missing; with `prune`, deletes
    auto entries the tree no longer gives (a renamed or deleted unit). Entries
    made or edited in the admin (source manual) and deactivated entries are
    kept as they are. Returns {"created": n, "deleted": n}.
    """
    from django.db import transaction

    from jiesu.dispatch.models import EntrySource, GazetteerEntry
    from jiesu.units.models import TERRITORIAL_KINDS, Unit

    if units is None:
        units = list(Unit.objects.filter(kind__in=TERRITORIAL_KINDS).defer("geometry"))
    wanted = {EntrySource.AUTO: derived_entries(units), EntrySource.PACKAGE: package_entries(units)}
    existing = {}
    for pk, name, unit_id, source in GazetteerEntry.objects.values_list("id", "name", "unit_id", "source"):
        existing[(name, unit_id)] = (pk, source)
    new, keep = [], set()
    for source, rows in wanted.items():
        for name, kind, unit_id in rows:
            keep.add((name, unit_id))
            if (name, unit_id) not in existing:
                existing[(name, unit_id)] = (None, source)
                new.append(GazetteerEntry(name=name, kind=kind, unit_id=unit_id, source=source))
    stale = [pk for key, (pk, source) in existing.items()
             if pk is not None and source == EntrySource.AUTO and key not in keep] if prune else []
    with transaction.atomic():
        if stale:
            GazetteerEntry.objects.filter(pk__in=stale).delete()
        GazetteerEntry.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return {"created": len(new), "deleted": len(stale)}


def build_gazetteer(units: dict, point_locate=None) -> Gazetteer:
    """A Gazetteer over the active GazetteerEntry rows (seeded first) for `units` {id: Unit}.

    An entry with coordinates is narrowed to the finest unit at that point
    (`point_locate(lon, lat)` → unit id or None) when that lies inside the
    entry's own unit.
    """
    from jiesu.dispatch.models import GazetteerEntry

    seed_gazetteer(list(units.values()))
    entries = []
    rows = GazetteerEntry.objects.filter(active=True).values_list("name", "kind", "unit_id", "lon", "lat")
    for name, kind, unit_id, lon, lat in rows.iterator(chunk_size=5000):
        if lon is not None and lat is not None and point_locate is not None and unit_id in units:
            finer = point_locate(lon, lat)
            if finer is not None and finer in units and unit_id in chain_ids(units[finer]).values():
                unit_id = finer
        unit = units.get(unit_id)
        if unit is not None:
            entries.append(Entry(name, unit_id, kind, entry_confidence(name, kind, level_of(unit))))
    return Gazetteer(entries, units)


@dataclass
class LocateResult:
    """Where a ticket is: the units of each level (or None), how sure, and why.

    `reason` reads the reason in the reader's language (kept as `reason_parts`, wording.word); it is set
    with parts or a plain text.

    `source` is "coordinates", "address", "text" (a place named in the request
    text) or "none". `lon`/`lat` are the WGS-84 point when coordinates were given.
    """

    district: object = None
    street: object = None
    community: object = None
    grid: object = None
    confidence: float = 0.0
    reason: str = Worded()
    source: str = "none"
    matched: list = field(default_factory=list)
    lon: float | None = None
    lat: float | None = None
    schematic: bool = False
    on_boundary: bool = False  # the point lies on the line between its street and another
    datum: str = "wgs84"  # the datum the point was declared in (coords.SYSTEMS)
    negative_field: str | None = None  # "lon"/"lat": its minus sign put a point of the city outside it

    @property
    def unit(self):
        """The most specific unit known, or None."""
        return self.grid or self.community or self.street or self.district

    @property
    def level(self) -> str | None:
        unit = self.unit
        return level_of(unit) if unit is not None else None

    def place(self) -> dict:
        """{"grid", "community", "street", "district"} → Unit or None (the intake's place dict)."""
        return {"grid": self.grid, "community": self.community, "street": self.street, "district": self.district}

    def ids(self) -> set:
        return {u.id for u in (self.grid, self.community, self.street, self.district) if u is not None}


def place_from_unit(unit_id, units: dict, **fields) -> LocateResult:
    if unit_id is None:
        return LocateResult(**fields)
    chain = chain_ids(units[unit_id])
    return LocateResult(**{level: units.get(uid) if uid is not None else None for level, uid in chain.items()},
                        **fields)


def locate_text(address: str, source: str = "address") -> LocateResult:
    """The place an address names, through the cached gazetteer.

    Unresolvable: no units, confidence 0 and the reason (the router then
    sends the ticket to the district, if one is known, or the hotline centre).
    """
    from jiesu.dispatch.router import reference

    ref = reference()
    found = ref.gazetteer.locate(address or "")
    return place_from_unit(found.unit_id, ref.table.units, confidence=found.confidence, reason=found.reason_parts,
                           source=source if found.unit_id is not None else "none", matched=found.matched)
