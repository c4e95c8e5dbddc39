"""Seasonality of a daily series: weekday profile, monthly totals, year over year. Pure: no Django."""
from collections import defaultdict
from datetime import date, timedelta


def moving_average(values, window=7):
    """Trailing mean over `window` values (shorter at the start)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(round(total / min(i + 1, window), 2))
    return out


def weekday_profile(days, values):
    """Mean per weekday (Monday first) over the days given."""
    sums, counts = [0.0] * 7, [0] * 7
    for day, v in zip(days, values):
        sums[day.weekday()] += v
        counts[day.weekday()] += 1
    return [round(s / c, 1) if c else 0.0 for s, c in zip(sums, counts)]


def monthly_totals(days, values):
    """{date(year, month, 1): total}."""
    out = defaultdict(int)
    for day, v in zip(days, values):
        out[date(day.year, day.month, 1)] += v
    return dict(out)


def year_over_year(monthly, until, months=12):
    """Rows (month, this year's total, the same month a year before, change or None) for the last `months`."""
    rows = []
    month = date(until.year, until.month, 1)
    for _ in range(months):
        before = date(month.year - 1, month.month, 1)
        now_n, before_n = monthly.get(month, 0), monthly.get(before, 0)
        change = (now_n - before_n) / before_n if before_n else None
        rows.append((month, now_n, before_n, change))
        month = (month - timedelta(days=1)).replace(day=1)
    return rows[::-1]
