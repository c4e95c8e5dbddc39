"""三率两度 assessment: the public API other apps (dashboards, topics, pages, API) use.

Everything here reads the rollups (jiesu.kpi.rollup keeps them) and the KPI
version in force; nothing writes to tickets. Months are `datetime.date` on the
first day of the month (`parse_month("2026-11")` makes one). Rates are shares
in 0…1 (None when there is nothing to divide); the composite is 0…100.

    version_for(month)                    KpiVersion in force (with .weights_by_class); versions_for(months) of many
    ranking(unit_class, month)            Ranking: rows ranked within one of the four groups, trend vs last month
                                          (as published for a published month, else live_ranking)
    rankings(month, unit_classes=None)    [Ranking] of several groups (the report's four), shared reads done once
    live_ranking(unit_class, month)       the same computed now from the rollups by today's tree
    publish_month(user, month, reason="") freeze a finished month's four rankings (republish: administrator, reason)
    freeze_due_months(now=None)           the job: publish months FREEZE_AFTER_DAYS after their end
    unit_kpis(unit, month)                Kpis of one unit (its group's definition)
    unit_history(unit, months=12)         [Kpis] month by month, oldest first
    city_kpis(month)                      Kpis of the whole city (every ticket of the month)
    city_overview(now=None)               the city dashboard: volume today/month, five rates, top categories, overdue
    overdue_counts(now=None, unit_ids=None)  Overdue(now, history): past the reply deadline, imported history apart
    month_counters(month, dim, exclusions=None)   {unit or category id: {counter: n}} raw monthly sums
    month_table(month, dim, exclusions=())        (those sums, {id: tickets received of every class}) in one read
    daily_series(start, end, unit_ids=None, category_ids=None, exclude=True)  [(day, {counter: n})]
    daily_volume(start, end, unit_ids=None)   [(day, tickets received)] from the (day, lead unit) table
    category_volume(start, end, unit_ids)     {category id: tickets received} of the units, one read
    top_categories(month, limit=10)       [(Category, tickets received)]
    explanations(version, weights=None)   {measure: "how is this computed?" text}
    unit_class_of(unit) / group_units(unit_class)
    can_see_unit(user, unit) / drilldown_url(unit, month)
    rebuild(since=None)                   recompute the rollups (jiesu kpi rebuild)
    register_recurring_source(fn)         fn(month, unit_ids) -> {unit id: recurring problems closed}
    request_exclusion / decide_exclusion  不合理诉求 reviews
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jiesu.core import scoping
from jiesu.core.collector import quiet_gc
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.kpi import formulas, rollup
from jiesu.kpi.defaults import create_default_version
from jiesu.kpi.explain import all_explanations
from jiesu.kpi.models import (
    COUNTERS, DailyRollup, DailyVolume, Exclusion, ExclusionReview, KpiVersion, KpiWeights, MonthDim, MonthlyRollup,
    PublishedRanking, ReviewState, UnitClass,
    month_start,
)
from jiesu.units.models import Unit, UnitKind

UNIT_CLASS_KINDS = {
    UnitClass.DISTRICT: (UnitKind.DISTRICT,),
    UnitClass.STREET: (UnitKind.STREET,),
    UnitClass.DEPARTMENT: (UnitKind.DEPARTMENT,),
    UnitClass.ENTERPRISE: (UnitKind.ENTERPRISE,),
}
WHISTLE_CLASSES = (UnitClass.STREET, UnitClass.DEPARTMENT)
log = logging.getLogger(__name__)
_RECURRING_SOURCES = []


# ── months and versions ─────────────────────────────────────────────────────

def parse_month(value, field_name="month"):
    """'2026-11' (or a date) → date(2026, 11, 1); DomainError naming the field otherwise."""
    if isinstance(value, date):
        return month_start(value)
    try:
        year, month = str(value).strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise DomainError(_("“%(v)s” is not a month (YYYY-MM).") % {"v": value}, field=field_name) from None


def current_month(now=None):
    return month_start(timezone.localtime(now or timezone.now()).date())


def previous_month(month):
    return month_start(month - timedelta(days=1))


def next_month(month):
    return month_start(month + timedelta(days=32))


def version_for(month):
    """The KpiVersion in force in `month` (the latest valid_from ≤ month), with `.weights_by_class`."""
    return _in_force(versions_for([month]), month_start(month))


def versions_for(months):
    """{month: the KpiVersion in force then, or None} for any number of months in one read of the (few) versions and
    their weights: a page of twelve months used to read them twice a month."""
    versions = list(KpiVersion.objects.prefetch_related("weights").order_by("-valid_from"))
    if not versions and create_default_version(KpiVersion, KpiWeights) is not None:
        return versions_for(months)  # an emptied table (e.g. a flushed test database) gets the shipped defaults
    for version in versions:
        version.weights_by_class = {w.unit_class: w.as_dict() for w in version.weights.all()}
    out = {}
    for month in map(month_start, months):
        out[month] = next((v for v in versions if v.valid_from <= month), None)
    return out


def explanations(version, weights=None):
    """{measure: text} — the "how is this computed?" next to every number."""
    return all_explanations(version, weights)


# ── unit classes ────────────────────────────────────────────────────────────

def unit_class_of(unit):
    """The ranking group of a unit, or None (communities, grids, the hotline centre are not ranked)."""
    if unit.kind == UnitKind.DEPARTMENT and unit.district_id:
        return None  # a district department counts under its district
    for unit_class, kinds in UNIT_CLASS_KINDS.items():
        if unit.kind in kinds:
            return str(unit_class)
    return None


def group_units(unit_class, inactive=False):
    """The active units ranked in `unit_class` (and the closed ones too if `inactive`), by code."""
    if unit_class not in UnitClass.values:
        raise DomainError(_("Unknown unit class “%(v)s”.") % {"v": unit_class}, field="unit_class")
    qs = Unit.objects.filter(kind__in=UNIT_CLASS_KINDS[unit_class]).order_by("code")
    if not inactive:
        qs = qs.filter(active=True)
    if unit_class == UnitClass.DEPARTMENT:
        qs = qs.filter(district__isnull=True)
    return list(qs.only("id", "code", "name", "kind", "district_id", "street_id", "parent_id", "active"))


def _member_map(unit_class, group_ids):
    """{lead unit id: ranked unit id}: a street gathers its communities and grids, a district its whole tree."""
    if unit_class == UnitClass.DISTRICT:
        rows = Unit.objects.filter(district_id__in=group_ids).values_list("id", "district_id")
    elif unit_class == UnitClass.STREET:
        rows = Unit.objects.filter(street_id__in=group_ids).values_list("id", "street_id")
    else:
        rows = [(pk, pk) for pk in group_ids]
    return dict(rows)


# ── sums ────────────────────────────────────────────────────────────────────

def _sum_fields():
    return {name: Sum(name) for name in COUNTERS}


def month_table(month, dim=MonthDim.UNIT, exclusions=()):
    """({key: {counter: n}} leaving out the exclusion classes given, {key: tickets received, every class}).

    One read of the month's rows (one per key, exclusion class and shard: summed here, not grouped in SQL).
    """
    month = month_start(month)
    return month_tables({month: exclusions}, dim)[month]


def month_tables(exclusions_by_month, dim=MonthDim.UNIT, keys=None):
    """{month: month_table(month, dim, exclusions)} for {month: exclusions}, of the `keys` only if given, in one read:
    a unit's twelve months, or a ranking's month and the month before, are one statement, not one each."""
    tables = {month_start(m): ({}, Counter()) for m in exclusions_by_month}
    excluded = {month_start(m): set(ex or ()) for m, ex in exclusions_by_month.items()}
    rows = MonthlyRollup.objects.filter(month__in=list(tables), dim=dim)
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    for month, key, exclusion, *values in rows.values_list("month", "key", "exclusion", *COUNTERS):
        counted, received = tables[month]
        received[key] += values[0]
        if exclusion in excluded[month]:
            continue
        total = counted.get(key)
        if total is None:
            counted[key] = dict(zip(COUNTERS, values))
        else:
            for name, n in zip(COUNTERS, values):
                total[name] += n
    return tables


def month_counters(month, dim=MonthDim.UNIT, exclusions=None):
    """{unit or category id: {counter: n}} for `month`, leaving out the exclusion classes given."""
    return month_table(month, dim, exclusions)[0]


def _received_all(month, dim=MonthDim.UNIT):
    """{key: tickets received} counting every ticket, excluded or not (volume)."""
    return month_table(month, dim)[1]


def daily_series(start, end, unit_ids=None, category_ids=None, exclude=True):
    """[(day, {counter: n})] for start ≤ day ≤ end, every day present (zeros where none).

    `exclude`: leave out the exclusion classes of the version in force at `end`
    (volume figures usually want exclude=False).
    """
    qs = DailyRollup.objects.filter(day__gte=start, day__lte=end)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    if category_ids is not None:
        qs = qs.filter(category_id__in=list(category_ids))
    if exclude:
        qs = qs.exclude(exclusion__in=version_for(end).excluded_classes())
    found = {row["day"]: {n: row[n] or 0 for n in COUNTERS} for row in qs.values("day").annotate(**_sum_fields())}
    out, day = [], start
    while day <= end:
        out.append((day, found.get(day, dict.fromkeys(COUNTERS, 0))))
        day += timedelta(days=1)
    return out


def daily_volume(start, end, unit_ids=None):
    """[(day, tickets received)] for start ≤ day ≤ end, every day present, every ticket (volume), of the lead units
    `unit_ids` if given. Reads DailyVolume, a few hundred rows a day, not the fine rollup."""
    qs = DailyVolume.objects.filter(day__gte=start, day__lte=end)
    if unit_ids is not None:
        qs = qs.filter(unit_id__in=list(unit_ids))
    found = dict(qs.values("day").annotate(n=Sum("received")).values_list("day", "n").order_by())
    out, day = [], start
    while day <= end:
        out.append((day, found.get(day) or 0))
        day += timedelta(days=1)
    return out


def category_volume(start, end, unit_ids):
    """{category id: tickets received} for start ≤ day ≤ end of the lead units `unit_ids`, every ticket (volume), in
    one read of the daily rollup (its (unit_id, day) index)."""
    qs = DailyRollup.objects.filter(day__gte=start, day__lte=end, unit_id__in=list(unit_ids))
    return {key: n for key, n in qs.values("category_id").annotate(n=Sum("received"))
            .values_list("category_id", "n").order_by() if n}


def _add(total, counts):
    for name, n in counts.items():
        total[name] += n


# ── KPIs ────────────────────────────────────────────────────────────────────

@dataclass
class Kpis:
    """One unit's (or the city's) figures for one month."""

    month: date
    version: int
    unit_id: int | None = None
    code: str = ""
    name: str = ""
    unit_class: str = ""
    received: int = 0            # tickets received, every ticket (volume)
    assessed: int = 0            # tickets received that count in the rates
    found_first: int = 0
    resp_due: int = 0
    resp_on_time: int = 0
    replied: int = 0
    valid_callbacks: int = 0
    cb_resolved: int = 0
    cb_partly: int = 0
    cb_unresolved: int = 0
    cb_satisfied: int = 0
    cb_basic: int = 0
    cb_dissatisfied: int = 0
    closed: int = 0
    returns_upheld: int = 0
    recurring_closed: int = 0
    response_rate: float | None = None
    resolution_rate: float | None = None
    satisfaction_rate: float | None = None
    speed_median_hours: float | None = None
    speed_p90_hours: float | None = None
    speed_score: float | None = None
    governance_depth: float | None = None
    whistle_rating: float | None = None   # 1…5, streets and departments (Art.33)
    whistle_count: int = 0
    composite: float | None = None        # 0…100
    rank: int | None = None
    previous_rank: int | None = None
    rank_change: int | None = None
    previous_composite: float | None = None
    composite_trend: float | None = None
    speed_histogram: list = field(default_factory=list)

    def as_dict(self):
        d = asdict(self)
        d["month"] = f"{self.month:%Y-%m}"
        return d

    def scores(self):
        """The 0…1 scores the composite weighs."""
        return {"response": self.response_rate, "resolution": self.resolution_rate,
                "satisfaction": self.satisfaction_rate, "speed": self.speed_score,
                "governance": self.governance_depth, "whistle": formulas.whistle_score(self.whistle_rating)}


def compute_kpis(counts, version, weights, received_all=None, recurring_closed=0, whistle=None, **ident):
    """Kpis from summed counters (assessed tickets only) under `version` and composite `weights`."""
    c = Counter({name: 0 for name in COUNTERS})
    _add(c, counts or {})
    histogram = [c[name] for name in formulas.SPEED_FIELDS]
    k = Kpis(version=version.number, received=c["received"] if received_all is None else received_all,
             assessed=c["received"], found_first=c["found_first"], resp_due=c["resp_due"],
             resp_on_time=c["resp_on_time"], replied=c["replied"], closed=c["closed"],
             returns_upheld=c["returns_upheld"], recurring_closed=recurring_closed,
             speed_histogram=histogram, **ident)
    for name in ("cb_resolved", "cb_partly", "cb_unresolved", "cb_satisfied", "cb_basic", "cb_dissatisfied"):
        setattr(k, name, c[name])
    k.valid_callbacks = c["cb_resolved"] + c["cb_partly"] + c["cb_unresolved"]
    k.response_rate = formulas.response_rate(c["resp_on_time"], c["resp_due"])
    k.resolution_rate = formulas.resolution_rate(c["cb_resolved"], c["cb_partly"], c["cb_unresolved"],
                                                 version.partly_weight)
    k.satisfaction_rate = formulas.satisfaction_rate(c["cb_satisfied"], c["cb_basic"], c["cb_dissatisfied"],
                                                     version.basic_weight)
    k.speed_median_hours = formulas.percentile_hours(histogram, 0.5)
    k.speed_p90_hours = formulas.percentile_hours(histogram, 0.9)
    k.speed_score = formulas.speed_score(k.speed_median_hours, version.speed_reference_hours)
    k.governance_depth = formulas.governance_depth(c["found_first"], recurring_closed, c["received"],
                                                   version.recurring_weight)
    if whistle is not None:
        k.whistle_rating, k.whistle_count = whistle
    k.composite = formulas.composite(k.scores(), weights or {})
    return k


def register_recurring_source(fn):
    """Let another app (每月一题 topics) report recurring problems closed: fn(month, unit_ids) → {unit id: n}."""
    if fn not in _RECURRING_SOURCES:
        _RECURRING_SOURCES.append(fn)


def _recurring(month, unit_ids):
    out = Counter()
    for source in _RECURRING_SOURCES:
        out.update(source(month, list(unit_ids)) or {})
    return out


def _whistles(month, unit_ids):
    """{unit id: (rating 1…5, number of ratings)} from the whistles app's roll-up (Art.33)."""
    from jiesu.whistles.stats import rating_rollup

    out = {}
    for r in rating_rollup(month=f"{month:%Y-%m}", unit_ids=unit_ids):
        unit_id = r.unit[0] if isinstance(r.unit, tuple) else r.unit
        out[unit_id] = (r.score, r.count)
    return out


def _group(unit_class):
    """(every unit of the group, the closed ones too, {lead unit id: ranked unit id}): read once for a ranking and
    the month before it."""
    units = group_units(unit_class, inactive=True)
    return units, _member_map(unit_class, [u.pk for u in units])


def _group_kpis(unit_class, month, version, group, table):
    """{ranked unit id: Kpis} for every unit of the group in `month` from its month table, unranked. A unit closed
    since (a street merged away) is listed in the months it has figures for: its tickets were handled and called
    back under it."""
    units, members = group
    counts, everything = table
    per_unit, received = defaultdict(Counter), Counter()
    for lead_id, target in members.items():
        if lead_id in counts:
            _add(per_unit[target], counts[lead_id])
        received[target] += everything.get(lead_id, 0)
    units = [u for u in units if u.active or received[u.pk] or any(per_unit[u.pk].values())]
    ids = [u.pk for u in units]
    recurring = _recurring(month, ids)
    whistles = _whistles(month, ids) if unit_class in WHISTLE_CLASSES else {}
    weights = version.weights_by_class.get(unit_class, {})
    return {u.pk: compute_kpis(per_unit.get(u.pk), version, weights, received_all=received[u.pk],
                               recurring_closed=recurring.get(u.pk, 0), whistle=whistles.get(u.pk), month=month,
                               unit_id=u.pk, code=u.code, name=u.name, unit_class=unit_class)
            for u in units}


@dataclass
class Ranking:
    unit_class: str
    month: date
    version: KpiVersion
    weights: dict
    rows: list                 # [Kpis], best first; units without a score last
    explanations: dict
    published: PublishedRanking | None = None  # the edition read, for a published (frozen) month

    def as_dict(self):
        return {"unit_class": self.unit_class, "month": f"{self.month:%Y-%m}", "version": self.version.number,
                "weights": self.weights, "rows": [r.as_dict() for r in self.rows],
                "explanations": self.explanations, "published": publication_dict(self.published)}


def _rank(kpis):
    rows = list(kpis.values())
    for row, rank in zip(rows, formulas.ranks([r.composite for r in rows])):
        row.rank = rank
    return rows


def ranking(unit_class, month):
    """The month's ranking of one group, with last month's rank and composite for the trend: as published for a
    published (frozen) month, else live from the rollups (live_ranking)."""
    return rankings(month, [unit_class])[0]


def rankings(month, unit_classes=None):
    """[Ranking] of several groups (default the four) for one month, each as `ranking` gives it: the published
    editions, the versions and the month's and last month's rollups are read once for all the groups (the printable
    report read each of them once per group)."""
    month, classes = month_start(month), [str(c) for c in (unit_classes or UnitClass.values)]
    before = previous_month(month)
    editions = _editions(classes, [month, before])
    versions = versions_for([month, before])
    live = [c for c in classes if (c, month) not in editions]
    computed = {month: _in_force(versions, month)} if live else {}
    if versions[before] is not None and any((c, before) not in editions for c in live):
        computed[before] = versions[before]
    tables = month_tables({m: v.excluded_classes() for m, v in computed.items()}) if computed else {}
    out = []
    for unit_class in classes:
        edition = editions.get((unit_class, month))
        if edition is None:
            out.append(_live_ranking(unit_class, month, editions.get((unit_class, before)), versions, tables))
            continue
        version = _in_force(versions, month)
        weights = version.weights_by_class.get(unit_class, {})
        out.append(Ranking(unit_class, month, version, weights, _published_rows(edition),
                           explanations(version, weights), published=edition))
    return out


def live_ranking(unit_class, month):
    """The month's ranking computed now from the rollups, gathered by today's tree; last month's ranks and composites
    for the trend are the published ones when last month is published. Each month is computed with its own version
    in force."""
    month = month_start(month)
    return _live_ranking(unit_class, month, published_edition(unit_class, previous_month(month)))


def _live_ranking(unit_class, month, edition_before, versions=None, tables=None):
    """live_ranking with last month's published edition (or None) read already, and the two months' versions and
    month tables if read already (`rankings`). The group's units are read once for both months: a fixed number of
    statements however many units."""
    before = previous_month(month)
    versions = versions if versions is not None else versions_for([month, before])
    version = _in_force(versions, month)
    computed = {month: version}
    if edition_before is None and versions[before] is not None:
        computed[before] = versions[before]
    group = _group(unit_class)
    if tables is None:
        tables = month_tables({m: v.excluded_classes() for m, v in computed.items()})
    current = _rank(_group_kpis(unit_class, month, version, group, tables[month]))
    if edition_before is not None:
        previous = {k.unit_id: k for k in _published_rows(edition_before)}
    elif before in computed:
        previous = {k.unit_id: k for k in _rank(_group_kpis(unit_class, before, computed[before], group,
                                                            tables[before]))}
    else:
        previous = {}  # no version in force last month: no trend
    for row in current:
        last = previous.get(row.unit_id)
        if last is not None:
            row.previous_rank, row.previous_composite = last.rank, last.composite
            row.rank_change = formulas.rank_change(row.rank, last.rank)
            row.composite_trend = formulas.trend(row.composite, last.composite)
    current.sort(key=lambda r: (r.rank is None, r.rank or 0, r.code))
    weights = version.weights_by_class.get(unit_class, {})
    return Ranking(str(unit_class), month, version, weights, current, explanations(version, weights))


def _in_force(versions, month):
    """The version of `month` from versions_for, or the DomainError version_for raises."""
    if versions.get(month) is None:
        raise DomainError(_("No KPI version is in force for %(m)s: add one in the admin.") % {"m": f"{month:%Y-%m}"},
                          field="month")
    return versions[month]


def _assessed_class(unit):
    unit_class = unit_class_of(unit)
    if unit_class is None:
        raise DomainError(_("%(unit)s is not assessed on its own.") % {"unit": unit.name}, field="unit")
    return unit_class


def unit_kpis(unit, month):
    """The Kpis of one ranked unit in `month` (its group's weights): its row as published for a published month
    (ranks filled), else computed live (rank fields not filled)."""
    return unit_history(unit, 1, month)[0]


def unit_history(unit, months=12, until=None):
    """[Kpis] of `unit` for the `months` months up to `until` (default this month), oldest first: each month as
    unit_kpis gives it. The published editions, the versions, the unit's members, their month tables and whistle
    ratings are each read once for all the months (before: about six statements a month)."""
    unit_class = _assessed_class(unit)
    wanted, month = [], month_start(until or current_month())
    for _i in range(months):
        wanted.append(month)
        month = previous_month(month)
    wanted.reverse()
    published = {}
    for month, edition in published_editions(unit_class, wanted).items():
        row = next((row for row in edition.rows if row.get("unit_id") == unit.pk), None)
        if row is not None:  # a unit created after publication has no row: read live
            published[month] = _kpis_of(row)
    live = [m for m in wanted if m not in published]
    versions = versions_for(live) if live else {}
    for month in live:
        _in_force(versions, month)
    members = list(_member_map(unit_class, [unit.pk])) if live else []
    tables = month_tables({m: versions[m].excluded_classes() for m in live}, keys=members) if live else {}
    whistles = _unit_whistles(unit, live) if live and unit_class in WHISTLE_CLASSES else {}
    out = []
    for month in wanted:
        if month in published:
            out.append(published[month])
            continue
        counts, everything = tables[month]
        total = Counter()
        for lead_id in members:
            _add(total, counts.get(lead_id, {}))
        version = versions[month]
        out.append(compute_kpis(
            total, version, version.weights_by_class.get(unit_class, {}),
            received_all=sum(everything.get(m, 0) for m in members),
            recurring_closed=_recurring(month, [unit.pk]).get(unit.pk, 0), whistle=whistles.get(month),
            month=month, unit_id=unit.pk, code=unit.code, name=unit.name, unit_class=unit_class))
    return out


def _unit_whistles(unit, months):
    """{month: (rating 1…5, number of ratings)} of one unit for `months`, from one read of its ratings (Art.33)."""
    from jiesu.whistles.stats import rating_rollup

    wanted = {f"{m:%Y-%m}": m for m in months}
    return {wanted[r.month]: (r.score, r.count) for r in rating_rollup(unit_ids=[unit.pk]) if r.month in wanted}


def city_kpis(month):
    """The city's Kpis for `month`: every unit's assessed tickets together (weights: none, no composite)."""
    month = month_start(month)
    version = version_for(month)
    counts, everything = month_table(month, MonthDim.UNIT, version.excluded_classes())
    total = Counter()
    for row in counts.values():
        _add(total, row)
    return compute_kpis(total, version, {}, received_all=sum(everything.values()), month=month, name=_("City"))


def top_categories(month, limit=10):
    """[(Category, tickets received)] of `month`, most first (every ticket: volume)."""
    from jiesu.categories.models import Category

    counts = sorted(((n, key) for key, n in _received_all(month, MonthDim.CATEGORY).items() if key and n),
                    reverse=True)[:limit]
    names = Category.objects.in_bulk([key for _n, key in counts])
    return [(names[key], n) for n, key in counts if key in names]


def overdue_count(now=None):
    """Tickets being handled past their reply deadline, now, imported history left out (overdue_counts)."""
    return overdue_counts(now).now


@dataclass(frozen=True)
class Overdue:
    now: int      # today's work past its reply deadline
    history: int  # imported history past it too (tickets.queries.import_history_q), left out of `now`


def overdue_counts(now=None, unit_ids=None) -> Overdue:
    """Tickets being handled past their reply deadline (led by `unit_ids` if given), in one live count on the
    tickets' index: today's, and apart the imported history the dispatch queue and the work lists set apart too
    (an earlier system's backlog more than a week past its dispatch time is not today's overdue work)."""
    from jiesu.tickets.models import HANDLING_STATES, Ticket
    from jiesu.tickets.queries import import_history_q

    now = now or timezone.now()
    tickets = Ticket.objects.filter(state__in=HANDLING_STATES, reply_due__lt=now)
    if unit_ids is not None:
        tickets = tickets.filter(lead_unit_id__in=unit_ids)
    # counted by `state` (never null), not the id: the id is in no index of PostgreSQL's, and counting it made the
    # planner read every ticket's row (0.8 s at 1 M tickets) instead of the state_due index alone (docs/benchmarks.md)
    counts = tickets.order_by().aggregate(all=Count("state"), history=Count("state", filter=import_history_q(now)))
    return Overdue(now=counts["all"] - counts["history"], history=counts["history"])


def city_overview(now=None):
    """The city dashboard's figures: volume today and this month, the five rates, top categories, overdue (today's;
    "overdue_history": the imported history past its deadline, left out)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    month = month_start(today)
    volume_today = DailyRollup.objects.filter(day=today).aggregate(n=Sum("received"))["n"] or 0
    kpis = city_kpis(month)
    overdue = overdue_counts(now)
    return {"today": today, "month": month, "volume_today": volume_today, "volume_month": kpis.received,
            "kpis": kpis, "top_categories": top_categories(month), "overdue": overdue.now,
            "overdue_history": overdue.history, "explanations": explanations(version_for(month))}


# ── published months (frozen) ──────────────────────────────────────────────

#: a month is published by the job this many days after its end (callbacks and reviews of its last tickets first)
FREEZE_AFTER_DAYS = settings.JIESU.get("KPI_FREEZE_AFTER_DAYS", 10)


def published_edition(unit_class, month):
    """The latest PublishedRanking of the group's month, or None while the month is open (read live)."""
    month = month_start(month)
    return published_editions(unit_class, [month]).get(month)


def published_editions(unit_class, months):
    """{month: its latest PublishedRanking} of the group's published months among `months`, in one read."""
    return {month: edition for (_c, month), edition in _editions([unit_class], months).items()}


def _editions(unit_classes, months):
    """{(group, month): latest PublishedRanking} of the groups' published months among `months`, in one read."""
    latest = (PublishedRanking.objects.filter(month=OuterRef("month"), unit_class=OuterRef("unit_class"))
              .order_by("-edition").values("edition")[:1])
    rows = (PublishedRanking.objects.filter(month__in=[month_start(m) for m in months],
                                            unit_class__in=[str(c) for c in unit_classes], edition=Subquery(latest))
            .select_related("published_by"))
    return {(row.unit_class, row.month): row for row in rows}


def publication_dict(edition):
    if edition is None:
        return None
    by = edition.published_by
    return {"edition": edition.edition, "at": edition.published_at.isoformat(), "reason": edition.reason,
            "by": (by.get_full_name() or by.username) if by else None}


def _kpis_of(row):
    values = dict(row)
    values["month"] = parse_month(values["month"])
    return Kpis(**{name: value for name, value in values.items() if name in Kpis.__dataclass_fields__})


def _published_rows(edition):
    return [_kpis_of(row) for row in edition.rows]


def publish_month(user, month, reason="", now=None):
    """Publish (freeze) `month`: store every group's ranking as it stands now, so the month reads the same whatever
    the tree or a late callback does later. A month is published once it is over, by an administrator or a
    supervisor (or by the job: `user` None); republishing a published month (a correction) takes an administrator
    and a reason, and adds the next edition, the earlier ones kept. Returns the editions written."""
    month, now = month_start(month), now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        before = PublishedRanking.objects.filter(month=month).exists()
        if before:
            if not scoping.has_role(user, "admin"):
                raise Forbidden(_("Only an administrator may republish a published month."))
            if not reason:
                raise DomainError(_("%(field)s is required.") % {"field": _("Reason")}, field="reason")
        else:
            if user is not None and not scoping.has_role(user, "admin", "supervisor"):
                raise Forbidden(_("Your role may not do this."))
            if next_month(month) > current_month(now):
                raise DomainError(_("%(m)s is not over yet: a month is published after its end.")
                                  % {"m": f"{month:%Y-%m}"}, field="month")
        written = []
        for unit_class in UnitClass.values:
            last = (PublishedRanking.objects.filter(month=month, unit_class=unit_class)
                    .order_by("-edition").values_list("edition", flat=True).first()) or 0
            live = live_ranking(unit_class, month)
            gathered = defaultdict(list)  # the tree as then: the units whose tickets each ranked unit gathered
            for lead_id, target in _member_map(unit_class, [row.unit_id for row in live.rows]).items():
                gathered[target].append(lead_id)
            rows = [{**row.as_dict(), "members": sorted(gathered[row.unit_id])} for row in live.rows]
            try:
                with transaction.atomic():
                    written.append(PublishedRanking.objects.create(
                        month=month, unit_class=unit_class, edition=last + 1, version=live.version.number,
                        rows=rows, published_by=user, reason=reason[:1000]))
            except IntegrityError:
                raise Conflict(_("%(m)s was published by someone else just now.") % {"m": f"{month:%Y-%m}"}) from None
    return written


#: {"last": (day, latest month due)} when this process last looked for months to publish (freeze_due_months)
FREEZE_LOOKED = {}


def freeze_due_months(now=None, days=None):
    """The job: publish every month with figures that ended `days` (FREEZE_AFTER_DAYS) or more days ago and is not
    published yet. Returns the months published (usually none; last month once, `days` after its end).

    The worker calls it at every pass (each minute); the months are read at the first pass of a day only, which
    is also the first pass after a month became due (that happens at midnight). A month it could not publish, or
    an older month whose rollups appeared later that day (an import), is taken at the next day's first pass."""
    now = now or timezone.now()
    days = FREEZE_AFTER_DAYS if days is None else days
    today = timezone.localtime(now).date()
    last = previous_month(current_month(now))
    if today < next_month(last) + timedelta(days=days):
        last = previous_month(last)
    if FREEZE_LOOKED.get("last") == (today, last):
        return []
    done = set(PublishedRanking.objects.values_list("month", flat=True).distinct().order_by())
    months = set(MonthlyRollup.objects.filter(month__lte=last).values_list("month", flat=True).distinct().order_by())
    out = []
    for month in sorted(months - done):
        try:
            publish_month(None, month, now=now)
        except DomainError as exc:  # e.g. no KPI version in force then: the later months are still published
            log.warning("kpi: %s not published: %s", f"{month:%Y-%m}", exc.message)
            continue
        out.append(month)
    FREEZE_LOOKED["last"] = (today, last)  # not before: a pass that failed (the database away) is retried
    return out


# ── who sees what ───────────────────────────────────────────────────────────

def may_see_rankings(user):
    """The public rankings: every staff member (not citizens)."""
    return bool(user and user.is_authenticated and (user.is_superuser or user.role != "citizen"))


def can_see_unit(user, unit):
    """A unit's own page (detail, history, drill-down): city-wide roles and city supervisors see every unit;
    a unit sees itself; a district sees the units of its tree."""
    if not may_see_rankings(user):
        return False
    if scoping.is_city_wide(user):
        return True
    own = user.unit
    if own is None:
        return False
    if own.pk == unit.pk:
        return True
    return own.kind == UnitKind.DISTRICT and unit.district_id == own.pk


def require_unit(user, unit):
    if not can_see_unit(user, unit):
        raise Forbidden(_("You may see only your own unit's figures; the rankings are public."))


def drilldown_url(unit, month):
    """The ticket search, scoped by the search itself to what the user may see, for the unit's month."""
    last = next_month(month) - timedelta(days=1)
    params = {"date_from": month.isoformat(), "date_to": last.isoformat()}
    if unit.kind == UnitKind.STREET:
        params["street"] = unit.pk
    elif unit.kind == UnitKind.DISTRICT:
        params["district"] = unit.pk
    else:
        params["lead_unit"] = unit.pk
    return f"{reverse('ticket_search')}?{urlencode(params)}"


# ── upkeep ──────────────────────────────────────────────────────────────────

def rebuild(since=None, progress=None):
    """Recompute the rollups from the tickets (all, or those changed since an aware datetime). The cyclic GC
    is tuned for it (jiesu.core.collector): with Python's defaults it took 30 % of a full rebuild's CPU."""
    with quiet_gc():
        return rollup.rebuild(since=since, progress=progress)


def refresh_tickets(ticket_ids):
    return rollup.refresh_tickets(ticket_ids)


# ── 不合理诉求 reviews ──────────────────────────────────────────────────────

@transaction.atomic
def request_exclusion(user, ticket, reason):
    """The lead unit asks that an unreasonable request not count in its rates (the hotline reviews)."""
    if not user or not user.is_authenticated or user.unit_id is None or ticket.lead_unit_id != user.unit_id:
        raise Forbidden(_("Only the lead unit may ask for this."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("%(field)s is required.") % {"field": _("Reason")}, field="reason")
    if ExclusionReview.objects.filter(ticket=ticket, state=ReviewState.PENDING).exists():
        raise Conflict(_("A review is already pending."))
    return ExclusionReview.objects.create(ticket=ticket, unit_id=user.unit_id, reason=reason[:1000],
                                          created_by=user)


@transaction.atomic
def decide_exclusion(user, review, confirm, note=""):
    """The hotline centre (dispatcher, supervisor, administrator) confirms or rejects a review."""
    if not scoping.has_role(user, "dispatcher", "supervisor", "admin"):
        raise Forbidden(_("Your role may not do this."))
    review = ExclusionReview.objects.select_for_update().get(pk=review.pk)
    if review.state != ReviewState.PENDING:
        raise Conflict(_("This review has been decided."))
    review.state = ReviewState.CONFIRMED if confirm else ReviewState.REJECTED
    review.decided_at, review.decided_by, review.decision_note = timezone.now(), user, (note or "")[:1000]
    review.save()
    return review


EXCLUSION_LABELS = dict(Exclusion.choices)


def ensure_rollups():
    """Rebuild the rollups when some tickets have no fact yet (bulk-written demo or import). Returns a line."""
    from jiesu.kpi.models import TicketFact
    from jiesu.tickets.models import Ticket

    if TicketFact.objects.count() == Ticket.objects.count():
        return "assessment rollups: up to date"
    return f"assessment rollups: rebuilt from {rebuild()} tickets"
