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


def calendar_from_package():
    """A WorkCalendar of the chinese_calendar package's holidays (for files read without a database)."""
    from chinese_calendar import constants

    from jiesu.workcal.worktime import WorkCalendar

    return WorkCalendar(frozenset(constants.holidays), frozenset(constants.workdays))
