"""Working-time arithmetic on a Chinese calendar. Pure: no Django.

A day is a working day when it is a Monday–Friday that is not a statutory
holiday, or a make-up working day (调休上班, often a Saturday or Sunday).
Working time runs only inside the working periods of working days (e.g.
09:00–12:00 and 13:30–17:30). A working day is `hours_per_day` working hours,
so "7 working days" from Tuesday 10:00 ends at 10:00 seven working days later.

Days and periods are wall-clock times in the calendar's time zone (`tz`,
Asia/Shanghai by default): an aware datetime in any zone is converted first and
results come back in `tz`; a naive datetime is taken as wall-clock time in `tz`
and results stay naive.
"""
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_PERIODS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))
CHINA_TZ = ZoneInfo("Asia/Shanghai")
LIMIT_UNITS = ("clock_hours", "working_hours", "working_days")
_MAX_DAYS = 3660  # ten years of days bounds every walk
#: statutory holidays a year (全国年节及纪念日放假办法, as revised in 2024): each is a holiday row of its year, so a
#: year with fewer has not had its schedule entered (a published year has 22–33 rows; a local day off is one)
STATUTORY_HOLIDAYS = 13


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset = field(default_factory=frozenset)
    workdays: frozenset = field(default_factory=frozenset)
    periods: tuple = DEFAULT_PERIODS
    tz: tzinfo = CHINA_TZ

    def __post_init__(self):
        if not self.periods:
            raise ValueError("at least one working period is needed")
        periods = []
        for period in self.periods:
            try:
                start, end = period
            except (TypeError, ValueError):
                raise ValueError(f"a working period is a (start, end) pair of times, not {period!r}") from None
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(f"a working period is a (start, end) pair of times, not {period!r}")
            if end <= start:
                raise ValueError(f"working period {start:%H:%M}–{end:%H:%M} ends before it starts")
            periods.append((start, end))
        periods.sort()
        for (s1, e1), (s2, e2) in zip(periods, periods[1:]):
            if s2 < e1:
                raise ValueError(f"working periods {s1:%H:%M}–{e1:%H:%M} and {s2:%H:%M}–{e2:%H:%M} overlap")
        holidays, workdays = frozenset(self.holidays), frozenset(self.workdays)
        both = holidays & workdays
        if both:
            raise ValueError(f"{min(both)} cannot be both a holiday and a make-up working day")
        object.__setattr__(self, "periods", tuple(periods))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)

    @property
    def seconds_per_day(self):
        found = self.__dict__.get("_per_day")
        if found is None:
            found = self.__dict__["_per_day"] = sum(_seconds(end) - _seconds(start) for start, end in self.periods)
        return found

    @property
    def hours_per_day(self):
        return self.seconds_per_day / 3600

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = self._local(day).date()
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_working_time(self, moment: datetime) -> bool:
        """True inside a working period [start, end) of a working day."""
        moment = self._local(moment)
        if not self.is_working_day(moment.date()):
            return False
        return any(start <= moment.time() < end for start, end in self.periods)

    def years_not_entered(self, first: date, last: date) -> list:
        """The years from `first`'s to `last`'s whose holidays are not entered (fewer than STATUTORY_HOLIDAYS):
        to the arithmetic their New Year's Day and Spring Festival are working days, deadlines there too early."""
        if last < first:
            raise ValueError(f"{first} is after {last}")
        counts = self._holidays_a_year()
        return [year for year in range(first.year, last.year + 1) if counts.get(year, 0) < STATUTORY_HOLIDAYS]

    def _holidays_a_year(self):
        counts = self.__dict__.get("_counts")
        if counts is None:
            counts = {}
            for day in self.holidays:
                counts[day.year] = counts.get(day.year, 0) + 1
            self.__dict__["_counts"] = counts  # kept: the calendar is immutable
        return counts

    def _local(self, moment):
        if not isinstance(moment, datetime):
            raise ValueError(f"a datetime is needed, not {type(moment).__name__}")
        if moment.tzinfo is None:
            return moment
        return moment.astimezone(self.tz)

    def _day_periods(self, day, tzinfo):
        for start, end in self.periods:
            yield (datetime.combine(day, start, tzinfo=tzinfo), datetime.combine(day, end, tzinfo=tzinfo))

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start` (the end of a period, when it
        ends exactly there; the next period's start, when `seconds` is 0 outside working time)."""
        seconds = _amount(seconds, "working time")
        start = self._local(start)
        day = start.date()
        remaining = seconds
        per_day = self.seconds_per_day
        for _ in range(_MAX_DAYS):
            if self.is_working_day(day):
                if day != start.date() and remaining > per_day:  # a whole working day passes: no period to look at
                    remaining -= per_day
                    day += timedelta(days=1)
                    continue
                for p_start, p_end in self._day_periods(day, start.tzinfo):
                    begin = max(p_start, start)
                    if begin >= p_end:
                        continue
                    available = (p_end - begin).total_seconds()
                    if remaining <= available:
                        return begin + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("working time too long for the calendar")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_seconds(start, _amount(hours, "working hours") * 3600)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return self.add_working_seconds(start, _amount(days, "working days") * self.seconds_per_day)

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b); negative when b is before a."""
        a, b = self._local(a), self._local(b)
        if (a.tzinfo is None) != (b.tzinfo is None):
            raise ValueError("cannot mix naive and aware datetimes")
        if b < a:
            return -self.working_seconds_between(b, a)
        if (b.date() - a.date()).days > _MAX_DAYS:
            raise ValueError("span too long for the calendar")
        total = 0.0
        day, first, last, per_day = a.date(), a.date(), b.date(), self.seconds_per_day
        while day <= last:
            if self.is_working_day(day):
                if first < day < last:  # a whole working day inside the span
                    total += per_day
                    day += timedelta(days=1)
                    continue
                for p_start, p_end in self._day_periods(day, a.tzinfo):
                    lo, hi = max(p_start, a), min(p_end, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        return self.working_seconds_between(a, b) / 3600

    def working_days_between(self, a: datetime, b: datetime) -> float:
        """Working time in [a, b) in working days (of `hours_per_day`)."""
        return self.working_seconds_between(a, b) / self.seconds_per_day


def add_limit(calendar: WorkCalendar, start: datetime, amount: float, unit: str) -> datetime:
    """Deadline for a time limit of `amount` `unit` (clock_hours, working_hours, working_days)."""
    if unit not in LIMIT_UNITS:
        raise ValueError(f"unknown time-limit unit {unit!r} (one of {', '.join(LIMIT_UNITS)})")
    amount = _amount(amount, "time limit")
    if unit == "clock_hours":
        # On the clock: an instant later, independent of wall-clock days (no DST surprises).
        if not isinstance(start, datetime):
            raise ValueError(f"a datetime is needed, not {type(start).__name__}")
        if start.tzinfo is None:
            return start + timedelta(hours=amount)
        return (start.astimezone(timezone.utc) + timedelta(hours=amount)).astimezone(calendar.tz)
    if unit == "working_hours":
        return calendar.add_working_hours(start, amount)
    return calendar.add_working_days(start, amount)


def limit_seconds(calendar: WorkCalendar, start: datetime, end: datetime, unit: str) -> float:
    """Time elapsed between start and end, measured the way `unit` runs."""
    if unit not in LIMIT_UNITS:
        raise ValueError(f"unknown time-limit unit {unit!r} (one of {', '.join(LIMIT_UNITS)})")
    if unit == "clock_hours":
        return (end - start).total_seconds()
    return calendar.working_seconds_between(start, end)


def warning_point(calendar: WorkCalendar, start: datetime, due: datetime, fraction: float, unit: str) -> datetime:
    """The "approaching" (临期) point of a time limit running from `start` to `due`: the moment `fraction` of it
    is used, counted the way the limit runs. A clock limit (`clock_hours`) on the clock; a working one in the
    calendar's working time, so a 1-working-day limit recorded on Friday at 16:00 (1.5 h that day, 5.5 h on
    Monday) is approaching on Monday at 14:36 (80 % of 7 h used), not at 09:00. Never after `due`. `calendar` is a
    WorkCalendar or anything with its working_seconds_between and add_working_seconds (the importer's and the demo
    generators' jiesu.demo.deadlines.FastClock)."""
    if unit not in LIMIT_UNITS:
        raise ValueError(f"unknown time-limit unit {unit!r} (one of {', '.join(LIMIT_UNITS)})")
    if unit == "clock_hours":
        return start + (due - start) * fraction
    used = calendar.working_seconds_between(start, due)
    if used <= 0:
        return due
    return min(calendar.add_working_seconds(start, used * fraction), due)


def _amount(value, what):
    if isinstance(value, (bool, str, bytes)):
        raise ValueError(f"{what} must be a number, not {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, not {value!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{what} must be a finite number")
    if value < 0:
        raise ValueError(f"cannot add negative {what}")
    return value


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second
