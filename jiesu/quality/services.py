"""Reply quality over the tickets: scan replies, store flags, check a draft reply, reply times per unit.

The lead unit's reply (Assignment.reply_text, replied_at) is what is checked; the
boilerplate check compares a reply with the same unit's other replies of the period.
Reading is scoped like tickets: a supervisor sees the flags on the tickets they may see.
"""
from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import Conflict, DomainError
from jiesu.quality import checks, timing
from jiesu.quality.models import ReplyCheck, ReplyFlag
from jiesu.tickets.models import Assignment, AssignmentRole, Ticket, TicketEvent
from jiesu.workcal.services import current_calendar

READER_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.UNIT_STAFF)  # unit staff: their own unit's replies only
RECENT_REPLIES = 200
MAX_DAYS = 366
BATCH = 200                            # replies checked in one transaction of the worker's pass
BATCHES = 25                           # batches in one pass at most (a backlog is worked off pass by pass)
LATE_COMMIT = timedelta(hours=1)       # how late a reply's transaction may commit and still be found
FIRST_LOOKBACK = timedelta(days=1)     # where the first pass begins (`jiesu quality --days N` for older replies)


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


def _flags(rows, verdicts, now):
    """The ReplyFlags of the flagged verdicts on `rows` (Assignments by pk; same_as names a row's ticket)."""
    by_pk = {a.pk: a for a in rows}
    flags = []
    for v in verdicts:
        if not v.flagged:
            continue
        a = by_pk[v.id]
        same = by_pk[v.same_as].ticket_id if v.same_as else None
        flags.append(ReplyFlag(ticket_id=a.ticket_id, unit_id=a.unit_id, replied_at=a.replied_at, reasons=v.reasons,
                               relevance=v.relevance, same_as_id=same, checked_at=now))
    return flags


def mark_checked(rows, now):
    """The checked marks of lead replies (Assignments), with their working hours from dispatch to reply (what the
    page's reply times sum); a reply marked already is left as it is."""
    calendar = current_calendar()
    ReplyCheck.objects.bulk_create(
        [ReplyCheck(assignment_id=a.pk, ticket_id=a.ticket_id, unit_id=a.unit_id, replied_at=a.replied_at,
                    hours=timing.shown_hours(calendar, a.dispatched_at, a.replied_at), checked_at=now)
         for a in rows], ignore_conflicts=True, batch_size=1000)


def unchecked_replies(now, limit):
    """Lead replies not yet checked, oldest first, at most `limit`: those of the tickets with a reply event since
    LATE_COMMIT before the newest reply checked (a reply committed late, whose reply time is older than one checked
    already, is still found: the window looks back that far, and the marks say which were read)."""
    newest = ReplyCheck.objects.filter(replied_at__lte=now).aggregate(m=Max("replied_at"))["m"]
    since = newest - LATE_COMMIT if newest else now - FIRST_LOOKBACK
    tickets = (TicketEvent.objects.filter(kind="reply", at__gte=since, at__lte=now)
               .order_by("at", "id").values_list("ticket_id", flat=True))
    checked = ReplyCheck.objects.filter(assignment=OuterRef("pk"), replied_at=OuterRef("replied_at"))
    found, seen = [], set()
    ids = list(dict.fromkeys(tickets))
    for lo in range(0, len(ids), 1000):
        chunk = [pk for pk in ids[lo:lo + 1000] if pk not in seen]
        seen.update(chunk)
        found += (lead_replies(since, now + LATE_COMMIT).filter(ticket_id__in=chunk)
                  .exclude(Exists(checked)))
        if len(found) >= limit:
            break
    found.sort(key=lambda a: (a.replied_at, a.pk))
    return found[:limit]


def earlier_replies(unit_ids, exclude):
    """The latest RECENT_REPLIES checked lead replies of each unit (what a new reply's boilerplate is compared with,
    as the hint compares a draft), read through the marks' (unit, replied_at) index."""
    pks = []
    for unit_id in unit_ids:
        pks += (ReplyCheck.objects.filter(unit_id=unit_id).exclude(assignment_id__in=exclude)
                .order_by("-replied_at").values_list("assignment_id", flat=True)[:RECENT_REPLIES])
    rows = Assignment.objects.filter(pk__in=pks).exclude(reply_text="").select_related("ticket").in_bulk()
    return [rows[pk] for pk in pks if pk in rows]          # newest first, unit by unit


def check_new(now=None, batch=BATCH, batches=BATCHES):
    """The worker's pass: check the lead replies not yet checked, `batch` at a time (each its own transaction), at
    most `batches` batches; each against its unit's earlier replies. Flags and marks are stored once (a re-run, or
    two workers at once, adds none twice). Returns the number of replies checked."""
    now = now or timezone.now()
    done = 0
    for _round in range(batches):
        with transaction.atomic():
            rows = unchecked_replies(now, batch)
            if not rows:
                break
            new = {a.pk for a in rows}
            context = earlier_replies({a.unit_id for a in rows if a.unit_id}, new)
            replies = [checks.Reply(a.pk, request_text(a.ticket.title, a.ticket.text), a.reply_text, a.unit_id)
                       for a in rows + context]
            verdicts = checks.check_all(replies, only=new)
            ReplyFlag.objects.bulk_create(_flags(rows + context, verdicts, now), ignore_conflicts=True)
            mark_checked(rows, now)
            done += len(rows)
        if len(rows) < batch:
            break
    return done


@transaction.atomic
def scan(days=30, now=None):
    """Check the replies of the last `days` days; (replies checked, flags stored). Re-running replaces the
    flags of the replies it looks at (the result may change as more replies arrive)."""
    days = check_days(days)
    now = now or timezone.now()
    rows = list(lead_replies(now - timedelta(days=days), now))
    replies = [checks.Reply(a.pk, request_text(a.ticket.title, a.ticket.text), a.reply_text, a.unit_id)
               for a in rows]
    verdicts = checks.check_all(replies)
    ReplyFlag.objects.filter(ticket_id__in=[a.ticket_id for a in rows], replied_at__in=[a.replied_at for a in rows],
                             dismissed_at__isnull=True).delete()       # a dismissed flag stays dismissed
    flags = _flags(rows, verdicts, now)
    ReplyFlag.objects.bulk_create(flags, ignore_conflicts=True)
    mark_checked(rows, now)
    return len(rows), len(flags)


def check_draft(user, ticket, text):
    """The verdict on a reply being written for `ticket` by `user`'s unit (for the hint on the reply form)."""
    scoping.require_view(user, ticket)
    if ReplyCheck.objects.filter(unit_id=user.unit_id).exists():   # the marks' index (the worker checks the replies)
        others = [a for a in earlier_replies([user.unit_id], ()) if a.ticket_id != ticket.pk]
    else:  # the lead assignments have no index on the reply time: every reply of the unit is read and sorted
        others = (Assignment.objects.filter(unit_id=user.unit_id, role=AssignmentRole.LEAD)
                  .exclude(reply_text="").exclude(ticket=ticket).select_related("ticket")
                  .order_by("-replied_at")[:RECENT_REPLIES])
    rows = [(a.ticket_id, request_text(a.ticket.title, a.ticket.text), a.reply_text) for a in others]
    return checks.check_one(request_text(ticket.title, ticket.text), text or "", rows)


DISMISSERS = (Role.SUPERVISOR, Role.ADMIN)   # not the unit that replied: it may not clear its own flag
REASON_MAX = 500


@transaction.atomic
def dismiss_flag(user, pk, reason):
    """A supervisor who may read the ticket takes a flag off the list, saying why (the reply answers after all): the
    flag keeps who, when and why, and the ticket's history records it (event `reply_flag_dismissed`)."""
    from jiesu.tickets.services import record_event

    scoping.require_role(user, *DISMISSERS)
    flag = visible_flags(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if flag is None:
        raise Http404
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(_("Say why the flag is wrong."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("At most %(n)s characters.") % {"n": REASON_MAX}, field="reason")
    if flag.dismissed_at:
        raise Conflict(_("This flag was dismissed already."))
    flag.dismissed_at, flag.dismissed_by, flag.dismissal_reason = timezone.now(), user, reason
    flag.save(update_fields=["dismissed_at", "dismissed_by", "dismissal_reason"])
    record_event(flag.ticket, "reply_flag_dismissed", user, flag.ticket.state, flag.ticket.state, reason,
                 reasons=flag.reasons, replied_at=flag.replied_at.isoformat())
    return flag


# ── reading ─────────────────────────────────────────────────────────────────

def require_reader(user):
    scoping.require_role(user, *READER_ROLES)


def visible_flags(user, dismissed=None):
    """The flags `user` may read; open ones only with dismissed=False, dismissed ones only with True."""
    qs = ReplyFlag.objects.select_related("ticket", "unit", "same_as", "dismissed_by")
    if dismissed is not None:
        qs = qs.filter(dismissed_at__isnull=not dismissed)
    if not scoping.has_role(user, *READER_ROLES):
        return qs.none()
    return scoped_to_tickets(user, qs)


def scoped_to_tickets(user, qs, per_row=True):
    """Rows of `qs` (flags or marks: a `unit` and a `ticket`) `user` may read: the unit's own replies for its staff
    (a ticket assigned to the unit is one it may read: no ticket look-up), every row city-wide, else those whose
    ticket the user may read — asked per row (Exists on the ticket's key) when the rows are few next to the tickets
    (the flags: a fifth of the replies), else as the list of the tickets the user may read (the marks: every reply)."""
    if user.role == Role.UNIT_STAFF:
        return qs.filter(unit_id=user.unit_id)
    if scoping.is_city_wide(user):
        return qs
    if not per_row:
        return qs.filter(ticket__in=scoping.visible_tickets(user, Ticket.objects.all()))
    return qs.filter(Exists(scoping.visible_tickets(user, Ticket.objects.filter(pk=OuterRef("ticket_id")))))


def unit_reply_times(user, days=30, now=None):
    """[ReplyTimes] per unit of the lead replies of the last `days` days on tickets `user` may see: summed in SQL
    from the checked marks (ReplyCheck: a reply counts once the worker or `jiesu quality` has checked it)."""
    from jiesu.units.models import Unit

    days = check_days(days)
    now = now or timezone.now()
    qs = ReplyCheck.objects.filter(replied_at__gte=now - timedelta(days=days), replied_at__lt=now,
                                   unit__isnull=False, hours__isnull=False)
    qs = scoped_to_tickets(user, qs, per_row=False)
    rows = list(qs.values_list("unit_id", "hours").annotate(n=Count("id")).order_by())
    units = Unit.objects.in_bulk({u for u, _h, _n in rows})
    return timing.summarise_counts((units[u], h, n) for u, h, n in rows)
