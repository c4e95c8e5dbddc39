"""The deadline worker: marks tickets approaching (80 % of the limit) and overdue.

Safe to run as several processes on PostgreSQL: each batch claims its rows
with SELECT … FOR UPDATE SKIP LOCKED, so two workers never warn twice.
"""
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.tickets.models import Notice, NoticeKind, Ticket, current_deadline
from jiesu.tickets.services import record_event

BATCH = 500
APPROACHING, OVERDUE = 1, 2


def warning_level(now, start, due_at, fraction):
    """0 ok, 1 approaching (past `fraction` of the time allowed), 2 overdue. Pure."""
    if due_at is None or start is None:
        return 0
    if now >= due_at:
        return OVERDUE
    if now >= start + (due_at - start) * fraction:
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
    level = warning_level(now, start, due_at, fraction)
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


def run_forever(interval=60, stop=None):
    while stop is None or not stop():
        scan_once()
        time.sleep(interval)
