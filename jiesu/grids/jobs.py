"""Periodic work for the ladder: close steps whose ticket moved on, warn the units whose step is overdue.

Run with `jiesu grids ladder-scan` (cron, every few minutes) — idempotent. And the patrols of closed accounts:
ended when the account is saved closed, and swept by `end_patrols_of_closed_accounts`.
"""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.grids.models import LadderStep, StepOutcome
from jiesu.tickets.models import HANDLING_STATES, Notice, NoticeKind, State


def end_patrols_of_closed_accounts(now=None):
    """A worker job (and the sweep behind account_saved): end the open patrols of closed (deactivated) accounts,
    also those closed without their save (a bulk update) or before 2026-12-07. How many."""
    from django.contrib.auth import get_user_model

    from jiesu.grids.services import end_patrols_of_closed

    return end_patrols_of_closed(get_user_model().objects.all())


def account_saved(sender, instance, **kwargs):
    """post_save of a user: a closed account's open patrol ends at once (services.end_patrols_of_closed)."""
    if not instance.is_active:
        from jiesu.grids.services import end_patrols_of_closed

        end_patrols_of_closed(sender.objects.filter(pk=instance.pk))


def scan_ladder(now=None):
    """Returns {"closed": n, "withdrawn": n, "warned": n}."""
    now = now or timezone.now()
    closed = withdrawn = warned = 0
    open_steps = LadderStep.objects.filter(left_at__isnull=True).select_related("ticket", "unit")
    for step in open_steps.iterator(chunk_size=500):
        ticket = step.ticket
        with transaction.atomic():
            if ticket.state in (State.REPLIED, State.CLOSED, State.ANSWERED, State.MERGED):
                step.left_at = ticket.replied_at or ticket.closed_at or now
                step.outcome = StepOutcome.HANDLED
                step.save(update_fields=["left_at", "outcome"])
                closed += 1
            elif ticket.lead_unit_id != step.unit_id:
                step.left_at, step.outcome = now, StepOutcome.WITHDRAWN
                step.save(update_fields=["left_at", "outcome"])
                withdrawn += 1
            elif (ticket.state in HANDLING_STATES and step.due_at and now > step.due_at
                  and not step.overdue_noticed):
                Notice.objects.create(ticket=ticket, unit=step.unit, kind=NoticeKind.OVERDUE, created_at=now,
                                      text=_("The grid ladder step is overdue: handle it or pass it up."))
                step.overdue_noticed = True
                step.save(update_fields=["overdue_noticed"])
                warned += 1
    return {"closed": closed, "withdrawn": withdrawn, "warned": warned}
