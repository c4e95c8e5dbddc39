"""Fast working-time arithmetic for bulk generation.

`jiesu.workcal.worktime.add_limit` walks the calendar day by day, which is
fine for one ticket and slow for a hundred thousand deadlines. `FastClock`
precomputes, for every day of a window, the working seconds elapsed since the
window's start; a deadline is then one lookup, one addition and one bisection.
Results are identical to `add_limit` (tests/demo/test_deadlines.py checks it);
outside the window it falls back to `add_limit`.
"""
from bisect import bisect_left
from datetime import datetime, time, timedelta

from jiesu.workcal.worktime import WorkCalendar, add_limit


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class FastClock:
    def __init__(self, calendar: WorkCalendar, first_day, last_day):
        self.calendar = calendar
        self.tz = calendar.tz
        self.first = first_day
        self.periods = [(_secs(a), _secs(b)) for a, b in calendar.periods]
        self.per_day = sum(b - a for a, b in self.periods)
        self.days = (last_day - first_day).days + 1
        self.working = [calendar.is_working_day(first_day + timedelta(days=i)) for i in range(self.days)]
        # cum[i]: working seconds in the window before day i (len days + 1)
        cum = [0]
        for flag in self.working:
            cum.append(cum[-1] + (self.per_day if flag else 0))
        self.cum = cum
        self.midnights = {}  # day i → its start (datetime), made when first asked for

    # -- the working-second index of a moment and its inverse

    def index(self, moment: datetime):
        """Working seconds from the window's start to `moment`; None outside the window."""
        local = moment.astimezone(self.tz)
        i = (local.date() - self.first).days
        if not 0 <= i < self.days:
            return None
        base = self.cum[i]
        if not self.working[i]:
            return base
        s = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        for a, b in self.periods:
            if s > a:
                base += min(s, b) - a
        return base

    def moment(self, target):
        """The earliest moment whose index is `target` (> 0); None past the window."""
        i = bisect_left(self.cum, target) - 1
        if i < 0 or i >= self.days:
            return None
        rem = target - self.cum[i]
        day = self.midnights.get(i)
        if day is None:
            day = self.midnights[i] = datetime.combine(self.first + timedelta(days=i), time(0), tzinfo=self.tz)
        for a, b in self.periods:
            if rem <= b - a:
                return day + timedelta(seconds=a + rem)
            rem -= b - a
        return None  # unreachable: rem <= per_day

    # -- WorkCalendar's two calls in workcal.worktime.warning_point (the approaching point), so that a FastClock can
    # stand for its calendar there: the importer finds an open row's point with one look-up and one bisection

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """WorkCalendar.working_seconds_between, fast; the calendar's own outside the window."""
        ia, ib = self.index(a), self.index(b)
        if ia is None or ib is None:
            return self.calendar.working_seconds_between(a, b)
        return ib - ia

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """WorkCalendar.add_working_seconds, fast; the calendar's own outside the window (and for none)."""
        result = self.add_seconds(start, seconds)
        return result if result is not None else self.calendar.add_working_seconds(start, seconds)

    # -- what the generator needs

    def add(self, start: datetime, amount, unit: str) -> datetime:
        """add_limit(calendar, start, amount, unit), fast."""
        if unit == "clock_hours":
            return (start + timedelta(hours=amount)).astimezone(self.tz)
        seconds = amount * 3600 if unit == "working_hours" else amount * self.per_day
        result = self.add_seconds(start, seconds)
        return result if result is not None else add_limit(self.calendar, start, amount, unit)

    def add_seconds(self, start, seconds):
        """`seconds` of working time after `start` (None outside the window)."""
        base = self.index(start)
        if base is None or seconds <= 0:
            return None
        return self.moment(base + seconds)

    def limit_seconds(self, amount, unit):
        """The length of a limit in its own seconds (clock or working)."""
        if unit == "clock_hours":
            return amount * 3600
        return amount * 3600 if unit == "working_hours" else amount * self.per_day

    def after(self, start: datetime, fraction: float, amount, unit) -> datetime:
        """The moment `fraction` of a limit after `start`, counted the way the limit runs."""
        seconds = max(1.0, round(fraction * self.limit_seconds(amount, unit)))
        if unit == "clock_hours":
            return start + timedelta(seconds=seconds)
        result = self.add_seconds(start, seconds)
        if result is None:
            return add_limit(self.calendar, start, seconds / 3600, "working_hours")
        return result
