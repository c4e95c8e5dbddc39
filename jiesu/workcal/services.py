"""The working calendar as data: load it (cached), seed it from chinese_calendar."""
from datetime import date, timedelta

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
    try:
        cache.incr(_CACHE_KEY)
    except ValueError:
        cache.set(_CACHE_KEY, 1, None)
    _memo["calendar"] = None


@transaction.atomic
def seed_calendar(first_year=2024, last_year=2026):
    """Holidays and 调休 working days from the chinese_calendar package (idempotent)."""
    import chinese_calendar

    added = 0
    day = date(first_year, 1, 1)
    while day <= date(last_year, 12, 31):
        on_holiday, detail = chinese_calendar.get_holiday_detail(day)
        if day.weekday() < 5 and on_holiday:
            added += _upsert(day, DayKind.HOLIDAY, _holiday_name(detail))
        elif day.weekday() >= 5 and not on_holiday:
            added += _upsert(day, DayKind.WORKDAY, _holiday_name(detail))
        day += timedelta(days=1)
    if not WorkingHours.objects.exists():
        for start, end in DEFAULT_PERIODS:
            WorkingHours.objects.create(start=start, end=end)
    calendar_changed()
    return added


HOLIDAY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节", "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name(detail):
    if detail is None:
        return ""
    label = getattr(detail, "value", str(detail))
    return HOLIDAY_NAMES.get(label, label)


def _upsert(day, kind, name):
    _, created = CalendarDay.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})
    return int(created)
