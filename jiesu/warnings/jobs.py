"""Periodic work for forecasts: once a week (or daily — it is idempotent) forecast, then scan.

`jiesu warnings run` does both (cron, e.g. every hour); `jiesu warnings run --loop` keeps
running like `jiesu worker`. Forecasts of weeks that have begun are never rewritten, so
running it often only refreshes the actual counts and the alerts.
"""
import time

from django.utils import timezone

from jiesu.warnings import services


def run_once(now=None, level=services.DEFAULT_LEVEL, replay=0):
    """Forecast the coming weeks, then compare the running and past weeks with their bands."""
    now = now or timezone.now()
    made = services.run_forecasts(now=now, level=level, replay=replay)
    scanned = services.scan(now=now, level=level)
    return {**made, **scanned}


def run_forever(interval=3600, stop=None):
    while stop is None or not stop():
        run_once()
        time.sleep(interval)


def ensure_forecasts(replay=8):
    """For `jiesu setup`: forecasts (with `replay` past weeks) once, when none exist yet. Returns a log line."""
    from jiesu.warnings.models import Forecast

    if Forecast.objects.exists():
        return "forecasts: in place (`jiesu warnings run` refreshes them)"
    started = time.perf_counter()
    result = run_once(replay=replay)
    return (f"forecasts: {result['series']} series, {result['alerts']} alerts "
            f"({time.perf_counter() - started:.1f} s)")
