"""The working calendar as data: load it (kept per process, rechecked), seed it from chinese_calendar."""
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.workcal.models import CalendarDay, DayKind, WorkingHours
from jiesu.workcal.worktime import CHINA_TZ, DEFAULT_PERIODS, WorkCalendar

_memo = {"calendar": None, "source": None, "checked": 0.0}


def _recheck_seconds():
    return getattr(settings, "JIESU", {}).get("CALENDAR_RECHECK_SECONDS", 5.0)


def current_calendar() -> WorkCalendar:
    """The calendar from the database, kept in this process and rebuilt only when the rows changed.

    Each process (the web server's, the worker, an import) has its own memory and the project shares no cache, so
    the rows are read again at most every CALENDAR_RECHECK_SECONDS (5 s; a few hundred rows): a day entered in the
    admin reaches every process's deadlines within seconds, not at its restart. `calendar_changed()` drops this
    process's copy at once. An unchanged calendar stays the same object.
    """
    calendar, now = _memo["calendar"], time.monotonic()
    if calendar is not None and now - _memo["checked"] < _recheck_seconds():
        return calendar
    source = _read_rows()
    if calendar is None or source != _memo["source"]:
        holidays, workdays, periods = source
        calendar = WorkCalendar(holidays, workdays, periods or DEFAULT_PERIODS)
        _memo.update(calendar=calendar, source=source)
    _memo["checked"] = now
    return calendar


def _read_rows():
    holidays, workdays = set(), set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
    periods = tuple(WorkingHours.objects.order_by("start").values_list("start", "end"))
    return frozenset(holidays), frozenset(workdays), periods


def calendar_changed():
    """Drop this process's calendar: it is read again on its next use (other processes: at their next recheck)."""
    _memo.update(calendar=None, source=None)


#: how far ahead the calendar must hold each year's holidays: a complex request's 15 working days and an
#: extension's 30 more reach about this far; the State Council publishes the next year's schedule in November
LOOK_AHEAD_DAYS = 60


def years_to_enter(today=None) -> list:
    """The years, from today's (Beijing) to the one LOOK_AHEAD_DAYS on, whose holidays are not entered."""
    today = today or timezone.localdate(timezone.now(), CHINA_TZ)
    return current_calendar().years_not_entered(today, today + timedelta(days=LOOK_AHEAD_DAYS))


def not_entered_warning(today=None) -> str:
    """What to tell an administrator about years_to_enter (in the active language), or ""."""
    years = years_to_enter(today)
    if not years:
        return ""
    return _("The working calendar has no statutory holidays for %(years)s. Until they are entered, deadlines that "
             "run into it count New Year's Day, the Spring Festival and the other holidays as working days and "
             "fall too early. Enter the holidays and make-up working days in the working calendar once the State Council publishes "
             "them; deadlines already set are kept.") % {"years": ", ".join(map(str, years))}


class ScheduleError(ValueError):
    """A line of a typed schedule that cannot be entered (its number in the message)."""


_KINDS = {"休": DayKind.HOLIDAY, "holiday": DayKind.HOLIDAY, "班": DayKind.WORKDAY, "workday": DayKind.WORKDAY}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_schedule(text) -> dict:
    """{date: (kind, name)} from a year's notice typed line by line: `2026-01-01 休 元旦`,
    `2026-02-15~2026-02-23 休 春节` (also `..` or `至` between the dates), `2026-02-14 班 春节`; 休/holiday, 班/workday;
    the name may be left out; blank lines and lines starting with # are skipped. ScheduleError naming the line for a
    bad date or kind, a range backwards or over 31 days, a date twice, a make-up working day on a Monday–Friday."""
    import re
    from datetime import date

    days = {}
    for number, line in enumerate(str(text).splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(\S+?)\s*(?:(?:~|\.\.|至)\s*(\S+))?\s+(\S+)(?:\s+(.+))?", line)
        try:
            if match is None or match.group(3) not in _KINDS:
                raise ValueError
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2)) if match.group(2) else first
        except ValueError:
            raise ScheduleError(_("Line %(n)d: write a date (or two joined by ~) then 休 or 班 and a name, e.g. "
                                  "2026-02-15~2026-02-23 休 春节.") % {"n": number}) from None
        if not 0 <= (last - first).days <= 31:
            raise ScheduleError(_("Line %(n)d: a range runs forwards over 31 days at most.") % {"n": number})
        kind, name = _KINDS[match.group(3)], (match.group(4) or "").strip()[:40]
        for i in range((last - first).days + 1):
            day = first + timedelta(days=i)
            if day in days:
                raise ScheduleError(_("Line %(n)d: %(date)s is given twice.") % {"n": number, "date": day})
            if kind == DayKind.WORKDAY and day.weekday() < 5:
                raise ScheduleError(_("Line %(n)d: %(date)s is a %(weekday)s, a working day already: a make-up "
                                      "working day (班) is a Saturday or Sunday.")
                                    % {"n": number, "date": day, "weekday": _(_WEEKDAYS[day.weekday()])})
            days[day] = (kind, name, number)
    return days


@transaction.atomic
def enter_schedule(text) -> int:
    """The days of parse_schedule stored (a day there already of the same kind takes the name given); a day there
    of the other kind is refused naming the line (change it by itself: it may be a local decision). Returns the
    number of days added."""
    days = parse_schedule(text)
    there = {c.date: c for c in CalendarDay.objects.filter(date__in=days)}
    new, renamed = [], []
    for day, (kind, name, number) in sorted(days.items()):
        row = there.get(day)
        if row is None:
            new.append(CalendarDay(date=day, kind=kind, name=name))
        elif row.kind != kind:
            raise ScheduleError(_("Line %(n)d: %(date)s is in the calendar already as %(day)s: change that day by "
                                  "itself.") % {"n": number, "date": day, "day": row.get_kind_display()})
        elif name and row.name != name:
            row.name = name
            renamed.append(row)
    CalendarDay.objects.bulk_create(new)
    CalendarDay.objects.bulk_update(renamed, ["name"])
    calendar_changed()
    transaction.on_commit(calendar_changed)
    return len(new)


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
