"""The numbers behind the dashboards.

Volumes and rates come from the KPI app's public functions (jiesu.kpi.services:
rollups kept per day × lead unit × category × channel, so a page reads small
tables); nothing here re-computes a rate. What the KPI app does not hold — ticket
coordinates for the heat map — is aggregated here, server-side, into cells.
"""
from collections import Counter
from datetime import datetime, time, timedelta

from django.db.models import Count, F, FloatField
from django.db.models.functions import Cast, Floor
from django.utils import timezone

from jiesu.core import scoping
from jiesu.dashboards import heat, series
from jiesu.kpi import services as kpi
from jiesu.units.models import Unit, UnitKind

# measure key → (Kpis attribute, format); labels in views (translated)
MEASURES = {
    "received": ("received", "count"),
    "response_rate": ("response_rate", "pct"),
    "resolution_rate": ("resolution_rate", "pct"),
    "satisfaction_rate": ("satisfaction_rate", "pct"),
    "speed_median_hours": ("speed_median_hours", "hours"),
    "governance_depth": ("governance_depth", "pct"),
    "composite": ("composite", "score"),
}
MAP_LEVELS = {"district": UnitKind.DISTRICT, "street": UnitKind.STREET}


def member_ids(unit):
    """Lead-unit ids that count for `unit` (as the KPI groups gather them): a district its whole tree,
    a street its communities and grids, any other unit itself."""
    if unit.kind == UnitKind.DISTRICT:
        return list(Unit.objects.filter(district_id=unit.pk).values_list("id", flat=True))
    if unit.kind == UnitKind.STREET:
        return list(Unit.objects.filter(street_id=unit.pk).values_list("id", flat=True))
    return [unit.pk]


def daily_volume(start, end, unit_ids=None):
    """(days, counts): tickets received per day, every ticket (volume), from the KPI app's (day, lead unit) table."""
    rows = kpi.daily_volume(start, end, unit_ids=unit_ids)
    return [day for day, _n in rows], [n for _d, n in rows]


def volume_figures(today, unit_ids=None, days=400):
    """Daily series of the last `days` days with its seasonal views (weekday profile, month totals, YoY)."""
    start = today - timedelta(days=days - 1)
    days_, counts = daily_volume(start, today, unit_ids)
    recent_days, recent = days_[-90:], counts[-90:]
    complete_weeks = [(d, n) for d, n in zip(days_[:-1], counts[:-1])][-56:]  # the last 8 weeks, today left out
    monthly = series.monthly_totals(days_, counts)
    return {
        "days": recent_days, "counts": recent, "mean7": series.moving_average(counts, 7)[-90:],
        "weekday": series.weekday_profile([d for d, _n in complete_weeks], [n for _d, n in complete_weeks]),
        "yoy": series.year_over_year(monthly, today, months=12),
    }


def overview(now=None):
    """The city overview of the KPI app (volumes, the five rates, top categories, overdue)."""
    return kpi.city_overview(now)


def unit_overview(unit, now=None):
    """A unit's headline figures for this month, in the shape of the city overview."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    month = kpi.current_month(now)
    ids = member_ids(unit)
    kpis = kpi.unit_kpis(unit, month)
    _days, today_counts = daily_volume(today, today, ids)
    overdue = unit_overdue(ids, now)
    version = kpi.version_for(month)
    return {"today": today, "month": month, "volume_today": sum(today_counts), "volume_month": kpis.received,
            "kpis": kpis, "top_categories": unit_top_categories(ids, month, today), "overdue": overdue.now,
            "overdue_history": overdue.history,
            "explanations": kpi.explanations(version, version.weights_by_class.get(kpis.unit_class, {})),
            "unit_ids": ids}


def unit_top_categories(unit_ids, month, today, limit=10):
    """[(first-level category, received)] this month for the units: the units' volume per category in one read
    (kpi.category_volume), summed by the first-level group of each category's code."""
    from jiesu.categories.models import Category

    volume = kpi.category_volume(month, today, unit_ids)
    groups = {c.code: c for c in Category.objects.filter(level=1, active=True)}
    by_group = Counter()
    for pk, code in Category.objects.filter(pk__in=list(volume)).values_list("id", "code"):
        by_group[code.split(".")[0]] += volume[pk]
    found = [(groups[code], n) for code, n in by_group.items() if code in groups and n]
    return sorted(found, key=lambda gn: (-gn[1], gn[0].code))[:limit]


def unit_overdue(unit_ids, now):
    """kpi.Overdue of the tickets these units lead: today's past their reply deadline, imported history apart."""
    return kpi.overdue_counts(now, unit_ids=unit_ids)


def map_values(level, month, measure, within=None):
    """[(code, name, value)] of every district or street (in `within`) for `measure`, from the month's ranking."""
    attribute = MEASURES[measure][0]
    ranking = kpi.ranking(level, month)
    codes = None
    if within is not None:
        codes = set(Unit.objects.filter(path__startswith=within.path, kind=MAP_LEVELS[level])
                    .values_list("code", flat=True))
    return [(row.code, row.name, getattr(row, attribute)) for row in sorted(ranking.rows, key=lambda r: r.code)
            if codes is None or row.code in codes]


def heat_cells(user, start, end, within=None, bbox=None):
    """([[lon, lat, n]], cell size): tickets with coordinates the user may see, counted per cell in SQL."""
    tz = timezone.get_current_timezone()
    qs = scoping.visible_tickets(user).filter(
        created_at__gte=datetime.combine(start, time.min, tzinfo=tz),
        created_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz),
        lon__isnull=False, lat__isnull=False)
    if within is not None:
        condition = scoping.territory_filter(within)
        if condition is not None:
            qs = qs.filter(condition)
    size = heat.cell_size(bbox or (115.41, 39.44, 117.51, 41.06))
    rows = (qs.annotate(ix=Floor(Cast(F("lon"), FloatField()) / size), iy=Floor(Cast(F("lat"), FloatField()) / size))
            .values("ix", "iy").annotate(n=Count("id")).order_by())
    counts = {(int(r["ix"]), int(r["iy"])): r["n"] for r in rows}
    return heat.cells_to_points(counts, size), size
