"""The worker (`jiesu worker`): the deadline scan, then the other apps' periodic jobs.

The deadline scan marks tickets approaching (80 % of the limit) and overdue. Safe
to run as several processes on PostgreSQL: each batch claims its rows with
SELECT … FOR UPDATE SKIP LOCKED, so two workers never warn twice.

After it, each pass runs PERIODIC_JOBS (督办 of whistles, auto-dispatch, the grid
ladder, forecasts and hotspots when due). Each job is guarded: one that fails is
logged and the others still run. The jobs are named by dotted path and imported
when called, so the ticket core does not import the apps built on it at load time.
"""
import logging
import threading
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from jiesu.tickets.models import Notice, NoticeKind, Ticket, current_deadline, limit_unit
from jiesu.tickets.services import record_event
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import warning_point

log = logging.getLogger(__name__)

BATCH = 500
APPROACHING, OVERDUE = 1, 2


def warning_level(now, start, due_at, fraction, unit="clock_hours", calendar=None):
    """0 ok, 1 approaching (past `fraction` of the time allowed, counted the way the limit's `unit` runs: a working
    one in `calendar`'s working time, workcal.worktime.warning_point), 2 overdue. Pure."""
    if due_at is None or start is None:
        return 0
    if now >= due_at:
        return OVERDUE
    if now >= warning_point(calendar, start, due_at, fraction, unit):
        return APPROACHING
    return 0


def _claim(queryset):
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def scan_once(now=None, batch=BATCH):
    """One pass over open tickets whose warning level may have risen. Returns tickets marked."""
    now = now or timezone.now()
    fraction = settings.JIESU["WARNING_FRACTION"]
    marked = 0
    while True:
        with transaction.atomic():
            rows = list(_claim(_candidates(now)).order_by("pk")[:batch])
            marked += sum(_mark(t, now, fraction) for t in rows)
        if len(rows) < batch:
            return marked


def _candidates(now):
    return Ticket.objects.filter(next_check_at__lte=now)


def _mark(ticket, now, fraction):
    current = current_deadline(ticket)
    if current is None or None in current:
        ticket.save(update_fields=["next_check_at"])
        return False
    start, due_at, step = current
    level = warning_level(now, start, due_at, fraction, limit_unit(ticket, step), current_calendar())
    if level <= ticket.warning_level:
        ticket.save(update_fields=["next_check_at"])
        return False
    ticket.warning_level = level
    ticket.save(update_fields=["warning_level", "next_check_at"])
    kind = "overdue" if level == OVERDUE else "approaching"
    record_event(ticket, kind, None, ticket.state, ticket.state, step=step, due=due_at.isoformat())
    if ticket.lead_unit_id and step == "reply":
        text = (_("Overdue: the reply was due %(due)s.") if level == OVERDUE
                else _("Deadline approaching: the reply is due %(due)s.")) % {
            "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")}
        Notice.objects.create(ticket=ticket, unit_id=ticket.lead_unit_id, created_at=now, text=text,
                              kind=NoticeKind.OVERDUE if level == OVERDUE else NoticeKind.APPROACHING)
    return True


# when this process last ran an "if due" job that leaves no trace when there is nothing to store
LAST_RUN = {}


def warnings_if_due(now=None, every_hours=1):
    """The forecast/alert run (jiesu.warnings.jobs.run_once) when the latest is `every_hours` old, else None.

    Each run rewrites the coming weeks' forecasts with made_at = now, so the newest made_at is
    the latest run of any worker process; before there is history enough to forecast, this
    process's own last run counts.
    """
    from django.db.models import Max

    from jiesu.warnings import jobs as warning_jobs
    from jiesu.warnings.models import Forecast

    now = now or timezone.now()
    stored = Forecast.objects.aggregate(last=Max("made_at"))["last"]
    last = max((t for t in (stored, LAST_RUN.get("warnings")) if t is not None), default=None)
    if last is not None and now - last < timedelta(hours=every_hours):
        return None
    LAST_RUN["warnings"] = now
    return warning_jobs.run_once(now=now)


# (name, dotted path): each is called as job(now=now) after the deadline scan, in this order.
PERIODIC_JOBS = (
    ("whistle_supervision", "jiesu.whistles.jobs.scan_once"),       # 督办 of overdue reports and tasks
    ("auto_dispatch", "jiesu.dispatch.jobs.auto_dispatch_once"),    # nothing while no rule is enabled
    ("accuracy_recounts", "jiesu.dispatch.jobs.recount_asked_snapshots"),  # 重新统计 asked on the accuracy page
    ("grid_ladder", "jiesu.grids.jobs.scan_ladder"),                # ladder steps moved on / overdue
    ("warnings", "jiesu.tickets.jobs.warnings_if_due"),             # hourly
    ("hotspots_asked", "jiesu.hotspots.jobs.run_asked"),            # 立即发现热点 asked on the board
    ("hotspots", "jiesu.hotspots.jobs.run_if_due"),                 # daily
    ("topic_effects", "jiesu.topics.services.refresh_effects"),     # 每月一题's effect, before the page finds it stale
    ("retrain", "jiesu.dispatch.jobs.retrain_if_due"),              # weekly at night, when a model is named
    ("accuracy_snapshots", "jiesu.dispatch.jobs.refresh_accuracy_snapshots"),  # hourly, while someone looks
    ("calendar_coverage", "jiesu.workcal.jobs.warn_if_not_entered"),  # logs a year ahead without holidays, daily
    ("reply_quality", "jiesu.quality.jobs.check_new_replies"),       # replies not yet checked, in bounded batches
    ("kpi_freeze", "jiesu.kpi.services.freeze_due_months"),         # publishes a month 10 days after its end
    ("closed_account_patrols", "jiesu.grids.jobs.end_patrols_of_closed_accounts"),  # patrols of closed accounts
    ("reply_quality_prune", "jiesu.quality.jobs.prune_reply_checks"),  # checked-reply marks past a year, bounded
)


FAILED = "failed"


def _run_guarded(name, job, now):
    """The job's result, or FAILED after logging its exception (the pass goes on).

    `job` is a callable or a dotted path, imported here so that an app that cannot even be
    imported fails alone too.
    """
    try:
        return (import_string(job) if isinstance(job, str) else job)(now=now)
    except Exception:  # noqa: BLE001 — a worker must outlive one app's bug; the traceback is logged
        log.exception("worker job %s failed", name)
        return FAILED


def run_pass(now=None, periodic=PERIODIC_JOBS):
    """One worker pass: the deadline scan, then each periodic job. Returns {name: result or FAILED}."""
    now = now or timezone.now()
    results = {"deadlines": _run_guarded("deadlines", scan_once, now)}
    for name, job in periodic:
        results[name] = _run_guarded(name, job, now)
    return results


def run_forever(interval=60, stop=None):
    """A pass every `interval` seconds until `stop` (a threading.Event) is set: after the pass under way, or at
    once while waiting for the next (`jiesu worker` sets it on SIGTERM)."""
    stop = stop or threading.Event()
    while not stop.is_set():
        run_pass()
        stop.wait(interval)
