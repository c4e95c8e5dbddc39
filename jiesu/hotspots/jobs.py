"""The periodic hotspot run: once a day is enough (problems build up over days).

The worker's job `run_if_due` starts it as the board's asked run is started: `jiesu hotspots --asked ID` in a
process of its own at a lower priority (core.background.spawn), recorded as an AskedRun without an asker (its
`is_daily`). Cron: `jiesu hotspots --if-due 24` every hour runs it in the command's own process (`run_here_if_due`).
"""
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jiesu.core import background
from jiesu.hotspots import services


def is_due(every_hours, now):
    last = services.latest_run()
    return last is None or now - last.started_at >= timedelta(hours=every_hours)


def run_here_if_due(every_hours=24, days=30, now=None, params=None):
    """The new run, carried out in this process (the command's `--if-due`), or None when the latest is younger than
    `every_hours`."""
    now = now or timezone.now()
    if not is_due(every_hours, now):
        return None
    return services.run_hotspots(days=days, now=now, params=params)


#: How long after a daily run that stored nothing (failed) the next is tried.
DAILY_RETRY = timedelta(hours=1)


def run_if_due(every_hours=24, days=30, now=None, spawn=None):
    """A worker job: when the latest run is `every_hours` old, start the daily run in a process of its own
    (spawn_asked_run), recorded as an AskedRun without an asker, so that the worker's other jobs — the deadline scan,
    notices, auto-dispatch — do not wait for the clustering (tens of minutes at a city's volume). None when not due
    or while another run waits or runs (an asked one makes the latest run new). The AskedRun started."""
    now = now or timezone.now()
    background.reap()
    services.abandon_lost_asked_runs(now)
    if not is_due(every_hours, now):
        return None
    tried = services.AskedRun.objects.filter(asked_by_name="").order_by("-asked_at").first()
    if tried is not None and now - tried.asked_at < DAILY_RETRY:
        return None  # it failed (no run stored): tried again an hour later, not at every pass
    try:
        with transaction.atomic():
            services.AskedRun.objects.create(asked_at=now, days=days)
    except IntegrityError:  # one waits or runs already
        return None
    return run_asked(now, spawn)


def asked_log_path():
    """The asked runs' processes' output: var/hotspots.log (beside the database's default place)."""
    return Path(settings.VAR_DIR) / "hotspots.log"


def spawn_asked_run(asked):
    """Start `jiesu hotspots --asked ID` as a process of its own (core.background.spawn, as a retraining); its pid."""
    heading = f"hotspot run asked #{asked.pk} ({asked.asked_by_name or 'daily'}, {asked.days} days), " \
              f"{timezone.localtime(asked.started_at or timezone.now()):%Y-%m-%d %H:%M:%S}"
    return background.spawn(["hotspots", "--asked", str(asked.pk)], asked_log_path(), heading)


def run_asked(now=None, spawn=None):
    """A worker job: start the run asked from the board (services.ask_run), if one waits, in a process of its own
    (spawn_asked_run), so that the worker's other jobs — the deadline scan, notices, auto-dispatch — do not wait
    for the clustering (seconds to minutes; tens of minutes at a city's volume). Marks failed the runs whose process
    is gone first (services.abandon_lost_asked_runs). The AskedRun started (running, its pid), or None."""
    background.reap()
    services.abandon_lost_asked_runs(now)
    asked = services.claim_asked_run(now)
    if asked is None:
        return None
    try:
        pid = (spawn or spawn_asked_run)(asked)
    except Exception as exc:  # noqa: BLE001 — the page says why; the worker logs it too
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        services.finish_asked_run(asked, services.AskedState.FAILED, reason=f"could not be started: {reason}",
                                  only_running=True)  # what the process itself recorded stays
        raise
    services.AskedRun.objects.filter(pk=asked.pk, pid__isnull=True).update(pid=pid)
    asked.refresh_from_db()
    return asked


def carry_out_asked(asked_id):
    """`jiesu hotspots --asked ID` (the process spawn_asked_run starts): services.run_hotspots as the command's,
    started by the user who asked, its outcome recorded on the AskedRun whatever it is; the HotspotRun."""
    asked = services.take_asked_run(asked_id)
    try:
        run = services.run_hotspots(days=asked.days, user=asked.asked_by)
    except BaseException as exc:  # recorded, then raised: the run must not stay 'running'
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        services.finish_asked_run(asked, services.AskedState.FAILED, reason=reason)
        raise
    services.finish_asked_run(asked, services.AskedState.DONE, run=run)
    return run
