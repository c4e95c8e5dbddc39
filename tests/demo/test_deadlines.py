"""FastClock gives exactly what jiesu.workcal.worktime.add_limit gives."""
import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants

from jiesu.demo.deadlines import FastClock
from jiesu.workcal.worktime import WorkCalendar, add_limit

TZ = ZoneInfo("Asia/Shanghai")


def calendar():
    holidays = {d for d in constants.holidays if 2024 <= d.year <= 2026}
    workdays = {d for d in constants.workdays if 2024 <= d.year <= 2026}
    return WorkCalendar(frozenset(holidays), frozenset(workdays))


def test_fast_clock_equals_add_limit():
    cal = calendar()
    clock = FastClock(cal, date(2025, 9, 1), date(2026, 12, 31))
    rng = random.Random(1)
    start0 = datetime(2025, 9, 20, tzinfo=TZ)
    for _ in range(3000):
        start = start0 + timedelta(seconds=rng.randrange(0, 300 * 86400))
        amount = rng.choice((1, 2, 7, 15, 24))
        unit = rng.choice(("clock_hours", "working_hours", "working_days"))
        assert clock.add(start, amount, unit) == add_limit(cal, start, amount, unit), (start, amount, unit)


def test_period_boundaries_and_holidays():
    cal = calendar()
    clock = FastClock(cal, date(2026, 9, 1), date(2026, 12, 31))
    for start in (datetime(2026, 9, 30, 17, 30, tzinfo=TZ), datetime(2026, 9, 30, 12, 0, tzinfo=TZ),
                  datetime(2026, 10, 3, 10, 0, tzinfo=TZ), datetime(2026, 10, 10, 8, 0, tzinfo=TZ)):
        for amount, unit in ((1, "working_days"), (2, "working_hours"), (3, "working_hours"), (7, "working_days")):
            assert clock.add(start, amount, unit) == add_limit(cal, start, amount, unit)
    assert chinese_calendar.is_holiday(date(2026, 10, 2))


def test_outside_the_window_falls_back():
    cal = calendar()
    clock = FastClock(cal, date(2026, 9, 1), date(2026, 9, 30))
    start = datetime(2026, 9, 25, 10, tzinfo=TZ)
    assert clock.add(start, 15, "working_days") == add_limit(cal, start, 15, "working_days")


def test_fast_clock_stands_for_the_calendar_in_the_approaching_point():
    """The importer and the generators find the "approaching" point (workcal.worktime.warning_point) with their
    FastClock: the same moments as the calendar's, inside the window and outside it."""
    from jiesu.workcal.worktime import warning_point

    cal = calendar()
    clock = FastClock(cal, date(2025, 9, 1), date(2026, 12, 31))
    rng = random.Random(2)
    start0 = datetime(2025, 9, 20, tzinfo=TZ)
    for _ in range(3000):
        start = start0 + timedelta(seconds=rng.randrange(0, 460 * 86400))
        amount, unit = rng.choice(((1, "working_days"), (2, "working_hours"), (7, "working_days"), (15, "working_days"),
                                   (24, "clock_hours")))
        due = add_limit(cal, start, amount, unit)
        assert clock.working_seconds_between(start, due) == cal.working_seconds_between(start, due), (start, due)
        fast, slow = warning_point(clock, start, due, 0.8, unit), warning_point(cal, start, due, 0.8, unit)
        assert abs((fast - slow).total_seconds()) < 1e-3, (start, amount, unit, fast, slow)
