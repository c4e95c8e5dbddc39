"""Periodic work: reports (报到) and tasks coming due get a warning (临期预警) once the share
JIESU["WARNING_FRACTION"] (80 %) of their time is used, counted as their limit runs (working or clock
time); overdue ones raise 督办 notices. Each once.

Run by `jiesu whistle_scan` (one pass, or `--every N` seconds) and by the worker (scan_once). Two
scanners at once never notify twice: rows are locked and re-checked (warned_at, supervised_at) before
a notice is written. A 督办 sent by hand before the deadline (a reminder) does not count: the overdue
notice still goes; nor does the warning.
"""
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.whistles import rules
from jiesu.whistles.models import Mode, Summons, SummonsState, Task, TaskState, Whistle, WhistleNotice, WhistleState
from jiesu.whistles.services import _local, add_notice, record_event
from jiesu.workcal.services import current_calendar
from jiesu.workcal.worktime import warning_point


def _notify(row, kind, stamp, event, text, now, due):
    """One notice to the unit of `row` (a Summons or a Task), stamped on the row (`stamp`) so it goes once,
    and its `event` on the whistle's timeline."""
    whistle = row.whistle
    add_notice(whistle, row.unit, kind, text, at=now)
    setattr(row, stamp, now)
    row.save(update_fields=[stamp])
    link = {"summons": row} if isinstance(row, Summons) else {"task": row}
    record_event(whistle, event, None, whistle.state, whistle.state, text, at=now, unit=row.unit.name,
                 due=due.isoformat(), **link)


def _report_unit(whistle):
    return rules.report_limit(whistle.mode, whistle.level.report_amount, whistle.level.report_unit)[1]


def _task_unit(whistle):
    """Tasks run in working time, on the clock for a 快速 whistle or a level counted in clock hours (as
    services.default_task_due sets them)."""
    return "clock_hours" if whistle.mode == Mode.QUICK or whistle.level.report_unit == "clock_hours" else "working_days"


def warn_once(now=None):
    """Warn each summoned unit whose report, and each unit whose task, is coming due (80 % of its time used,
    not yet overdue), once. Returns (reports warned, tasks warned)."""
    now = now or timezone.now()
    fraction = settings.JIESU["WARNING_FRACTION"]
    calendar = current_calendar()
    reports = tasks = 0
    with transaction.atomic():
        coming = (Summons.objects.select_for_update().select_related("whistle__level", "unit")
                  .filter(warned_at__isnull=True, whistle__state=WhistleState.ACTIVE, state=SummonsState.SUMMONED,
                          summoned_at__lte=now, report_due__gt=now))
        for summons in coming:
            if now < warning_point(calendar, summons.summoned_at, summons.report_due, fraction,
                                   _report_unit(summons.whistle)):
                continue
            text = _("Deadline approaching: %(unit)s is to report by %(due)s.") % {
                "unit": summons.unit.name, "due": _local(summons.report_due)}
            _notify(summons, WhistleNotice.WARNING, "warned_at", "report_warning", text, now, summons.report_due)
            reports += 1
        coming_tasks = (Task.objects.select_for_update().select_related("whistle__level", "unit")
                        .filter(warned_at__isnull=True, whistle__state=WhistleState.ACTIVE, state=TaskState.OPEN,
                                created_at__lte=now, due__gt=now))
        for task in coming_tasks:
            if now < warning_point(calendar, task.created_at, task.due, fraction, _task_unit(task.whistle)):
                continue
            text = _("Deadline approaching: the task “%(task)s” is due %(due)s.") % {
                "task": task.title, "due": _local(task.due)}
            _notify(task, WhistleNotice.WARNING, "warned_at", "task_warning", text, now, task.due)
            tasks += 1
    return reports, tasks


def propose_raises(now=None):
    """Tell the whistling unit, once, to consider 提级 when a summoned unit has been missing, or a task overdue, for
    rules.PROPOSE_RAISE_AFTER_DAYS (the whistle page proposes it too). Returns the whistles proposed."""
    now = now or timezone.now()
    since = now - timedelta(days=rules.PROPOSE_RAISE_AFTER_DAYS)
    stalled_summons = Summons.objects.filter(state=SummonsState.SUMMONED, report_due__lte=since)
    stalled_tasks = Task.objects.filter(state=TaskState.OPEN, due__lte=since)
    ids = set(stalled_summons.values_list("whistle_id", flat=True)) | set(stalled_tasks.values_list("whistle_id",
                                                                                                   flat=True))
    proposed = 0
    with transaction.atomic():
        for whistle in (Whistle.objects.select_for_update().filter(
                pk__in=ids, state=WhistleState.ACTIVE, raised_to_district_at__isnull=True,
                raise_proposed_at__isnull=True).order_by("pk")):
            units = sorted({s.unit.name for s in stalled_summons.filter(whistle=whistle).select_related("unit")}
                           | {t.unit.name for t in stalled_tasks.filter(whistle=whistle).select_related("unit")})
            text = _("Consider raising to the district (提级): %(units)s overdue for %(days)d days or more.") % {
                "units": "、".join(units), "days": rules.PROPOSE_RAISE_AFTER_DAYS}
            add_notice(whistle, whistle.unit, WhistleNotice.PROPOSAL, text, at=now)
            whistle.raise_proposed_at = now
            whistle.save(update_fields=["raise_proposed_at"])
            record_event(whistle, "raise_proposed", None, whistle.state, whistle.state, text, at=now, units=units)
            proposed += 1
    return proposed


def scan_once(now=None, warn=True):
    """One pass: the warnings (warn_once, unless `warn` is False), the 督办 of overdue reports and tasks, then the
    提级 proposals (propose_raises); returns (reports supervised, tasks supervised)."""
    now = now or timezone.now()
    if warn:
        warn_once(now)
    reports = tasks = 0
    with transaction.atomic():
        overdue = (Summons.objects.select_for_update().select_related("whistle", "unit")
                   .filter(Q(supervised_at__isnull=True) | Q(supervised_at__lt=F("report_due")),
                           whistle__state=WhistleState.ACTIVE, state=SummonsState.SUMMONED, report_due__lt=now))
        for summons in overdue:
            text = _("Overdue: %(unit)s was to report by %(due)s.") % {"unit": summons.unit.name,
                                                                      "due": _local(summons.report_due)}
            _notify(summons, WhistleNotice.SUPERVISE, "supervised_at", "report_overdue", text, now, summons.report_due)
            reports += 1
        late_tasks = (Task.objects.select_for_update().select_related("whistle", "unit")
                      .filter(whistle__state=WhistleState.ACTIVE, state=TaskState.OPEN, due__lt=now,
                              supervised_at__isnull=True))
        for task in late_tasks:
            text = _("Overdue: the task “%(task)s” was due %(due)s.") % {"task": task.title, "due": _local(task.due)}
            _notify(task, WhistleNotice.SUPERVISE, "supervised_at", "task_overdue", text, now, task.due)
            tasks += 1
    propose_raises(now)
    return reports, tasks
