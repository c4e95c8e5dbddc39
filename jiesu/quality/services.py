"""Reply quality over the tickets: scan replies, store flags, check a draft reply, reply times per unit.

The lead unit's reply (Assignment.reply_text, replied_at) is what is checked; the
boilerplate check compares a reply with the same unit's other replies of the period.
Reading is scoped like tickets: a supervisor sees the flags on the tickets they may see.
"""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import DomainError
from jiesu.quality import checks, timing
from jiesu.quality.models import ReplyFlag
from jiesu.tickets.models import Assignment, AssignmentRole, Ticket
from jiesu.workcal.services import current_calendar

READER_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.UNIT_STAFF)  # unit staff: their own unit's replies only
RECENT_REPLIES = 200
MAX_DAYS = 366


def reason_labels(codes):
    from django.utils.translation import gettext

    labels = {"off_topic": gettext("Reply shares almost no words with the request"),
              "boilerplate": gettext("Same reply as to another request"),
              "no_result": gettext("No result: says neither what was done nor what the rules are")}
    return [labels.get(c, c) for c in codes]


def request_text(title, text):
    return text if text.startswith(title) else f"{title} {text}"


def lead_replies(start, end):
    """Lead assignments replied in [start, end), with the ticket's request."""
    return (Assignment.objects.filter(role=AssignmentRole.LEAD, replied_at__gte=start, replied_at__lt=end)
            .exclude(reply_text="").select_related("ticket", "unit").order_by("replied_at", "id"))


def check_days(days):
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number of days."), field="days") from None
    if not 1 <= days <= MAX_DAYS:
        raise DomainError(_("The window must be 1 to %(max)s days.") % {"max": MAX_DAYS}, field="days")
    return days


@transaction.atomic
def scan(days=30, now=None):
    """Check the replies of the last `days` days; (replies checked, flags stored). Re-running replaces the
    flags of the replies it looks at (the result may change as more replies arrive)."""
    days = check_days(days)
    now = now or timezone.now()
    rows = list(lead_replies(now - timedelta(days=days), now))
    replies = [checks.Reply(a.pk, request_text(a.ticket.title, a.ticket.text), a.reply_text, a.unit_id)
               for a in rows]
    verdicts = {v.id: v for v in checks.check_all(replies)}
    by_pk = {a.pk: a for a in rows}
    ReplyFlag.objects.filter(ticket_id__in=[a.ticket_id for a in rows],
                             replied_at__in=[a.replied_at for a in rows]).delete()
    flags = []
    for pk, v in verdicts.items():
        if not v.flagged:
            continue
        a = by_pk[pk]
        same = by_pk[v.same_as].ticket_id if v.same_as else None
        flags.append(ReplyFlag(ticket_id=a.ticket_id, unit_id=a.unit_id, replied_at=a.replied_at, reasons=v.reasons,
                               relevance=v.relevance, same_as_id=same, checked_at=now))
    ReplyFlag.objects.bulk_create(flags, ignore_conflicts=True)
    return len(rows), len(flags)


def check_draft(user, ticket, text):
    """The verdict on a reply being written for `ticket` by `user`'s unit (for the hint on the reply form)."""
    scoping.require_view(user, ticket)
    others = (Assignment.objects.filter(unit_id=user.unit_id, role=AssignmentRole.LEAD)
              .exclude(reply_text="").exclude(ticket=ticket).select_related("ticket")
              .order_by("-replied_at")[:RECENT_REPLIES])
    rows = [(a.ticket_id, request_text(a.ticket.title, a.ticket.text), a.reply_text) for a in others]
    return checks.check_one(request_text(ticket.title, ticket.text), text or "", rows)


# ── reading ─────────────────────────────────────────────────────────────────

def require_reader(user):
    scoping.require_role(user, *READER_ROLES)


def visible_flags(user):
    qs = ReplyFlag.objects.select_related("ticket", "unit", "same_as")
    if not scoping.has_role(user, *READER_ROLES):
        return qs.none()
    if user.role == Role.UNIT_STAFF:  # what the unit itself replied (on tickets it may read)
        qs = qs.filter(unit_id=user.unit_id)
    elif scoping.is_city_wide(user):
        return qs
    return qs.filter(ticket__in=scoping.visible_tickets(user, Ticket.objects.all()))


def unit_reply_times(user, days=30, now=None):
    """[ReplyTimes] per unit of the lead replies of the last `days` days on tickets `user` may see."""
    days = check_days(days)
    now = now or timezone.now()
    qs = lead_replies(now - timedelta(days=days), now).filter(
        ticket__in=scoping.visible_tickets(user, Ticket.objects.all()))
    if user.role == Role.UNIT_STAFF:
        qs = qs.filter(unit_id=user.unit_id)
    rows = [(a.unit, a.dispatched_at, a.replied_at) for a in qs]
    return timing.summarise(current_calendar(), rows)
