"""The "approaching" (临期) point of a deadline: 80 % of the limit used, counted the way the limit runs (pure)."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiesu.workcal.worktime import WorkCalendar, add_limit, warning_point

TZ = ZoneInfo("Asia/Shanghai")
# the 2025 National Day + Mid-autumn week as the State Council announced it (Oct 1–8 off, Sun Sep 28 and Sat Oct 11
# worked), default periods 09:00–12:00, 13:30–17:30 (7 h a working day)
CAL = WorkCalendar(holidays=frozenset(date(2025, 10, d) for d in range(1, 9)),
                   workdays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}))


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_a_friday_afternoon_ticket_is_approaching_on_monday_afternoon_not_at_nine():
    start = at(2026, 12, 4, 16, 0)  # a Friday: 1.5 working hours left that day
    due = add_limit(CAL, start, 1, "working_days")
    assert due == at(2026, 12, 7, 16, 0)
    point = warning_point(CAL, start, due, 0.8, "working_days")
    # 80 % of 7 h = 5 h 36 min: 1 h 30 on Friday, 3 h on Monday morning, 1 h 06 after lunch
    assert point == at(2026, 12, 7, 14, 36)
    assert CAL.working_seconds_between(start, point) == pytest.approx(0.8 * 7 * 3600)
    # on the clock it fell at 01:36 on Monday, i.e. at 09:00 to anyone at work, with 79 % of the working time left
    assert start + (due - start) * 0.8 == at(2026, 12, 7, 1, 36)


def test_across_a_holiday_the_days_off_do_not_count():
    start = at(2025, 9, 30, 16, 0)  # Tuesday before the National Day week
    due = add_limit(CAL, start, 1, "working_days")
    assert due == at(2025, 10, 9, 16, 0)
    assert warning_point(CAL, start, due, 0.8, "working_days") == at(2025, 10, 9, 14, 36)
    seven = add_limit(CAL, start, 7, "working_days")  # the general reply limit over the holiday and a make-up Saturday
    point = warning_point(CAL, start, seven, 0.8, "working_days")
    assert CAL.working_seconds_between(start, point) == pytest.approx(0.8 * 7 * 7 * 3600)
    assert start + (seven - start) * 0.8 < point < seven  # the clock's point came days too early
    assert CAL.is_working_time(point)


def test_working_hours_and_a_start_outside_working_time():
    start = at(2026, 12, 5, 10, 0)  # a Saturday: the limit starts running on Monday at 09:00
    due = add_limit(CAL, start, 2, "working_hours")
    assert due == at(2026, 12, 7, 11, 0)
    assert warning_point(CAL, start, due, 0.8, "working_hours") == at(2026, 12, 7, 10, 36)
    assert warning_point(CAL, start, due, 0.5, "working_hours") == at(2026, 12, 7, 10, 0)


def test_a_clock_limit_stays_on_the_clock():
    start = at(2025, 10, 1, 23, 0)  # a holiday night: an emergency's 2 hours run all the same
    due = add_limit(CAL, start, 2, "clock_hours")
    assert warning_point(CAL, start, due, 0.8, "clock_hours") == start + timedelta(minutes=96)
    day = add_limit(CAL, start, 24, "clock_hours")
    assert warning_point(CAL, start, day, 0.8, "clock_hours") == start + (day - start) * 0.8


def test_never_after_the_due_time_and_an_unknown_unit_is_refused():
    start = at(2026, 12, 7, 10, 0)
    assert warning_point(CAL, start, start, 0.8, "working_days") == start  # nothing to use: due at once
    due = add_limit(CAL, start, 1, "working_days")
    assert warning_point(CAL, start, due, 1.0, "working_days") == due
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        warning_point(CAL, start, due, 0.8, "days")
