"""The periodic hotspot run: once a day is enough (problems build up over days).

Cron: `jiesu hotspots --if-due 24` every hour runs it when the latest run is 24 hours old or more.
"""
from datetime import timedelta

from django.utils import timezone

from jiesu.hotspots import services


def run_if_due(every_hours=24, days=30, now=None, params=None):
    """The new run, or None when the latest is younger than `every_hours`."""
    now = now or timezone.now()
    last = services.latest_run()
    if last is not None and now - last.started_at < timedelta(hours=every_hours):
        return None
    return services.run_hotspots(days=days, now=now, params=params)


def run_asked(now=None):
    """A worker job: carry out the run asked from the board (services.ask_run), if one waits; the AskedRun, or None.
    The run is services.run_hotspots as the command's, started by the user who asked."""
    asked = services.claim_asked_run(now)
    if asked is None:
        return None
    try:
        run = services.run_hotspots(days=asked.days, user=asked.asked_by)
    except Exception as exc:  # noqa: BLE001 — the page says why; the worker logs it too
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        services.finish_asked_run(asked, services.AskedState.FAILED, reason=reason)
        raise
    services.finish_asked_run(asked, services.AskedState.DONE, run=run)
    asked.refresh_from_db()
    return asked
