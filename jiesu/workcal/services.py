"""The working calendar as data: load it (cached), seed it from chinese_calendar."""
from django.core.cache import cache
from django.db import transaction

from jiesu.workcal.models import CalendarDay, DayKind, WorkingHours
from jiesu.workcal.worktime import DEFAULT_PERIODS, WorkCalendar

_CACHE_KEY = "jiesu:workcal:v"
_memo = {"version": None, "calendar": None}


def current_calendar() -> WorkCalendar:
    """The calendar from the database, rebuilt only when it changed."""
    version = cache.get(_CACHE_KEY, 0)
    if _memo["calendar"] is None or _memo["version"] != version:
        _memo["calendar"] = build_calendar()
        _memo["version"] = version
    return _memo["calendar"]


def build_calendar() -> WorkCalendar:
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
    periods = tuple((h.start, h.end) for h in WorkingHours.objects.all()) or DEFAULT_PERIODS
    return WorkCalendar(frozenset(holidays), frozenset(workdays), periods)


def calendar_changed():
    """Invalidate the cached calendar (every process rebuilds it on its next use)."""
    try:
        cache.incr(_CACHE_KEY)
    except ValueError:
        cache.set(_CACHE_KEY, 1, None)
    _memo["calendar"] = None


@transaction.atomic
def seed_calendar(first_year=2024, last_year=2026):
    """Holidays and 调休 working days from the chinese_calendar package (idempotent).

    Every statutory rest day the package lists (weekends inside a holiday too) becomes a
    `holiday` row and every make-up working day a `workday` row; rows already there are
    updated, other rows (local additions made in the admin) are kept. Returns the number
    of rows added. ValueError when the package has no data for a year asked for.
    """
    import chinese_calendar
    from chinese_calendar import constants

    if first_year > last_year:
        raise ValueError(f"first year {first_year} is after last year {last_year}")
    known = {d.year for d in constants.holidays}
    lo, hi = min(known), max(known)
    if first_year < lo or last_year > hi:
        raise ValueError(f"chinese_calendar {chinese_calendar.__version__} has holidays for {lo}–{hi} only, "
                         f"not {first_year}–{last_year}: "
                         "upgrade the package or enter the days in the admin")
    wanted = {}
    for source, kind in ((constants.holidays, DayKind.HOLIDAY), (constants.workdays, DayKind.WORKDAY)):
        for day, label in source.items():
            if first_year <= day.year <= last_year:
                wanted[day] = (kind, _holiday_name(label))
    existing = {c.date: c for c in CalendarDay.objects.filter(date__in=wanted)}
    new, changed = [], []
    for day, (kind, name) in sorted(wanted.items()):
        row = existing.get(day)
        if row is None:
            new.append(CalendarDay(date=day, kind=kind, name=name))
        elif (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            changed.append(row)
    CalendarDay.objects.bulk_create(new)
    CalendarDay.objects.bulk_update(changed, ["kind", "name"])
    if not WorkingHours.objects.exists():
        for start, end in DEFAULT_PERIODS:
            WorkingHours.objects.create(start=start, end=end)
    calendar_changed()
    transaction.on_commit(calendar_changed)
    return len(new)


HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name(detail):
    if detail is None:
        return ""
    label = getattr(detail, "value", str(detail))
    return HOLIDAY_NAMES.get(label, label)[:40]
