"""The router: category × place × dispatch catalogue (Duty) → lead and co units, explained.

《北京市接诉即办工作条例》 Art.12, as the router applies it:

* a duty with a fixed unit (a city department, an enterprise, a district
  department) → that unit directly (条: 直派);
* a territorial duty (属地) → the street/township of the place; a street
  dispatch also goes to its district in copy (the services do the copy, the
  explanation says so);
* the place's street unknown but its district known → the district
  government (区政府兜底);
* nothing known → the hotline centre, for manual dispatch;
* a unit on the category's negative list (负面清单) is never suggested.

How sure a suggestion is: a citywide duty with a fixed unit does not depend on the place (1.0); every other
duty does — a local rule (a duty for a territory) applies only because the ticket is taken to lie there — and
carries the place's confidence. Two lead duties of the same rank naming different units contradict each
other: both are offered, each at CONFLICT_FACTOR, and the explanation names them.

Duties are looked up on the category and its ancestors. Among the duties
that apply to the place, a duty for a territory beats a citywide one (the
more specific territory first: grid, community, street, district), then a
duty on the category itself beats one on an ancestor. Co units come from
the best-ranked set of co duties the same way.

`RoutingTable` is pure: built once from plain objects (Unit / Category /
Duty rows), it routes without queries. `reference()` holds the table, the
gazetteer and the point index for the process, rebuilt when units,
categories, duties or gazetteer entries change, in any process (see `invalidate`).
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial

from jiesu.dispatch.gazetteer import LEVEL_RANK, LEVELS, chain_ids, level_of
from jiesu.dispatch.wording import words

TERRITORIAL_TARGETS = ("grid", "community", "street", "district")
DISTRICT_DEPARTMENT_PREFIX = "district_department:"
HOTLINE_CODE = "HC"

# How sure each way of finding the unit is, times the place's confidence where the place matters.
DIRECT = 1.0          # a fixed unit by a citywide rule: the place does not matter
FALLBACK_FACTOR = 0.6  # 兜底: the district instead of the street
HOTLINE = 0.2         # manual dispatch
ALTERNATIVE_FACTOR = 0.5  # a lower-ranked duty offered as an alternative
# Two lead duties of one rank naming different units (the catalogue contradicts itself): each is at best a
# coin-flip, and it stays under auto-dispatch's floor (models.AUTO_THRESHOLD_MIN, 0.5) at any probability, so
# that a person, not the duties' id order, chooses.
CONFLICT_FACTOR = 0.4
#: A point this close to a street's boundary (1e-6° ≈ 0.1 m, the last digit of a 6-decimal GPS reading) lies on it.
ON_LINE_DEGREES = 1e-6



def office_name(unit) -> str:
    """The office behind a territorial unit: 东华门街道 → 东华门街道办事处, 东城区 → 东城区人民政府."""
    if level_of(unit) in ("street", "district"):
        for alias in (a.strip() for a in (unit.aliases or "").split(",")):
            if alias.endswith(("办事处", "人民政府")):
                return alias
    return unit.name


@dataclass
class Suggestion:
    """One way to dispatch: the lead unit, co units, the duty used and why."""

    lead: object
    co: list = field(default_factory=list)
    duty_id: int | None = None
    confidence: float = 0.0
    mode: str = ""           # direct, territorial, district, district_department, fallback_district, hotline
    category: object = None  # the category routed
    copy_to: object = None   # the district a street dispatch is copied to
    why: object = None       # () -> the explanation: worded when first read (most routed candidates never are)
    _text: str | None = None

    @property
    def explanation(self) -> str:
        if self._text is None:
            self._text = self.why() if self.why is not None else ""
        return self._text

    def worded(self):
        """Word the explanation now and let go of what wording it needed (for a suggestion kept in a cache)."""
        self.explanation  # noqa: B018 — computed and kept
        self.why = None
        return self

    def as_dict(self):
        brief = lambda u: {"code": u.code, "name": u.name, "kind": str(u.kind)} if u is not None else None  # noqa: E731
        return {"lead": brief(self.lead), "co": [brief(u) for u in self.co], "duty_id": self.duty_id,
                "explanation": self.explanation, "confidence": self.confidence, "mode": self.mode,
                "copy_to": brief(self.copy_to)}


@dataclass(frozen=True, slots=True)
class _Duty:
    """What the router reads of a duty, as plain attributes (a Django row reads every foreign key through a
    descriptor, and routing reads them many times per ticket)."""

    id: int | None
    category_id: int
    territory_id: int | None
    unit_id: int | None
    unit_kind: str
    role: str
    negative: bool

    @classmethod
    def of(cls, d) -> "_Duty":
        return cls(d.id, d.category_id, d.territory_id, d.unit_id, d.unit_kind or "", d.role, bool(d.negative))


@dataclass
class _Resolved:
    unit: object
    mode: str
    confidence: float
    note: str = ""


class RoutingTable:
    """The dispatch catalogue in memory: route(category, place) without queries.

    `units`: {id: unit}, `categories`: {id: category}, `duties`: iterable of
    duties — Unit / Category / Duty rows or any objects with their attributes.
    """

    def __init__(self, units: dict, categories: dict, duties):
        self.units = units
        self.by_code = {u.code: u for u in units.values()}
        self.categories = categories
        self.category_by_code = {c.code: c for c in categories.values()}
        self.duties = defaultdict(list)
        for d in sorted(duties, key=lambda d: d.id or 0):
            self.duties[d.category_id].append(_Duty.of(d))
        self.hotline = self.by_code.get(HOTLINE_CODE)
        self._chains = {}
        self._duty_entries = {}
        self._offices = {}
        self._territories = {}
        self._applicable_kept = {}

    # -- look-ups

    def category(self, category):
        """A category from a code, an id or an object with `.id`; KeyError if unknown."""
        if isinstance(category, str):
            return self.category_by_code[category]
        if isinstance(category, int):
            return self.categories[category]
        return self.categories[category.id]

    def category_chain(self, category) -> list:
        """[category, parent, …, root]."""
        chain = self._chains.get(category.id)
        if chain is None:
            chain, node = [], category
            while node is not None:
                chain.append(node)
                node = self.categories.get(node.parent_id)
            self._chains[category.id] = chain
        return chain

    def place_chain(self, place) -> dict:
        """{"grid", "community", "street", "district"} → unit or None, from a LocateResult, a dict or a unit."""
        if place is None:
            return dict.fromkeys(LEVELS)
        if hasattr(place, "place"):
            place = place.place()
        if isinstance(place, dict):
            chain = {level: place.get(level) for level in LEVELS}
            unit = next((u for u in chain.values() if u is not None), None)
            if unit is not None:  # fill the ancestors a partial dict leaves out
                for level, uid in chain_ids(unit).items():
                    if chain[level] is None and uid is not None:
                        chain[level] = self.units.get(uid)
            return chain
        return {level: self.units.get(uid) if uid is not None else None
                for level, uid in chain_ids(place).items()}

    def office(self, unit) -> str:
        """office_name(unit), kept per unit (a unit's edit rebuilds the table)."""
        name = self._offices.get(unit.id)
        if name is None:
            name = self._offices[unit.id] = office_name(unit)
        return name

    # -- routing

    def route(self, category, place=None, place_confidence=None, chain=None, w=None) -> list[Suggestion]:
        """Suggestions for a ticket of `category` at `place`, best first (at least one).

        `place`: a LocateResult (its confidence is used), a {"grid", …,
        "district"} dict, a territorial unit, or None. `chain`: place_chain(place),
        when the caller routes several categories for one place. `w`: wording.words(), when the caller has it
        (looking up the language costs more than routing a category's duties).
        """
        w = w or words()
        category = self.category(category)
        chain = self.place_chain(place) if chain is None else chain
        if place_confidence is None:
            place_confidence = getattr(place, "confidence", None)
            if place_confidence is None:
                place_confidence = 1.0 if any(chain.values()) else 0.0
        place_ids = {u.id for u in chain.values() if u is not None}
        leads, cos, negatives = self._applicable(category, place_ids)
        blocked_notes = []
        blocked = partial(self._first_barring, negatives)
        suggestions, seen, doubt = [], set(), 1.0
        for _key, group in leads:
            alternative = bool(suggestions)  # a lower rank than a suggestion already made
            found = self._group_units(group, chain, place_confidence, blocked, blocked_notes, seen, w)
            conflict = tuple(duty.id for duty, _resolved in found) if len(found) > 1 else ()
            if conflict:
                doubt = CONFLICT_FACTOR  # and the lower ranks stay below the conflicting rules
            for duty, resolved in found:
                suggestions.append(self._suggestion(category, chain, duty, resolved, cos, blocked, blocked_notes,
                                                    place_confidence, alternative, w, conflict, doubt))
        if not suggestions:
            suggestions.append(self._fallback(category, chain, place_confidence, leads, cos, blocked, blocked_notes,
                                              w))
        return suggestions[:3]

    def _group_units(self, group, chain, place_confidence, blocked, blocked_notes, seen, w) -> list:
        """[(duty, resolved)] of one rank's lead duties, one per unit not `seen` yet (added to it); a barred unit is
        left out and noted."""
        found = []
        for duty in group:
            resolved = self._resolve(duty, chain, place_confidence, w)
            if resolved is None or resolved.unit is None:
                continue
            negative = blocked(resolved.unit)
            if negative is not None:
                blocked_notes.append(w["negative_lead"] % {"id": negative.id, "unit": self.office(resolved.unit)})
                continue
            if resolved.unit.id not in seen:
                seen.add(resolved.unit.id)
                found.append((duty, resolved))
        return found

    def _applicable(self, category, place_ids):
        """Lead groups [(rank, [duties])] best first, co groups likewise, negatives (any rank); shared, not to
        be changed. They depend on the place only through which of the duties' territories hold it, so they
        are kept per category and that set."""
        territories = self._territories.get(category.id)
        if territories is None:
            territories = self._territories[category.id] = frozenset(
                d.territory_id for _depth, d, _rank, _elsewhere in self._duties_of(category) if d.territory_id)
        key = (category.id, territories & place_ids)
        found = self._applicable_kept.get(key)
        if found is None:
            found = self._applicable_kept[key] = self._group_duties(category, place_ids)
        return found

    def _group_duties(self, category, place_ids):
        leads, cos, negatives = defaultdict(list), defaultdict(list), []
        for depth, d, rank_here, elsewhere in self._duties_of(category):
            if d.territory_id is None:
                t_rank = 0
            elif d.territory_id in place_ids:
                t_rank = rank_here
            elif elsewhere:
                continue  # a territory elsewhere
            else:
                t_rank = 0  # the city or a non-territorial unit as territory: citywide
            if d.negative:
                negatives.append(d)
                continue
            key = (t_rank, -depth)
            (leads if d.role == "lead" else cos)[key].append(d)
        order = lambda groups: sorted(groups.items(), key=lambda kv: kv[0], reverse=True)  # noqa: E731
        return order(leads), order(cos), negatives

    def _duties_of(self, category) -> list:
        """[(depth, duty, its territory's rank when the place lies there, whether its territory is a place
        that is not the ticket's)] for the duties on the category and its ancestors (kept per category)."""
        entries = self._duty_entries.get(category.id)
        if entries is None:
            entries = []
            for depth, node in enumerate(self.category_chain(category)):
                for d in self.duties.get(node.id, ()):
                    territory = self.units.get(d.territory_id) if d.territory_id is not None else None
                    rank_here = LEVEL_RANK.get(level_of(territory), 0) if territory is not None else 0
                    elsewhere = territory is None or level_of(territory) is not None
                    entries.append((depth, d, rank_here, elsewhere))
            self._duty_entries[category.id] = entries
        return entries

    def barring(self, category, place, unit):
        """The negative-list duty (负面清单) that bars `unit` from tickets of `category` at `place`, or None: the
        entries route() skips a unit for (on the category or an ancestor, citywide or for a territory holding the
        place, naming the unit or its kind). jiesu.tickets.services refuses a dispatch by it."""
        category = self.category(category)
        chain = self.place_chain(place)
        _leads, _cos, negatives = self._applicable(category, {u.id for u in chain.values() if u is not None})
        return self._first_barring(negatives, unit)

    def _first_barring(self, negatives, unit):
        return next((d for d in negatives if self._negative_hits(d, unit)), None)

    def _negative_hits(self, duty, unit) -> bool:
        if duty.unit_id is not None:
            return duty.unit_id == unit.id
        kind = duty.unit_kind or ""
        if kind in TERRITORIAL_TARGETS:
            return str(unit.kind) == kind
        if kind.startswith(DISTRICT_DEPARTMENT_PREFIX):
            return unit.code.endswith("-" + kind[len(DISTRICT_DEPARTMENT_PREFIX):])
        return False

    def _resolve(self, duty, chain, place_confidence, w) -> _Resolved | None:
        if duty.unit_id is not None:
            unit = self.units.get(duty.unit_id)
            if unit is None or not unit.active:
                return None
            return _Resolved(unit, "direct", place_confidence if _is_local(duty, chain) else DIRECT)
        kind = duty.unit_kind or ""
        if kind in TERRITORIAL_TARGETS:
            for level in TERRITORIAL_TARGETS[TERRITORIAL_TARGETS.index(kind):]:
                unit = chain.get(level)
                if unit is None:
                    continue
                if level == kind:
                    return _Resolved(unit, "district" if level == "district" else "territorial", place_confidence)
                if level == "district":
                    return _Resolved(unit, "fallback_district", place_confidence * FALLBACK_FACTOR,
                                     w["unknown_level"] % {"level": w[f"level_{kind}"]})
                return _Resolved(unit, "territorial", place_confidence * 0.8,
                                 w["unknown_level_up"] % {"level": w[f"level_{kind}"], "up": w[f"level_{level}"]})
            return None
        if kind.startswith(DISTRICT_DEPARTMENT_PREFIX):
            district = chain.get("district")
            if district is None:
                return None
            unit = self.by_code.get(f"{district.code}-{kind[len(DISTRICT_DEPARTMENT_PREFIX):]}")
            if unit is None or not unit.active:
                return _Resolved(district, "fallback_district", place_confidence * FALLBACK_FACTOR,
                                 w["no_district_department"] % {"district": district.name})
            return _Resolved(unit, "district_department", place_confidence)
        return None

    def _suggestion(self, category, chain, duty, resolved, cos, blocked, blocked_notes, place_confidence,
                    alternative, w, conflict=(), doubt=1.0) -> Suggestion:
        lead = resolved.unit
        co, co_notes = self._co_units(lead, cos, chain, place_confidence, blocked, w)
        copy_to = self._district_copy(lead, chain)
        confidence = resolved.confidence * (ALTERNATIVE_FACTOR if alternative else 1.0) * doubt
        why = partial(self._explain, category, chain, duty, resolved, co, copy_to, blocked_notes + co_notes,
                      alternative, w, conflict)
        return Suggestion(lead=lead, co=co, duty_id=duty.id, why=why, confidence=round(confidence, 4),
                          mode=resolved.mode, category=category, copy_to=copy_to)

    def _co_units(self, lead, cos, chain, place_confidence, blocked, w):
        """([co units], [notes]) for `lead`: the best-ranked co duties' units that are found and not barred (each
        barred one noted), apart from the lead itself."""
        co, co_notes = [], []
        for _key, group in cos:
            for d in group:
                r = self._resolve(d, chain, place_confidence, w)
                if r is None or r.unit is None or r.unit.id == lead.id or r.mode == "fallback_district":
                    continue  # a co unit is only named when the catalogue's target is found
                negative = blocked(r.unit)
                if negative is not None:
                    co_notes.append(w["negative_co"] % {"id": negative.id, "unit": self.office(r.unit)})
                    continue
                if r.unit.id not in {u.id for u in co}:
                    co.append(r.unit)
            if co:
                break
        return co, co_notes

    def _district_copy(self, lead, chain):
        """The district a street's dispatch is copied to (Art.12): the street's own. A copy informs the district,
        which oversees its streets; it is not handling, so the negative list does not bar it (as
        tickets.services._assign, which copies every street dispatch)."""
        if str(lead.kind) != "street":
            return None
        return self.units.get(lead.district_id) or chain.get("district")

    def _fallback(self, category, chain, place_confidence, leads, cos, blocked, blocked_notes, w) -> Suggestion:
        """No duty gave an allowed unit: the district government if known, with the catalogue's co units (not
        barred themselves), else the hotline centre, which dispatches by hand."""
        district = chain.get("district")
        if not leads:
            why = w["why_no_rule"]
        elif blocked_notes:
            why = w["why_negative"]
        else:
            why = w["why_unresolved"]
        barred = blocked(district) if district is not None else None
        if barred is not None:
            blocked_notes = [*blocked_notes, w["negative_lead"] % {"id": barred.id, "unit": self.office(district)}]
        if district is not None and barred is None and self.units.get(district.id) is not None:
            resolved = _Resolved(district, "fallback_district", place_confidence * FALLBACK_FACTOR, why)
            co, co_notes = self._co_units(district, cos, chain, place_confidence, blocked, w)
            why = partial(self._explain, category, chain, None, resolved, co, None, blocked_notes + co_notes, False,
                          w)
            return Suggestion(lead=district, co=co, duty_id=None, why=why, mode=resolved.mode,
                              confidence=round(resolved.confidence, 4), category=category)
        reason = why if district is not None else w["unknown_district"]
        resolved = _Resolved(self.hotline, "hotline", HOTLINE, reason)
        why = partial(self._explain, category, chain, None, resolved, [], None, blocked_notes, False, w)
        return Suggestion(lead=self.hotline, duty_id=None, why=why, mode="hotline",
                          confidence=HOTLINE, category=category)

    def _explain(self, category, chain, duty, resolved, co, copy_to, notes, alternative, w, conflict=()) -> str:
        """占道经营 位于 东华门街道 → 东华门街道办事处（派单目录 #123，属地；街道派单同时抄送东城区）"""
        street, district = chain.get("street"), chain.get("district")
        local = duty is not None and _is_local(duty, chain)
        if resolved.mode == "direct" and not local:
            where = ""
        elif street is not None:
            where = w["where_street"] % {"street": street.name}
        elif district is not None:
            where = w["where_district"] % {"district": district.name}
        else:
            where = w["where_unknown"]
        target = self.office(resolved.unit) if resolved.unit is not None else "12345市民服务热线中心"
        parts = []
        if duty is not None:
            parts.append(w["duty"] % {"id": duty.id})
        parts.append(w[f"mode_{resolved.mode}"])
        if resolved.note:
            parts.append(resolved.note)
        if local:  # a territory elsewhere, the city or a department: citywide
            parts.append(w["territory_rule"] % {"territory": self.units[duty.territory_id].name})
        if duty is not None and duty.category_id != category.id:
            owner = self.categories.get(duty.category_id)
            if owner is not None:
                parts.append(w["parent_rule"] % {"name": owner.name})
        if copy_to is not None:
            parts.append(w["copy"] % {"district": copy_to.name})
        if co:
            parts.append(w["co"] % {"units": w["units_sep"].join(self.office(u) for u in co)})
        if alternative:
            parts.append(w["alternative"])
        if conflict:
            *first, last = (f"#{i}" for i in conflict)
            parts.append(w["conflict"] % {"first": w["units_sep"].join(first), "last": last})
        parts.extend(dict.fromkeys(notes))  # one barred unit met by several rules is said once
        return w["explanation"] % {"category": category.name, "where": where, "target": target,
                                   "parts": w["parts_sep"].join(parts)}


def _is_local(duty, chain) -> bool:
    """Whether `duty` applies because of the place: its territory is one of the place's units (a duty for the city,
    a department or a territory elsewhere is citywide, or does not apply)."""
    return duty.territory_id is not None and any(u is not None and u.id == duty.territory_id for u in chain.values())


# --------------------------------------------------------------------------- the process's reference data

@dataclass
class Reference:
    """What dispatch reads, held in memory: the routing table (with every unit) and the gazetteer."""

    table: RoutingTable
    gazetteer: object
    fingerprint: tuple = ()
    built_at: float = 0.0
    build_seconds: float = 0.0

    def locate_point(self, lon, lat):
        """(finest unit at the WGS-84 point, its level) or (None, None): grids, then communities, streets,
        districts, through the org tree's point index (jiesu.units.services.finest_locator)."""
        unit, kind, _streets = self.point_place(lon, lat)
        return unit, kind

    def point_place(self, lon, lat):
        """locate_point's (unit, level), and the ids of every street whose boundary lies within ON_LINE_DEGREES of
        the point: two or more when it lies on their shared line."""
        from jiesu.units.services import finest_locator

        layers = finest_locator(_point_cache())
        found = layers.locate(lon, lat)
        if found is None:
            return None, None, []
        kind, hit = found
        unit = self.table.units.get(hit[0])
        if unit is None:  # the point index is newer than this table: rebuild it here (no one else is behind)
            _state["reference"] = None
            return None, None, []
        near = layers.all_at(lon, lat, within=ON_LINE_DEGREES)
        return unit, kind, [ids[0] for level, ids in near if level == "street"]


_state = {"reference": None, "checked": 0.0, "points": None, "points_checked": 0.0}
_lock = threading.Lock()


def _settings():
    from django.conf import settings

    conf = getattr(settings, "JIESU", {})
    return conf.get("DISPATCH_RECHECK_SECONDS", 5.0), conf.get("DISPATCH_MAX_AGE_SECONDS", 600.0)


def _point_cache():
    """The org tree's own cache of point locators (shared, not copied).

    jiesu.units.services keeps one per process, keyed on the units and dropped
    by its bulk services and Unit signals; asking it for freshness costs a
    query, so it is asked at most every DISPATCH_RECHECK_SECONDS, or at once
    when it has been dropped in this process.
    """
    from jiesu.units import services as units

    cache, now = _state["points"], time.monotonic()
    if cache is None or units._locators["key"] is None or now - _state["points_checked"] >= _settings()[0]:
        cache = _state["points"] = units._fresh_locators()
        _state["points_checked"] = now
    return cache


def invalidate():
    """Drop the in-memory reference data here, and raise the shared version (models.ReferenceVersion) so that every
    other process drops its own at its next recheck.

    Called by the signals of Unit, Category, Duty and GazetteerEntry saves and deletes and by the bulk services.
    Inside a transaction the raise is part of it: other processes see it when they see the change, and a
    rolled-back change raises nothing.
    """
    from django.db.models import F

    from jiesu.dispatch.models import ReferenceVersion

    _state["reference"] = None
    if not ReferenceVersion.objects.filter(pk=1).update(version=F("version") + 1):  # the row is gone (a flush)
        ReferenceVersion.objects.bulk_create([ReferenceVersion(pk=1, version=1)], ignore_conflicts=True)


def _fingerprint() -> tuple:
    """(count, max id) of units, categories, duties, gazetteer entries, and the shared version, in one query.

    Inserts and deletes change the counts; every change made through Django (an edit in the admin, a bulk
    service) raises the version, in whichever process. What is written to the tables by hand, bypassing
    both, is read at the latest after DISPATCH_MAX_AGE_SECONDS.
    """
    from django.db import connection

    from jiesu.categories.models import Category, Duty
    from jiesu.dispatch.models import GazetteerEntry, ReferenceVersion
    from jiesu.units.models import Unit

    parts = [f"SELECT {i}, COUNT(*), MAX(id) FROM {m._meta.db_table}"
             for i, m in enumerate((Unit, Category, Duty, GazetteerEntry))]
    parts.append(f"SELECT 4, version, 0 FROM {ReferenceVersion._meta.db_table}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts) + " ORDER BY 1")
        return tuple(tuple(r) for r in cursor.fetchall())


def reference() -> Reference:
    """The process's reference data, rebuilt when stale (checked at most every DISPATCH_RECHECK_SECONDS)."""
    ref = _state["reference"]
    now = time.monotonic()
    recheck, max_age = _settings()
    if ref is not None and now - _state["checked"] < recheck:
        return ref
    fingerprint = _fingerprint()
    if ref is not None and fingerprint == ref.fingerprint and now - ref.built_at < max_age:
        _state["checked"] = now
        return ref
    with _lock:
        current = _state["reference"]
        if current is not None and current is not ref and current.fingerprint == fingerprint:
            return current  # another thread rebuilt it meanwhile
        ref = build_reference()
        _state["reference"] = ref
        _state["checked"] = time.monotonic()
    return ref


def build_reference() -> Reference:
    """Read units, categories, duties and the gazetteer into memory (a handful of queries)."""
    from jiesu.categories.models import Category, Duty
    from jiesu.dispatch.gazetteer import build_gazetteer
    from jiesu.units.models import Unit

    started = time.perf_counter()
    units = {u.id: u for u in Unit.objects.defer("geometry").order_by("code")}
    for u in units.values():  # parent/district/street resolved in memory: reading them costs no query
        for name in ("parent", "district", "street"):
            target = units.get(getattr(u, f"{name}_id"))
            if target is not None:
                setattr(u, name, target)
    categories = {c.id: c for c in Category.objects.all()}
    for c in categories.values():
        if c.parent_id in categories:
            c.parent = categories[c.parent_id]
    table = RoutingTable(units, categories, list(Duty.objects.all()))
    ref = Reference(table=table, gazetteer=None)

    def point_locate(lon, lat):
        unit, _kind = ref.locate_point(lon, lat)
        return unit.id if unit is not None else None

    ref.gazetteer = build_gazetteer(units, point_locate)  # seeds the gazetteer first
    ref.fingerprint = _fingerprint()  # after seeding, which may have added entries
    ref.built_at = time.monotonic()
    ref.build_seconds = time.perf_counter() - started
    return ref


def route(category, place=None) -> list[Suggestion]:
    """RoutingTable.route on the process's cached table."""
    return reference().table.route(category, place)
