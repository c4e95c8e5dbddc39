"""Working-time arithmetic on a Chinese calendar. Pure: no Django.

A day is a working day when it is a Monday–Friday that is not a statutory
holiday, or a make-up working day (调休上班, often a Saturday or Sunday).
Working time runs only inside the working periods of working days (e.g.
09:00–12:00 and 13:30–17:30). A working day is `hours_per_day` working hours,
so "7 working days" from Tuesday 10:00 ends at 10:00 seven working days later.
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

DEFAULT_PERIODS = ((time(9, 0), time(12, 0)), (time(13, 30), time(17, 30)))


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset = field(default_factory=frozenset)
    workdays: frozenset = field(default_factory=frozenset)
    periods: tuple = DEFAULT_PERIODS

    def __post_init__(self):
        if not self.periods:
            raise ValueError("at least one working period is needed")
        for start, end in self.periods:
            if end <= start:
                raise ValueError(f"working period {start}–{end} ends before it starts")

    @property
    def seconds_per_day(self):
        return sum(_seconds(end) - _seconds(start) for start, end in self.periods)

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def _day_periods(self, day, tzinfo):
        for start, end in self.periods:
            yield (datetime.combine(day, start, tzinfo=tzinfo), datetime.combine(day, end, tzinfo=tzinfo))

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("cannot add negative working time")
        day = start.date()
        remaining = seconds
        for _ in range(3660):  # ten years of days bounds the walk
            if self.is_working_day(day):
                for p_start, p_end in self._day_periods(day, start.tzinfo):
                    begin = max(p_start, start)
                    if begin >= p_end:
                        continue
                    available = (p_end - begin).total_seconds()
                    if remaining <= available:
                        if remaining == 0:
                            return begin
                        return begin + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("working time too long for the calendar")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_seconds(start, hours * 3600)

    def add_working_days(self, start: datetime, days: float) -> datetime:
        return self.add_working_seconds(start, days * self.seconds_per_day)

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working seconds in [a, b); negative when b is before a."""
        if b < a:
            return -self.working_seconds_between(b, a)
        total = 0.0
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                for p_start, p_end in self._day_periods(day, a.tzinfo):
                    lo, hi = max(p_start, a), min(p_end, b)
                    if hi > lo:
                        total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        return self.working_seconds_between(a, b) / 3600


def add_limit(calendar: WorkCalendar, start: datetime, amount: float, unit: str) -> datetime:
    """Deadline for a time limit of `amount` `unit` (clock_hours, working_hours, working_days)."""
    if unit == "clock_hours":
        return start + timedelta(hours=amount)
    if unit == "working_hours":
        return calendar.add_working_hours(start, amount)
    if unit == "working_days":
        return calendar.add_working_days(start, amount)
    raise ValueError(f"unknown time-limit unit {unit!r}")


def limit_seconds(calendar: WorkCalendar, start: datetime, end: datetime, unit: str) -> float:
    """Time elapsed between start and end, measured the way `unit` runs."""
    if unit == "clock_hours":
        return (end - start).total_seconds()
    return calendar.working_seconds_between(start, end)


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second
