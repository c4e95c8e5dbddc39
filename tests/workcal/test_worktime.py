"""Working-time arithmetic (pure, no database) on the real 2025–2026 calendar."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from chinese_calendar import constants

from jiesu.workcal.worktime import DEFAULT_PERIODS, WorkCalendar, add_limit, limit_seconds

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=TZ)


def package_calendar(first=2024, last=2026, periods=DEFAULT_PERIODS):
    """The calendar chinese_calendar publishes (what seed_calendar loads)."""
    return WorkCalendar(
        frozenset(d for d in constants.holidays if first <= d.year <= last),
        frozenset(d for d in constants.workdays if first <= d.year <= last),
        periods)


# The 2025 National Day + Mid-autumn week, as announced by the State Council.
NATIONAL_DAY_2025 = WorkCalendar(
    holidays=frozenset(date(2025, 10, d) for d in range(1, 9)),
    workdays=frozenset({date(2025, 9, 28), date(2025, 10, 11)}),
)


@pytest.fixture(params=["hand", "package"])
def cal(request):
    return NATIONAL_DAY_2025 if request.param == "hand" else package_calendar()


# ---------------------------------------------------------------- the calendar data itself

def test_package_2025_national_day_matches_the_announcement():
    for d in range(1, 9):
        assert date(2025, 10, d) in constants.holidays
    assert date(2025, 9, 28) in constants.workdays and date(2025, 9, 28).weekday() == 6   # Sunday
    assert date(2025, 10, 11) in constants.workdays and date(2025, 10, 11).weekday() == 5  # Saturday


def test_package_2026_spring_festival_make_up_saturdays():
    spring = sorted(d for d, name in constants.workdays.items() if d.year == 2026 and name == "Spring Festival")
    assert spring == [date(2026, 2, 14), date(2026, 2, 28)]
    assert all(d.weekday() == 5 for d in spring)  # both Saturdays
    rest = sorted(d for d, name in constants.holidays.items() if d.year == 2026 and name == "Spring Festival")
    assert rest == [date(2026, 2, d) for d in range(15, 24)]


def test_working_days_around_national_day(cal):
    assert cal.is_working_day(date(2025, 9, 28))       # Sunday, make-up
    assert not cal.is_working_day(date(2025, 9, 27))   # plain Saturday
    assert cal.is_working_day(date(2025, 9, 30))
    for d in range(1, 9):
        assert not cal.is_working_day(date(2025, 10, d))
    assert cal.is_working_day(date(2025, 10, 9))
    assert cal.is_working_day(date(2025, 10, 11))      # Saturday, make-up
    assert not cal.is_working_day(date(2025, 10, 12))  # Sunday


# ---------------------------------------------------------------- adding working time

def test_add_working_days_skips_the_holiday_week(cal):
    start = at(2025, 9, 30, 10)  # Tuesday before the holiday
    assert cal.add_working_days(start, 1) == at(2025, 10, 9, 10)
    assert cal.add_working_days(start, 2) == at(2025, 10, 10, 10)
    assert cal.add_working_days(start, 3) == at(2025, 10, 11, 10)  # make-up Saturday counts
    assert cal.add_working_days(start, 4) == at(2025, 10, 13, 10)
    assert cal.add_working_days(start, 7) == at(2025, 10, 16, 10)


def test_make_up_sunday_counts(cal):
    assert cal.add_working_days(at(2025, 9, 26, 10), 1) == at(2025, 9, 28, 10)  # Fri → Sunday 28th
    assert cal.add_working_days(at(2025, 9, 26, 10), 2) == at(2025, 9, 29, 10)


def test_add_working_hours_across_the_holiday(cal):
    # 1.5 h left on Sept 30 (16:00–17:30), then 09:00 on Oct 9.
    assert cal.add_working_hours(at(2025, 9, 30, 16), 2) == at(2025, 10, 9, 9, 30)
    # Asked during the holiday: the clock starts on Oct 9.
    assert cal.add_working_hours(at(2025, 10, 3, 11), 2) == at(2025, 10, 9, 11)
    assert cal.add_working_hours(at(2025, 10, 3, 11), 0) == at(2025, 10, 9, 9)


def test_spring_festival_2026():
    cal = package_calendar()
    fri = at(2026, 2, 13, 10)
    assert cal.is_working_day(date(2026, 2, 14)) and cal.is_working_day(date(2026, 2, 28))
    assert cal.add_working_days(fri, 1) == at(2026, 2, 14, 10)      # make-up Saturday
    assert cal.add_working_days(fri, 2) == at(2026, 2, 24, 10)      # Feb 15–23 off
    assert cal.add_working_days(at(2026, 2, 27, 10), 1) == at(2026, 2, 28, 10)
    assert cal.add_working_days(at(2026, 2, 27, 10), 2) == at(2026, 3, 2, 10)
    assert cal.working_hours_between(at(2026, 2, 13, 17), at(2026, 2, 24, 9, 30)) == 0.5 + 7 + 0.5
    # 7 working days (the general reply limit) from Tue Feb 10: 11, 12, 13, 14 (Sat), 24, 25, 26.
    assert cal.add_working_days(at(2026, 2, 10, 10), 7) == at(2026, 2, 26, 10)


def test_lunch_break_is_not_working_time():
    cal = WorkCalendar()
    mon = at(2025, 6, 9, 11)
    assert cal.add_working_hours(mon, 1) == at(2025, 6, 9, 12)           # ends at the break
    assert cal.add_working_hours(mon, 1.5) == at(2025, 6, 9, 14)         # 1 h + 0.5 h after 13:30
    assert cal.add_working_hours(at(2025, 6, 9, 12, 30), 1) == at(2025, 6, 9, 14, 30)
    assert cal.working_hours_between(at(2025, 6, 9, 11), at(2025, 6, 9, 14)) == 1.5
    assert cal.hours_per_day == 7
    assert cal.add_working_days(at(2025, 6, 9, 9), 1) == at(2025, 6, 9, 17, 30)
    assert cal.add_working_days(at(2025, 6, 9, 14), 7) == at(2025, 6, 18, 14)
    assert cal.is_working_time(at(2025, 6, 9, 11, 59)) and not cal.is_working_time(at(2025, 6, 9, 12))
    assert not cal.is_working_time(at(2025, 6, 14, 10))  # Saturday


def test_periods_are_configurable():
    cal = WorkCalendar(periods=((time(13), time(18)), (time(8, 30), time(12))))  # any order
    assert cal.periods[0] == (time(8, 30), time(12))
    assert cal.hours_per_day == 8.5
    assert cal.add_working_hours(at(2025, 6, 9, 11), 2) == at(2025, 6, 9, 14)


def test_working_time_between(cal):
    assert cal.working_hours_between(at(2025, 9, 30, 17), at(2025, 10, 9, 9, 30)) == 1
    assert cal.working_hours_between(at(2025, 10, 1, 0), at(2025, 10, 8, 23)) == 0
    assert cal.working_hours_between(at(2025, 10, 9, 9, 30), at(2025, 9, 30, 17)) == -1
    assert cal.working_days_between(at(2025, 9, 30, 10), at(2025, 10, 13, 10)) == 4


def test_utc_input_is_read_in_beijing_time():
    cal = NATIONAL_DAY_2025
    utc = datetime(2025, 9, 30, 8, tzinfo=timezone.utc)  # 16:00 in Beijing
    assert cal.add_working_hours(utc, 2) == at(2025, 10, 9, 9, 30)
    assert cal.add_working_hours(utc, 2).tzinfo == TZ
    # 2025-10-09 01:00 UTC is 09:00 on Oct 9 in Beijing (a working day), though Oct 8 in UTC.
    assert cal.working_hours_between(utc, datetime(2025, 10, 9, 1, 30, tzinfo=timezone.utc)) == 2


def test_naive_datetimes_are_wall_clock():
    cal = NATIONAL_DAY_2025
    assert cal.add_working_days(datetime(2025, 9, 30, 10), 1) == datetime(2025, 10, 9, 10)


# ---------------------------------------------------------------- time limits

def test_on_the_clock_vs_working_time(cal):
    start = at(2025, 9, 30, 16)
    assert add_limit(cal, start, 2, "clock_hours") == at(2025, 9, 30, 18)
    assert add_limit(cal, start, 24, "clock_hours") == at(2025, 10, 1, 16)  # holidays do not stop it
    assert add_limit(cal, start, 2, "working_hours") == at(2025, 10, 9, 9, 30)
    assert add_limit(cal, start, 1, "working_days") == at(2025, 10, 9, 16)
    assert add_limit(cal, start, 7, "working_days") == at(2025, 10, 16, 16)  # 9, 10, 11 (Sat), 13–16
    utc = datetime(2025, 9, 30, 8, tzinfo=timezone.utc)
    assert add_limit(cal, utc, 2, "clock_hours") == at(2025, 9, 30, 18)
    end = at(2025, 10, 9, 9, 30)
    assert limit_seconds(cal, start, end, "clock_hours") == (end - start).total_seconds()
    assert limit_seconds(cal, start, end, "working_hours") == 2 * 3600
    assert limit_seconds(cal, start, end, "working_days") == 2 * 3600


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("periods, message", [
    ((), "at least one"),
    (((time(12), time(9)),), "ends before it starts"),
    (((time(9), time(9)),), "ends before it starts"),
    (((time(9), time(12)), (time(11), time(14))), "overlap"),
    ((("09:00", "12:00"),), "pair of times"),
    ((time(9),), "pair of times"),
])
def test_bad_periods(periods, message):
    with pytest.raises(ValueError, match=message):
        WorkCalendar(periods=periods)


def test_day_cannot_be_holiday_and_workday():
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(holidays=frozenset({date(2025, 10, 1)}), workdays=frozenset({date(2025, 10, 1)}))


@pytest.mark.parametrize("amount", [-1, float("nan"), float("inf"), "2", None, True])
def test_bad_amounts(amount):
    cal = WorkCalendar()
    for unit in ("clock_hours", "working_hours", "working_days"):
        with pytest.raises(ValueError):
            add_limit(cal, at(2025, 6, 9, 10), amount, unit)


def test_bad_unit_and_inputs():
    cal = WorkCalendar()
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        add_limit(cal, at(2025, 6, 9, 10), 1, "fortnights")
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        limit_seconds(cal, at(2025, 6, 9, 10), at(2025, 6, 9, 11), "days")
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_hours(at(2025, 6, 9, 10), -1)
    with pytest.raises(ValueError, match="naive and aware"):
        cal.working_seconds_between(datetime(2025, 6, 9, 10), at(2025, 6, 9, 11))
    with pytest.raises(ValueError, match="datetime"):
        cal.add_working_hours(date(2025, 6, 9), 1)
    with pytest.raises(ValueError, match="too long"):
        cal.add_working_days(at(2025, 6, 9, 10), 5000)


def test_all_holidays_calendar_gives_up():
    everything = frozenset(date(2025, 1, 1) + timedelta(days=i) for i in range(4000))
    with pytest.raises(ValueError, match="too long"):
        WorkCalendar(holidays=everything).add_working_hours(at(2025, 1, 1, 10), 1)


# ---------------------------------------------------------------- a year whose schedule is not entered

def test_a_year_without_its_holidays_is_named():
    """The State Council publishes each year's schedule in the November before; until it is entered, that year's
    New Year's Day and Spring Festival are plain working days to the arithmetic, so the calendar must say so."""
    cal = package_calendar(2024, 2026)
    assert cal.is_working_day(date(2027, 1, 1))  # what the arithmetic does meanwhile: why it must be said
    assert cal.years_not_entered(date(2026, 12, 7), date(2027, 2, 5)) == [2027]
    assert cal.years_not_entered(date(2026, 6, 1), date(2026, 12, 31)) == []
    assert cal.years_not_entered(date(2023, 12, 1), date(2024, 1, 31)) == [2023]
    # a local day off, or New Year's Day alone, is not the year's schedule
    partly = WorkCalendar(cal.holidays | {date(2027, 1, 1), date(2027, 3, 1)}, cal.workdays)
    assert partly.years_not_entered(date(2026, 12, 7), date(2027, 2, 5)) == [2027]
    entered = package_calendar(2024, 2026)
    entered = WorkCalendar(entered.holidays | {date(2027, 1, 1) + timedelta(days=i) for i in range(13)},
                           entered.workdays)
    assert entered.years_not_entered(date(2026, 12, 7), date(2027, 2, 5)) == []
    with pytest.raises(ValueError, match="after"):
        cal.years_not_entered(date(2027, 1, 1), date(2026, 1, 1))


def test_whole_days_skipped_give_what_the_day_by_day_walk_gives():
    """add_working_seconds and working_seconds_between pass whole working days without looking at their periods
    (speed: bench/deadlines.py); jiesu.demo.deadlines.FastClock, an independent table of the same calendar, agrees
    on random spans across every holiday of 2025–2026, as the inverse of each other too."""
    import random

    from jiesu.demo.deadlines import FastClock

    cal = package_calendar()
    clock = FastClock(cal, date(2024, 12, 1), date(2027, 6, 30))
    rng = random.Random(7)
    first = at(2025, 1, 1)
    for _ in range(3000):
        a = first + timedelta(seconds=rng.randrange(0, 680 * 86400))
        b = a + timedelta(seconds=rng.randrange(0, 40 * 86400))
        assert cal.working_seconds_between(a, b) == clock.index(b) - clock.index(a), (a, b)
        seconds = rng.choice((1, 3600, 7 * 3600, 7 * 3600 + 1, 25200 * 7, rng.randrange(1, 60 * 25200)))
        end = cal.add_working_seconds(a, seconds)
        assert end == clock.add_seconds(a, seconds), (a, seconds)
        assert cal.working_seconds_between(a, end) == seconds


# ---------------------------------------------------------------- the State Council's notices, typed in independently

def _span(year, month, first, last):
    return {date(year, month, d) for d in range(first, last + 1)}


# 国办发明电〔2024〕12号 (2025) and 国办发明电〔2025〕7号 (2026): days off (放假) and days worked (上班).
NOTICES = {
    2025: ({date(2025, 1, 1)} | _span(2025, 1, 28, 31) | _span(2025, 2, 1, 4) | _span(2025, 4, 4, 6)
           | _span(2025, 5, 1, 5) | {date(2025, 5, 31), date(2025, 6, 1), date(2025, 6, 2)} | _span(2025, 10, 1, 8),
           {date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)}),
    2026: (_span(2026, 1, 1, 3) | _span(2026, 2, 15, 23) | _span(2026, 4, 4, 6) | _span(2026, 5, 1, 5)
           | _span(2026, 6, 19, 21) | _span(2026, 9, 25, 27) | _span(2026, 10, 1, 7),
           {date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
            date(2026, 10, 10)}),
}


@pytest.mark.parametrize("year", sorted(NOTICES))
def test_the_seeded_calendar_is_the_state_councils(year):
    """What seed_calendar loads (chinese_calendar) is, day for day, the year's notice: every day off of the notice
    is a holiday row, every day worked a workday row, and no other day of the year is either."""
    off, worked = NOTICES[year]
    assert {d for d in constants.holidays if d.year == year} == off
    assert {d for d in constants.workdays if d.year == year} == worked
    assert all(d.weekday() >= 5 for d in worked)  # a make-up day is a Saturday or Sunday worked


def test_deadlines_across_new_year_2026_and_the_2026_holidays():
    cal = package_calendar()
    # New Year 2026: Jan 1–3 off, Sunday Jan 4 worked.
    assert cal.add_working_days(at(2025, 12, 31, 10), 1) == at(2026, 1, 4, 10)
    assert cal.add_working_days(at(2025, 12, 31, 10), 2) == at(2026, 1, 5, 10)
    assert cal.add_working_hours(at(2025, 12, 31, 17), 1) == at(2026, 1, 4, 9, 30)  # over midnight and the year
    assert cal.working_hours_between(at(2025, 12, 31, 17, 30), at(2026, 1, 4, 9)) == 0
    # Labour Day 2026: May 1–5 off, Saturday May 9 worked.
    assert cal.add_working_days(at(2026, 4, 30, 10), 1) == at(2026, 5, 6, 10)
    assert cal.add_working_days(at(2026, 5, 8, 10), 1) == at(2026, 5, 9, 10)
    # National Day 2026: Sunday Sept 20 worked, Mid-autumn Sept 25–27 and Oct 1–7 off, Saturday Oct 10 worked.
    assert cal.add_working_days(at(2026, 9, 18, 10), 1) == at(2026, 9, 20, 10)
    assert cal.add_working_days(at(2026, 9, 24, 10), 1) == at(2026, 9, 28, 10)
    assert cal.add_working_days(at(2026, 9, 30, 16), 1) == at(2026, 10, 8, 16)
    # the general reply (7 working days) from Thu Sept 24: 28, 29, 30, Oct 8, 9, 10 (Sat), 12
    assert add_limit(cal, at(2026, 9, 24, 10), 7, "working_days") == at(2026, 10, 12, 10)
