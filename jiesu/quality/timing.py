"""Reply time in working hours (jiesu.workcal), per unit: median and P90. Pure."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class ReplyTimes:
    unit: object
    replies: int
    median_h: float
    p90_h: float


def working_hours(calendar, start, end):
    """Working hours from `start` to `end` on the calendar (0 when end is before start)."""
    return max(0.0, calendar.working_hours_between(start, end))


def summarise(calendar, rows):
    """[ReplyTimes] of (unit, start, end) rows, most replies first."""
    by_unit = {}
    for unit, start, end in rows:
        if start is None or end is None:
            continue
        by_unit.setdefault(unit, []).append(working_hours(calendar, start, end))
    out = [ReplyTimes(u, len(h), round(float(np.median(h)), 1), round(float(np.percentile(h, 90)), 1))
           for u, h in by_unit.items()]
    out.sort(key=lambda r: (-r.replies, str(r.unit)))
    return out


def shown_hours(calendar, start, end):
    """The working hours from `start` to `end` on the grid the page sums them on (None without both): tenths of an
    hour below 10 h, whole hours below 100 h, tens of hours above, so that a unit's month is a few hundred
    (hours, count) rows, not one row per reply."""
    if start is None or end is None:
        return None
    hours = working_hours(calendar, start, end)
    return round(hours, 1) if hours < 10 else float(round(hours)) if hours < 100 else float(round(hours, -1))


def summarise_counts(rows):
    """[ReplyTimes] of (unit, hours, count) rows (each unit's replies counted per hours value), most replies first:
    the same median and P90 as `summarise` of the replies one by one (numpy's linear interpolation), without making
    a value per reply."""
    by_unit = {}
    for unit, hours, count in rows:
        by_unit.setdefault(unit, []).append((hours, count))
    out = []
    for unit, counted in by_unit.items():
        counted.sort()
        total = sum(n for _h, n in counted)
        out.append(ReplyTimes(unit, total, round(counted_percentile(counted, total, 50), 1),
                              round(counted_percentile(counted, total, 90), 1)))
    out.sort(key=lambda r: (-r.replies, str(r.unit)))
    return out


def counted_percentile(counted, total, p):
    """The `p` percentile of sorted (value, count) pairs holding `total` values, interpolated as numpy does."""
    k = (total - 1) * p / 100
    lo = int(k)

    def nth(i):
        seen = 0
        for value, n in counted:
            seen += n
            if i < seen:
                return value
        return counted[-1][0]

    low = nth(lo)
    return float(low + (nth(min(lo + 1, total - 1)) - low) * (k - lo))


def calendar_from_package():
    """A WorkCalendar of the chinese_calendar package's holidays (for files read without a database)."""
    from chinese_calendar import constants

    from jiesu.workcal.worktime import WorkCalendar

    return WorkCalendar(frozenset(constants.holidays), frozenset(constants.workdays))
