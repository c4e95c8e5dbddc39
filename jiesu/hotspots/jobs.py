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
