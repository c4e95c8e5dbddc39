"""Tables of the dispatch engine: the gazetteer (地名库); the desk's suggestion log and auto-dispatch rules.

Routing needs no table of its own: it reads the org tree (units), the category
tree and the dispatch catalogue (categories.Duty) into memory once
(router.RoutingTable) and routes without queries. Saving or deleting any of
those rows, or a gazetteer entry, drops that in-memory copy (receivers below).
"""
import re
from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiesu.units.models import UnitKind

PLACE_KINDS = (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID)


class EntryKind(models.TextChoices):
    UNIT = "unit", _("Unit name")          # 单位名称: 东华门街道, 东城区
    ALIAS = "alias", _("Alias")            # 别名: 东华门, 东华门街道办事处, 东城
    ROAD = "road", _("Road")               # 道路: 王府井大街
    LANDMARK = "landmark", _("Landmark")   # 地标: 国贸, 北京站
    COMPOUND = "compound", _("Residential compound")  # 小区: 天通苑


class EntrySource(models.TextChoices):
    AUTO = "auto", _("From the org tree")       # derived from unit names and aliases, kept in step
    PACKAGE = "package", _("Shipped list")      # the hand-written list in gazetteer.py
    MANUAL = "manual", _("Entered by hand")     # made or edited in the admin: never touched by seeding or a load
    FILE = "file", _("Loaded from a file")      # `jiesu gazetteer load`: a later version of the file updates it


class GazetteerEntry(models.Model):
    """A place name and the territorial unit (grid, community, street or district) it lies in.

    Entries of the org tree (unit names and aliases) are created and kept in
    step automatically; roads, landmarks and compounds are added in the admin
    (or come from the shipped list). The same name may point at several units
    (八里庄 is a street in 朝阳区 and in 海淀区): the locator then uses the
    district named in the address, or says it cannot decide.
    """

    name = models.CharField(_("name"), max_length=100, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EntryKind.choices, default=EntryKind.LANDMARK)
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="gazetteer_entries",
                             verbose_name=_("lies in"),
                             limit_choices_to={"kind__in": [k.value for k in PLACE_KINDS]},
                             help_text=_("The most specific unit known: grid, community, street or district."))
    lon = models.FloatField(_("longitude (WGS-84)"), null=True, blank=True)
    lat = models.FloatField(_("latitude (WGS-84)"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=10, choices=EntrySource.choices,
                              default=EntrySource.MANUAL)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("gazetteer entry")
        verbose_name_plural = _("gazetteer (place names)")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name", "unit"], name="dispatch_gazetteer_name_unit")]

    def __str__(self):
        return self.name

    def clean(self):
        """The refusals (problems), as one ValidationError."""
        from django.core.exceptions import ValidationError

        errors = self.problems()
        if errors:
            raise ValidationError(errors)

    def problems(self, namesakes=None, name_is_new=None) -> dict:
        """Why the entry cannot be saved, {field: message}, empty when it can: a name the locator can match (two
        characters or more) that re-routes no addresses (name_problem), and, when given, a point inside the city.
        The admin form's checks (clean) and `jiesu gazetteer load`'s, each row's; `namesakes`: a Namesakes
        index read once for many entries; `name_is_new`: whether the name or the unit is new, when the caller
        knows (else asked: name_is_new())."""
        from jiesu.dispatch.coords import sign_advice, swapped_hint
        from jiesu.dispatch.gazetteer import normalize
        from jiesu.dispatch.locator import LocateError, check_coordinates, locate_coordinates

        errors = {}
        if len(normalize(self.name)) < 2:
            errors["name"] = _("A place name has two characters or more: the locator never matches one.")
        elif self.unit_id and (self.name_is_new() if name_is_new is None else name_is_new):
            problem = self.name_problem(namesakes)
            if problem:
                errors["name"] = problem
        try:
            lon, lat = check_coordinates(self.lon, self.lat)
        except LocateError as exc:
            errors["lat" if exc.field == "lat" else "lon"] = str(exc)
        else:
            found = locate_coordinates(lon, lat) if lon is not None else None
            if found is not None and found.unit is None:
                errors[found.negative_field or "lon"] = " ".join(filter(None, (str(_(
                    "This point (WGS-84) lies outside the city: check the numbers and their order (longitude "
                    "first, about 116 for Beijing).")), swapped_hint(lon, lat),
                    sign_advice() if found.negative_field else "")))
        return errors

    def warnings(self, typed_point=None, name_is_new=True, namesakes=None, recent=None, common=True) -> list:
        """What is said when the entry is saved (saved all the same): a name other places carry too and, unless
        not `common`, a name in a large share of recent addresses (when the name or the unit is new), and a point
        outside its unit, with the datum that would put the typed numbers inside it. `typed_point`: (lon, lat,
        coordinate system) as typed (default: the stored WGS-84 point); `recent`: RecentAddresses read once for
        many entries. The admin asks about a common name before saving (common_name_warning), not after."""
        said = []
        if not self.active:
            return said
        others = self.same_name_elsewhere(namesakes) if name_is_new else []
        if others:
            said.append(_("“%(name)s” also names %(places)s: an address naming only it no longer settles the place "
                          "(the locator stops at the places' common unit, or cannot decide), unless the address's "
                          "other names settle it.") % {"name": self.name, "places": places_of(others)})
        common_name = self.common_name_warning(recent) if name_is_new and common else None
        if common_name:
            said.append(common_name)
        if self.lon is not None and self.unit_id not in unit_ids_at(self.lon, self.lat):
            lon, lat, system = typed_point or (self.lon, self.lat, "wgs84")
            outside = _("The point lies outside %(unit)s: the locator uses the entry without it.") % {
                "unit": self.unit.name}
            said.append(" ".join(filter(None, (outside, datum_hint(self.unit, lon, lat, system)))))
        return said

    def common_name_warning(self, recent=None):
        """What is said of a name found in COMMON_SHARE or more of the recent addresses (RecentAddresses), or
        None."""
        common = (recent or RecentAddresses()).common(self.name)
        if not common:
            return None
        return _("“%(name)s” occurs in %(share)s %% of the last %(read)s addresses (%(found)s): as a name of "
                 "%(unit)s it sends those that name no finer place there. Check that it is this place's own "
                 "name.") % {"name": self.name, "unit": self.unit.name, **common}

    def name_is_new(self):
        """Whether the name or the unit is not yet saved so (an entry added, or renamed or moved)."""
        return self.pk is None or not GazetteerEntry.objects.filter(pk=self.pk, name=self.name,
                                                                    unit_id=self.unit_id).exists()

    def name_problem(self, namesakes=None):
        """Why the name would re-route addresses, or None: it has no letters (12345 would place every request
        that mentions the hotline), it is the city's or the country's name (北京市 would send every 北京市…
        address to this place), it is only generic address words (小区, 路口 are in every other address), or it
        is a word of position with a direction (路口东, 门口南侧: where from something, not which place), or
        another place's own name (东城区 as an alias of a street would make every address in 东城区
        ambiguous), or the city's, a district's or a street's name followed by another unit's name (北京市东城区,
        东城区东华门街道, 东城区景山 would send every address in that unit that begins so to this place)."""
        import unicodedata

        from jiesu.dispatch.gazetteer import normalize

        name = normalize(self.name)
        if not any(unicodedata.category(c).startswith("L") for c in name):
            return _("“%(name)s” is only digits or punctuation: it would match house and phone numbers (and the "
                     "hotline's own 12345) in addresses and request texts.") % {"name": self.name}
        cities = namesakes.city_names if namesakes else city_names()
        if name.casefold() in cities or made_of(name.casefold(), city_pattern(cities)):  # also 中国北京
            return _("“%(name)s” is the name of the city or the country: most addresses begin with it, and as a "
                     "name of %(unit)s it would send them all there.") % {"name": self.name, "unit": self.unit.name}
        if is_address_words(name):
            return _("“%(name)s” is a word of any address (小区, 路口, 门口…), not a place's name: as a name of "
                     "%(unit)s it would send every address and request text containing it there. Enter the whole "
                     "name (金宝花园小区, 王府井大街路口).") % {"name": self.name, "unit": self.unit.name}
        if is_position_with_direction(name):
            return _("“%(name)s” is a word of position with a direction (路口东, 门口南侧): it says where from "
                     "something, not which place, and as a name of %(unit)s it would send every address and request "
                     "text containing it there. Enter the whole name (王府井大街路口东).") % {
                "name": self.name, "unit": self.unit.name}
        owners, after_city = self.unit_name_after_place(name, namesakes)
        if owners and owners[0].kind not in (EntryKind.UNIT, EntryKind.ALIAS):
            return _("“%(name)s” is “%(other)s” (a place name of %(places)s) with the name of the city, district or "
                     "street it lies in before it: addresses there often begin so, and as a name of %(unit)s it would "
                     "send them all there.") % {"name": self.name, "other": owners[0].name,
                                                "places": places_of(owners), "unit": self.unit.name}
        if owners and after_city:
            return _("“%(name)s” is the city's name followed by a unit's own name (%(places)s): addresses in it "
                     "often begin so, and as a name of %(unit)s it would send them all there.") % {
                "name": self.name, "places": places_of(owners), "unit": self.unit.name}
        if owners:
            return _("“%(name)s” is a district's or street's name followed by another unit's name (%(places)s): "
                     "addresses in it often begin so, and as a name of %(unit)s it would send them all there.") % {
                "name": self.name, "places": places_of(owners), "unit": self.unit.name}
        owners = [e for e in self.same_name_elsewhere(namesakes) if e.kind == EntryKind.UNIT]
        if owners and normalize(self.unit.name) != name:
            return _("“%(name)s” is a unit's own name (%(places)s): as a name of %(unit)s it would make every "
                     "address containing it ambiguous, so that such addresses no longer reach their street.") % {
                "name": self.name, "places": places_of(owners), "unit": self.unit.name}
        return None

    def unit_name_after_place(self, name, namesakes=None):
        """(the entries of other units, inside the leading name's, whose name follows one or more leading names in
        `name`, and whether the first of those is the city's), or ([], False); units' names and aliases first, else
        a road's, landmark's or compound's (东城区王府井大街 → 王府井大街 of 东华门街道): 北京市东城区 →
        东城区 after the city, 东城区东华门街道 → 东华门街道 and 东城区景山 → 景山 (景山街道's alias) after a district,
        北京市东城区东华门街道 → 东华门街道. The leading names are LeadingNames'. 朝阳区八里庄街道 as a name of 朝阳区's
        八里庄街道 passes: 海淀区's is not inside 朝阳区."""
        leading = namesakes.leading if namesakes is not None else LeadingNames()
        rests, pending = {}, [(name.casefold(), None)]  # what follows a leading name → (its units, after the city)
        while pending:
            text, after_city = pending.pop()
            for prefix, inside in leading.starting(text):
                rest = text[len(prefix):]
                if rest not in rests:
                    rests[rest] = (inside, (inside is None) if after_city is None else False)
                    pending.append((rest, rests[rest][1]))
        if not rests:
            return [], False
        index = namesakes if namesakes is not None and namesakes.complete else Namesakes(set(rests))
        found = None  # (units' names first, then roads, landmarks, compounds: 东城区王府井大街 hides 王府井大街)
        for rest, (inside, after_city) in rests.items():
            owners = [e for e in index.by_name.get(rest, ()) if e.unit_id != self.unit_id
                      and (inside is None or e.unit.district_id in inside or e.unit.street_id in inside)]
            named = [e for e in owners if e.kind in (EntryKind.UNIT, EntryKind.ALIAS)]
            if named:
                return sorted(named, key=lambda e: e.unit.code), after_city
            if owners and found is None:
                found = sorted(owners, key=lambda e: e.unit.code), after_city
        return found or ([], False)

    def same_name_elsewhere(self, namesakes=None):
        """The active entries of other (active) units that the locator reads as this name (gazetteer.normalize:
        full-width and spaces aside), from `namesakes` or else read for this name."""
        from jiesu.dispatch.gazetteer import normalize

        return (namesakes or Namesakes(normalize(self.name))).of(self)


class Namesakes:
    """The active entries of active units by the name the locator reads (gazetteer.normalize), each with its unit
    and the unit's district: what same_name_elsewhere looks in; and the city's and country's names (city_names).
    Read for one name or a few (the admin's one entry), or for all once (`jiesu gazetteer load`'s thousands of
    rows), and added to as a run adds entries."""

    def __init__(self, name=None):
        from jiesu.dispatch.gazetteer import normalize

        rows = GazetteerEntry.objects.filter(active=True, unit__active=True)
        self.complete = name is None
        if name is not None:
            wanted = {name} if isinstance(name, str) else set(name)
            rows = rows.filter(pk__in=[pk for pk, other in rows.values_list("pk", "name")
                                       if normalize(other) in wanted])
        self.city_names = city_names()
        self.by_name = {}
        for entry in (rows.select_related("unit", "unit__district")
                      .defer("unit__geometry", "unit__district__geometry").iterator(chunk_size=2000)):
            self.add(entry)

    def add(self, entry):
        from jiesu.dispatch.gazetteer import normalize

        self.by_name.setdefault(normalize(entry.name), []).append(entry)

    @cached_property
    def leading(self):
        return LeadingNames(self.city_names)

    def of(self, entry):
        """The entries of other units that carry `entry`'s name, in the order of their units' codes."""
        from jiesu.dispatch.gazetteer import normalize

        return sorted((e for e in self.by_name.get(normalize(entry.name), ())
                       if e is not entry and (e.pk is None or e.pk != entry.pk) and e.unit_id != entry.unit_id),
                      key=lambda e: e.unit.code)


class LeadingNames:
    """The names an address begins with before a finer place's (name_problem refuses them followed by another
    unit's name): the city's and the country's (city_names), and the names and aliases of the districts and streets
    (东城区, 东城, 东华门街道, 东华门), as the locator reads them, case-folded; indexed by their first two
    characters (every name the locator reads has two or more), each with the ids of the units it names (None:
    the city's, every unit lies in it)."""

    def __init__(self, cities=None):
        from jiesu.dispatch.gazetteer import normalize

        self.by_start = {}
        for name in cities if cities is not None else city_names():
            self.by_start.setdefault(name[:2], {})[name] = None
        rows = GazetteerEntry.objects.filter(active=True, unit__active=True, kind__in=(EntryKind.UNIT, EntryKind.ALIAS),
                                             unit__kind__in=(UnitKind.DISTRICT, UnitKind.STREET))
        for name, unit_id in rows.values_list("name", "unit_id"):
            name = normalize(name).casefold()
            units = self.by_start.setdefault(name[:2], {}).setdefault(name, set())
            if units is not None:
                units.add(unit_id)

    def starting(self, text):
        """(name, the ids of the units it names or None) of the leading names `text` begins with, and is longer
        than."""
        return [(name, units) for name, units in self.by_start.get(text[:2], {}).items()
                if len(text) > len(name) and text.startswith(name)]


#: The country's names; the city's are the org tree's (its city unit's name and aliases: 北京市, 北京, 北京市人民政府)
#: and, as the org tree has no English names, CITY_LATIN_NAMES. Latin letters are compared case-insensitively.
COUNTRY_NAMES = frozenset(("中国", "中华人民共和国", "China", "PRC"))
CITY_LATIN_NAMES = frozenset(("Beijing", "Peking", "Beijing City", "Beijing Shi"))
#: Words of any address (小区, 门口, 3号楼), alone or together (小区门口, 3号楼2单元): the place words the duplicates
#: factor cuts out of texts (duplicates.PLACE_WORDS's: 小区, 社区, 街道, 大街, 胡同, 号楼, 单元…), the locator's place
#: words around a name of two characters or more (gazetteer.PLACE_BEFORE/AFTER: 附近, 周边, 地铁…; its single ones,
#: 东 南 口 门…, make real names together: 南口, 北苑) and the words of position and of a building's parts below.
POSITION_WORDS = ("路口", "十字路口", "丁字路口", "门口", "大门", "楼下", "楼上", "楼道", "楼前", "楼后", "对面",
                  "旁边", "隔壁", "院内", "院里", "院子", "马路", "路边", "街边", "路面", "道路", "人行道", "辅路",
                  "主路", "桥下", "公交站", "地铁站", "车站", "停车场", "居委会", "村委会", "物业", "底商", "商铺",
                  "南门", "北门", "东门", "西门", "正门", "侧门", "大院")
#: A numbered courtyard (3号院, 三号院), which duplicates.NUMBERED_PART (号楼, 单元…) leaves out.
_NUMBERED_COURTYARD = r"[0-9一二三四五六七八九十百零〇两]+号?院"
#: A direction from something (东, 西北, 南侧, 以东, 东北角): with a word of position it names no place (路口东).
_DIRECTION = r"以?[东西南北](?:侧|边|面|方|头|角|部)?"


def _address_word_patterns():
    """(one place word; a place word or a direction; an address word; an address word or a direction) as regular
    expressions, each for one part of a name (made_of)."""
    from jiesu.dispatch.duplicates import NUMBERED_PART, PLACE_WORD
    from jiesu.dispatch.gazetteer import PLACE_AFTER, PLACE_BEFORE

    words = sorted((w for w in {*POSITION_WORDS, *PLACE_BEFORE, *PLACE_AFTER} if len(w) > 1), key=len, reverse=True)
    address = rf"{'|'.join(map(re.escape, words))}|{PLACE_WORD}|{NUMBERED_PART}|{_NUMBERED_COURTYARD}"
    return (re.compile(PLACE_WORD), re.compile(f"{PLACE_WORD}|{_DIRECTION}"), re.compile(address),
            re.compile(f"{address}|{_DIRECTION}"))


_ONE_PLACE_WORD, _PLACE_OR_DIRECTION, _ADDRESS_WORD, _ADDRESS_WORD_OR_DIRECTION = _address_word_patterns()


def made_of(name, part) -> bool:
    """Whether `name` splits into parts each of which `part` matches whole (its look-behinds see the part
    before), trying every split through a table of the positions reached. A regular expression's (?:…)+ tried
    the overlapping words (小区 is a place word and a locative word; 3号楼下 is 3号楼 + 下 or 3号 + 楼下) in every
    combination: a name of 80 characters that fails took minutes; this takes under 1 ms."""
    reached = [True] + [False] * len(name)
    for start in range(len(name)):
        if reached[start]:
            for end in range(start + 1, len(name) + 1):
                if not reached[end] and part.fullmatch(name, start, end):
                    reached[end] = True
    return reached[-1]


def is_address_words(name):
    """Whether a (normalised) name is only words of any address: one place word (小区, 大街), or address words
    with a word of position or a number among them (小区门口, 3号楼). Place words together make real names
    (新村街道, 花园路), with directions too (北苑, 南大街): those are not."""
    return bool(_ONE_PLACE_WORD.fullmatch(name)
                or (made_of(name, _ADDRESS_WORD) and not made_of(name, _PLACE_OR_DIRECTION)))


def is_position_with_direction(name):
    """Whether a (normalised) name is words of any address with a direction, and a word of position or a number
    among them (路口东, 门口南侧, 3号楼东侧). Place words with directions make real names (北苑, 东里, 南大街)
    and pass, as does any name with a word of its own (东方花园, 南湖东园, 西坝河东里)."""
    return made_of(name, _ADDRESS_WORD_OR_DIRECTION) and not made_of(name, _PLACE_OR_DIRECTION)


def city_pattern(cities):
    """The city's and the country's names (city_names) as one pattern, for made_of: 中国北京 is only such names."""
    return re.compile("|".join(map(re.escape, sorted(cities, key=len, reverse=True))))


def city_names():
    """The names (gazetteer.normalize, case-folded) no place can carry: the city's (its unit's name and aliases,
    CITY_LATIN_NAMES) and the country's (COUNTRY_NAMES)."""
    from jiesu.dispatch.gazetteer import normalize
    from jiesu.units.models import Unit

    names = {normalize(name).casefold() for name in (*COUNTRY_NAMES, *CITY_LATIN_NAMES)}
    for name, aliases in Unit.objects.filter(kind=UnitKind.CITY).values_list("name", "aliases"):
        names.update(normalize(n).casefold() for n in [name, *(aliases or "").split(",")] if normalize(n))
    return names


#: A new name found in this share of the last RECENT_ADDRESSES addresses (of MIN_ADDRESSES or more) is warned of.
COMMON_SHARE = 0.05
RECENT_ADDRESSES = 5000
MIN_ADDRESSES = 100


class RecentAddresses:
    """The last RECENT_ADDRESSES tickets' addresses (those not empty), as the locator reads them
    (gazetteer.normalize), in one string: read in one query (≈ 3 ms for 5,000 of 119,177 on SQLite), once for the
    admin's entry or for a whole `jiesu gazetteer load`; a name is then counted in them in ≈ 0.1 ms."""

    def __init__(self, size=RECENT_ADDRESSES):
        from jiesu.dispatch.gazetteer import normalize
        from jiesu.tickets.models import Ticket

        rows = list(Ticket.objects.exclude(address="").order_by("-pk").values_list("address", flat=True)[:size])
        self.read = len(rows)
        self.text = normalize("\x00".join(rows))  # NUL: not whitespace, so normalize keeps the addresses apart

    def common(self, name):
        """{share (percent), found, read} when the name occurs in COMMON_SHARE of the addresses or more, else None."""
        from jiesu.dispatch.gazetteer import normalize

        name, needed = normalize(name), max(1, round(COMMON_SHARE * self.read))
        if self.read < MIN_ADDRESSES or not name or self.text.count(name) < needed:
            return None
        found = sum(name in address for address in self.text.split("\x00"))
        if found < needed:
            return None
        return {"share": round(100 * found / self.read), "found": found, "read": self.read}


def places_of(entries):
    """Entries' units as the locator's reasons name them: 八里庄街道（朝阳区）、八里庄街道（海淀区）."""
    from jiesu.dispatch.wording import word

    units = {e.unit_id: e.unit for e in entries}.values()
    return word(("units_sep", [("place_label", {"unit": u.name, "district": u.district.name})
                               if u.district_id and u.district_id != u.id else u.name for u in units]))


#: How a coordinate system is named to the user.
from jiesu.dispatch.coords import DATUM_NAMES  # noqa: E402  (pure; the loader and the admin name datums so)


def stored_point(lon, lat, system):
    """A point typed in `system` (wgs84, gcj02, bd09) as stored: in WGS-84, to 7 places (≈ 1 cm). A point that
    is not two numbers in range is kept as typed, for problems() to refuse naming the field."""
    from jiesu.dispatch.coords import to_wgs84

    numbers = all(isinstance(v, (int, float)) for v in (lon, lat))
    if system != "wgs84" and numbers and -180 <= lon <= 180 and -90 <= lat <= 90:
        return tuple(round(v, 7) for v in to_wgs84(lon, lat, system))
    return lon, lat


def unit_ids_at(lon, lat):
    """The ids of the grid, community, street and district at a WGS-84 point."""
    from jiesu.dispatch.locator import locate_coordinates

    found = locate_coordinates(lon, lat)
    return {u.id for u in (found.grid, found.community, found.street, found.district) if u}


def datum_hint(unit, lon, lat, declared):
    """Said when a point lies outside its unit: the other datum that would put the typed numbers inside it."""
    from jiesu.dispatch.coords import SYSTEMS, to_wgs84

    for system in SYSTEMS:
        if system != declared and unit.id in unit_ids_at(*to_wgs84(lon, lat, system)):
            return _("Converted from %(system)s it lies inside %(unit)s: choose the coordinate system.") % {
                "system": DATUM_NAMES[system], "unit": unit.name}
    return ""


# --------------------------------------------------------------------------- cache invalidation

def _drop_reference(sender, **kwargs):
    from jiesu.dispatch import router

    router.invalidate()


for _model in ("units.Unit", "categories.Category", "categories.Duty", GazetteerEntry):
    post_save.connect(_drop_reference, sender=_model, dispatch_uid=f"dispatch-reference-save-{_model}")
    post_delete.connect(_drop_reference, sender=_model, dispatch_uid=f"dispatch-reference-delete-{_model}")


# --------------------------------------------------------------------------- the dispatcher's desk

class SuggestionSource(models.TextChoices):
    DESK = "desk", _("Dispatch queue")     # the dispatcher on the dispatch page
    API = "api", _("API")                  # POST /api/v1/dispatch/accept
    AUTO = "auto", _("Auto-dispatch")      # auto_dispatch_new_tickets, as the system user


class DispatchSuggestion(models.Model):
    """What the engine suggested when a ticket was dispatched, and what was chosen.

    One row per dispatch made through the desk (the dispatch page, the accept
    API, auto-dispatch). `accepted_rank` is the rank (1–3) of the suggestion
    whose category and lead unit were dispatched, or null when the dispatcher
    chose otherwise (an override): every override is a training signal.
    `category_rank` / `unit_rank` say whether the category or the unit alone
    was among the suggestions.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="dispatch_suggestions",
                               verbose_name=_("ticket"))
    suggested = models.JSONField(_("suggested"), default=list, blank=True,
                                 help_text=_("The engine's top suggestions: rank, category, lead and co units, "
                                             "confidence, explanation."))
    category = models.ForeignKey("categories.Category", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("chosen category"))
    lead_unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("chosen lead unit"))
    co_units = models.JSONField(_("chosen co units"), default=list, blank=True)
    accepted_rank = models.PositiveSmallIntegerField(_("accepted suggestion"), null=True, blank=True,
                                                     help_text=_("Empty: the dispatcher overrode the suggestions."))
    category_rank = models.PositiveSmallIntegerField(_("rank of the chosen category"), null=True, blank=True)
    unit_rank = models.PositiveSmallIntegerField(_("rank of the chosen lead unit"), null=True, blank=True)
    co_matched = models.BooleanField(_("co units as suggested"), null=True, blank=True)
    model_version = models.CharField(_("model version"), max_length=80, blank=True)
    confidence = models.FloatField(_("confidence of the top suggestion"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=SuggestionSource.choices,
                              default=SuggestionSource.DESK)
    at = models.DateTimeField(_("at"), db_index=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                           related_name="+", verbose_name=_("by"))
    # The ticket's district and street when it was dispatched: a district's or a street's accuracy figures are
    # counted from these, without joining millions of rows to their tickets (services.logged).
    district = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("district"), db_index=False)
    street = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("street/township"), db_index=False)

    class Meta:
        verbose_name = _("dispatch suggestion")
        verbose_name_plural = _("dispatch suggestions (accepted and overridden)")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["category", "at"]), models.Index(fields=["source", "at"]),
                   models.Index(fields=["district", "at"]), models.Index(fields=["street", "at"])]

    def __str__(self):
        return f"{self.ticket_id} #{self.accepted_rank or '-'}"

    @property
    def overridden(self):
        return self.accepted_rank is None

    @property
    def auto(self):
        return self.source == SuggestionSource.AUTO


#: The lowest threshold a rule may have: below it the top suggestion is more likely wrong than right.
AUTO_THRESHOLD_MIN = 0.5


class AutoDispatchRule(models.Model):
    """Auto-dispatch for a category: a new ticket whose top suggestion is this category (or one below it)
    with a confidence of at least `threshold` is dispatched by the system, without a dispatcher.

    Off unless enabled. The most specific rule wins: a disabled rule on a leaf
    keeps it out of an enabled rule on its parent.
    """

    category = models.OneToOneField("categories.Category", on_delete=models.CASCADE, related_name="auto_dispatch",
                                    verbose_name=_("category"),
                                    help_text=_("Applies to this category and every category below it."))
    threshold = models.FloatField(_("confidence threshold"), default=0.9,
                                  validators=[MinValueValidator(AUTO_THRESHOLD_MIN), MaxValueValidator(1.0)],
                                  help_text=_("Between 0.5 and 1: the top suggestion's confidence "
                                              "(probability × routing confidence) must reach it. Below one half "
                                              "the machine is more often wrong than right. Nothing is dispatched "
                                              "automatically while the desk runs on the cold-start model (its "
                                              "percentages only rank)."))
    enabled = models.BooleanField(_("enabled"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # Paused by the worker when its auto-dispatches were returned more than its threshold allows
    # (accuracy.pause_flagged_rules): disabled, with the figures it was paused on, until someone switches it back on.
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("paused by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    pause_figures = models.JSONField(_("figures when paused"), default=dict, blank=True, help_text=_(
        "Auto-dispatches judged, returns upheld, the lower end of their 95% interval and the share the threshold "
        "allows."))
    pause_seen_at = models.DateTimeField(_("pause acknowledged at"), null=True, blank=True)
    pause_seen_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("pause acknowledged by"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="+")
    resumed_at = models.DateTimeField(_("switched back on at"), null=True, blank=True, help_text=_(
        "The worker judges only the auto-dispatches made since."))
    resumed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("switched back on by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    threshold_raised_at = models.DateTimeField(_("threshold raised at"), null=True, blank=True, help_text=_(
        "The worker judges only the auto-dispatches made since: those made at a lower threshold are not held "
        "against a higher one."))

    class Meta:
        verbose_name = _("auto-dispatch rule")
        verbose_name_plural = _("auto-dispatch rules")
        ordering = ["category__code"]

    def save(self, *args, **kwargs):
        if self.raises_threshold(kwargs.get("update_fields")):
            self.threshold_raised_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "threshold_raised_at"}
        super().save(*args, **kwargs)

    def raises_threshold(self, update_fields=None):
        """Whether saving raises the stored threshold (the back office's form and its list, the shell alike): the
        returns allowed shrink, and the auto-dispatches made below it are not judged by it (accuracy.judged_since)."""
        if self.pk is None or (update_fields is not None and "threshold" not in update_fields):
            return False
        before = type(self).objects.filter(pk=self.pk).values_list("threshold", flat=True).first()
        return before is not None and self.threshold > before

    def __str__(self):
        return f"{self.category} ≥ {self.threshold:.0%}"


class RetrainState(models.TextChoices):
    RUNNING = "running", _("Running")
    REPLACED = "replaced", _("New model in use")       # promoted: the new model was not worse
    KEPT = "kept", _("Current model kept")             # the new model was worse
    SKIPPED = "skipped", _("Not trained")              # too few tickets to train on or to judge with
    FAILED = "failed", _("Failed")                     # an error; the current model stays
    LOST = "lost", _("Interrupted")                    # the process ended (killed?) without a result
    ROLLED_BACK = "rollback", _("Rolled back")         # jiesu dispatch rollback: the previous model put back


class RetrainTrigger(models.TextChoices):
    WORKER = "worker", _("Scheduled (worker)")
    COMMAND = "command", _("Command")
    SETUP = "setup", _("Set-up (first model)")


class RetrainRun(models.Model):
    """One run of `jiesu dispatch retrain`, started by the worker's weekly schedule or by hand (or a
    `jiesu dispatch rollback`, recorded alike: it changes the model in use too).

    At most one runs at a time (a unique constraint on the running state): two runs would write the same
    model file. A run whose process died without a result is marked lost by the worker's next look.
    """

    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=RetrainState.choices, default=RetrainState.RUNNING)
    trigger = models.CharField(_("started by"), max_length=8, choices=RetrainTrigger.choices)
    model_path = models.CharField(_("model file"), max_length=500)
    host = models.CharField(_("host"), max_length=120, blank=True)
    pid = models.PositiveIntegerField(_("process id"), null=True, blank=True)
    reason = models.TextField(pgettext_lazy("retraining", "command's words"), blank=True)
    result = models.JSONField(pgettext_lazy("retraining", "command's JSON line"), default=dict, blank=True,
                              help_text=_("The command's JSON line: both judgements, tickets, seconds."))
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+",
                                 help_text=_("The user who asked for it: from the accuracy page, or named by the "
                                             "command's --by."))
    os_user = models.CharField(_("operating-system user"), max_length=64, blank=True,
                               help_text=_("Who ran the command on the server (a run started by command)."))

    class Meta:
        verbose_name = _("model retraining")
        verbose_name_plural = _("model retrainings")
        ordering = ["-started_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["state"], condition=models.Q(state="running"),
                                               name="one_retraining_running")]

    def __str__(self):
        return f"#{self.pk} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M} {self.get_state_display()}"

    @classmethod
    def newest_pk(cls):
        """The newest run's id (0 for none): the runs recorded after it are those a call made."""
        return cls.objects.aggregate(newest=models.Max("pk"))["newest"] or 0

    @classmethod
    def note_asker(cls, runs, user=None, os_user=""):
        """Record who asked for `runs` (a queryset): a platform user, the operating-system user who ran the command."""
        runs.update(asked_by=user, os_user=(os_user or "")[:64])

    @property
    def rollback_refused(self):
        """A `jiesu dispatch rollback` that changed nothing (no previous model, or one that cannot be read),
        recorded as failed: not a failed retraining (services.ROLLBACK_REFUSED)."""
        return self.state == RetrainState.FAILED and (self.result or {}).get("refused") in (
            "no_previous", "unreadable_previous")

    @property
    def minutes(self):
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds() / 60


class AccuracySnapshot(models.Model):
    """The accuracy page's figures for one audience and period, kept when they took long to compute.

    A city logs millions of dispatches (Beijing: about 5.9 million in 12 weeks); counting them for each visit
    would take the page tens of seconds. A report that counted KEEP_ROWS dispatches or more is kept here, the page
    shows it with the time it was computed, and the worker computes it again hourly while someone looks at it
    (accuracy.accuracy_for, jobs.refresh_accuracy_snapshots). Small installations never get one: their page is
    counted at every visit.
    """

    audience = models.CharField(_("audience"), max_length=60,
                                help_text=_("city: every city-wide user; unit:ID:role: that unit's supervisors."))
    weeks = models.PositiveSmallIntegerField(_("weeks"))
    computed_at = models.DateTimeField(_("computed at"))
    viewed_at = models.DateTimeField(_("last viewed at"))
    seconds = models.FloatField(_("seconds to compute"))
    report = models.BinaryField(_("report"))  # services.Accuracy, pickled by services.keep_snapshot only
    recount_asked_at = models.DateTimeField(_("recount asked at"), null=True, blank=True,
                                            help_text=_("The worker counts it again at its next pass."))
    recount_asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recount asked by"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("accuracy snapshot")
        verbose_name_plural = _("accuracy snapshots")
        constraints = [models.UniqueConstraint(fields=["audience", "weeks"], name="accuracy_snapshot_once")]

    def __str__(self):
        return f"{self.audience} · {self.weeks} weeks · {self.computed_at:%Y-%m-%d %H:%M}"


class ReferenceVersion(models.Model):
    """One row whose number every change to the reference data raises: how other processes learn of an edit.

    router.invalidate() raises it in the saving transaction (so it is seen exactly when the edit is); each
    process reads it with the counts in its recheck query every DISPATCH_RECHECK_SECONDS (router._fingerprint,
    units.services._cache_key). An edit changes no count or id, and a process's memory is its own: without
    this row another process (the worker's auto-dispatch) would route with the old catalogue.
    """

    version = models.BigIntegerField(default=0, verbose_name=_("version"))

    class Meta:
        verbose_name = _("reference data version")
        verbose_name_plural = _("reference data version")

    def __str__(self):
        return str(self.version)
