"""Periodic work for forecasts: once a week forecast, every run scan.

`jiesu warnings run` does both (cron, e.g. every hour; the forecast only at the week's first run);
`jiesu warnings run --loop` keeps running like `jiesu worker`. Forecasts of weeks that have begun
are never rewritten, so running it often only refreshes the actual counts and the alerts.
"""
import time
from datetime import timedelta

from django.utils import timezone

from jiesu.warnings import forecast as F
from jiesu.warnings import services
from jiesu.warnings.models import Forecast


def run_once(now=None, level=services.DEFAULT_LEVEL, replay=0):
    """Forecast the coming weeks (the week's first run, or with `replay`), then compare the running and past weeks
    with their bands.

    The coming weeks' forecasts come from the weeks before this one only: once made this week, making them again
    changes nothing but costs the count of three years of tickets, so later runs of the week only scan
    (`jiesu warnings forecast` makes them again on demand, e.g. after a late import)."""
    now = now or timezone.now()
    next_monday = F.week_start(timezone.localtime(now).date()) + timedelta(weeks=1)
    if replay or not Forecast.objects.filter(week=next_monday, origin=next_monday).exists():
        made = services.run_forecasts(now=now, level=level, replay=replay)
    else:
        made = {"series": 0, "rows": 0, "replayed": 0, "kept": True}
    scanned = services.scan(now=now, level=level)
    return {**made, **scanned}


def run_forever(interval=3600, stop=None):
    while stop is None or not stop():
        run_once()
        time.sleep(interval)


def ensure_forecasts(replay=8):
    """For `jiesu setup`: forecasts (with `replay` past weeks) once, when none exist yet. Returns a log line."""
    if Forecast.objects.exists():
        return "forecasts: in place (`jiesu warnings run` refreshes them)"
    started = time.perf_counter()
    result = run_once(replay=replay)
    return (f"forecasts: {result['series']} series, {result['alerts']} alerts "
            f"({time.perf_counter() - started:.1f} s)")
