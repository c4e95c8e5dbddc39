"""When the worker retrains the desk's model (pure: times in, times out; jobs.retrain_if_due acts on it, the
accuracy page says when it is next due).

The schedule: every `days` days, inside a window of local hours (start, end) that may wrap past midnight
(start == end: any hour). A week counts from the latest run's start, less the window's length, so that a
weekly run does not start later each week.

The first model (no model file yet) does not wait for the night: the cold start it replaces is far worse. It is
due at any hour, once a day at most (a new platform may not have enough closed tickets yet).

A run that failed or was lost (out of memory, the database away, the machine restarted) does not cost the week:
it is tried again the next night, RETRIES times at most in a row (then the week counts, so that a run that
always fails does not take every night).
"""
from datetime import timedelta

from django.utils import timezone

FIRST_MODEL_RETRY = timedelta(days=1)
RETRY_DAYS = 1  # a failed or lost run is tried again the next night…
RETRIES = 2     # …this many times in a row at most


def in_hours(local_hour, hours):
    """Whether a local hour (0–23) falls in the window (start, end); the window may wrap past midnight."""
    start, end = hours
    if start == end:
        return True
    return start <= local_hour < end if start < end else (local_hour >= start or local_hour < end)


def retrain_due(now, last_started, days, hours, first=False, failed=0):
    """Whether a scheduled retraining is due at `now` (aware): in the night window, and the latest run started
    at least `days` ago, less the window's length (so that a weekly run does not drift later each week).
    `first` (no model yet): at any hour, a day after the latest run. `failed`: how many of the latest runs in a
    row failed or were lost (retried after RETRY_DAYS, RETRIES times at most)."""
    if first:
        return last_started is None or now >= last_started + FIRST_MODEL_RETRY
    if not in_hours(timezone.localtime(now).hour, hours):
        return False
    return last_started is None or now >= _week_after(last_started, cadence(days, failed), hours)


def next_retrain_at(now, last_started, days, hours, first=False, failed=0):
    """When the scheduled retraining is next due (retrain_due), from `now` on; the worker starts it at its first
    pass after that."""
    if first:
        return now if last_started is None else max(now, last_started + FIRST_MODEL_RETRY)
    earliest = now if last_started is None else max(now, _week_after(last_started, cadence(days, failed), hours))
    local = timezone.localtime(earliest)
    if in_hours(local.hour, hours):
        return earliest
    start = local.replace(hour=hours[0], minute=0, second=0, microsecond=0)
    return start if start > local else start + timedelta(days=1)


def cadence(days, failed):
    """Days from the latest run's start to the next: RETRY_DAYS after a failed or lost one (RETRIES in a row at
    most), else `days`."""
    return min(days, RETRY_DAYS) if 0 < failed <= RETRIES else days


def _week_after(last_started, days, hours):
    """`days` after the latest run began, less the window's length."""
    return last_started + timedelta(days=days) - timedelta(hours=(hours[1] - hours[0]) % 24)
