"""Periodic work: overdue reports (报到) and tasks raise 督办 notices, once each.

Run by `jiesu whistle_scan` (one pass, or `--every N` seconds). Two scanners at once never
supervise twice: rows are locked and re-checked (supervised_at) before a notice is written. A
督办 sent by hand before the deadline (a reminder) does not count: the overdue notice still goes.
"""
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.whistles.models import Summons, SummonsState, Task, TaskState, WhistleNotice, WhistleState
from jiesu.whistles.services import add_notice, record_event


def _local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def scan_once(now=None):
    """One pass; returns (reports supervised, tasks supervised)."""
    now = now or timezone.now()
    reports = tasks = 0
    with transaction.atomic():
        overdue = (Summons.objects.select_for_update().select_related("whistle", "unit")
                   .filter(Q(supervised_at__isnull=True) | Q(supervised_at__lt=F("report_due")),
                           whistle__state=WhistleState.ACTIVE, state=SummonsState.SUMMONED, report_due__lt=now))
        for summons in overdue:
            text = _("Overdue: %(unit)s was to report by %(due)s.") % {"unit": summons.unit.name,
                                                                      "due": _local(summons.report_due)}
            add_notice(summons.whistle, summons.unit, WhistleNotice.SUPERVISE, text, at=now)
            summons.supervised_at = now
            summons.save(update_fields=["supervised_at"])
            record_event(summons.whistle, "report_overdue", None, summons.whistle.state, summons.whistle.state, text,
                         summons=summons, at=now, unit=summons.unit.name, due=summons.report_due.isoformat())
            reports += 1
        late_tasks = (Task.objects.select_for_update().select_related("whistle", "unit")
                      .filter(whistle__state=WhistleState.ACTIVE, state=TaskState.OPEN, due__lt=now,
                              supervised_at__isnull=True))
        for task in late_tasks:
            text = _("Overdue: the task “%(task)s” was due %(due)s.") % {"task": task.title, "due": _local(task.due)}
            add_notice(task.whistle, task.unit, WhistleNotice.SUPERVISE, text, at=now)
            task.supervised_at = now
            task.save(update_fields=["supervised_at"])
            record_event(task.whistle, "task_overdue", None, task.whistle.state, task.whistle.state, text, task=task,
                         at=now, unit=task.unit.name, due=task.due.isoformat())
            tasks += 1
    return reports, tasks
