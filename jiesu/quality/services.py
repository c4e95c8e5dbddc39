"""Reply quality over the tickets: scan replies, store flags, check a draft reply, reply times per unit.

The lead unit's reply (Assignment.reply_text, replied_at) is what is checked; the
boilerplate check compares a reply with the same unit's other replies of the period.
Reading is scoped like tickets: a supervisor sees the flags on the tickets they may see.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.core.templatetags.jiesu_ui import dt
from jiesu.quality import checks, timing
from jiesu.quality.models import AppealState, ReplyCheck, ReplyFlag
from jiesu.tickets.models import Assignment, AssignmentRole, NoticeKind, Ticket, TicketEvent
from jiesu.workcal.services import current_calendar

READER_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.UNIT_STAFF, Role.GRID_WORKER)  # handlers: their units' replies
RECENT_REPLIES = 200
MAX_DAYS = 366
BATCH = 200                            # replies checked in one transaction of the worker's pass
BATCHES = 25                           # batches in one pass at most (a backlog is worked off pass by pass)
LATE_COMMIT = timedelta(hours=1)       # how late a reply's transaction may commit and still be found
FIRST_LOOKBACK = timedelta(days=1)     # where the first pass begins (`jiesu quality --days N` for older replies)
KEEP_MARKS = timedelta(days=MAX_DAYS + 1)  # marks older than the longest window are deleted (prune_checks)
PRUNE_BATCH = 10_000                   # marks deleted in one statement
PRUNE_BATCHES = 50                     # statements in one pass at most (500,000 marks; Beijing adds ≈ 65,000 a day)


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
                    district_id=a.ticket.district_id, street_id=a.ticket.street_id,
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


def prune_checks(now=None, batch=PRUNE_BATCH, batches=PRUNE_BATCHES):
    """The worker's pruning of the checked marks: deletes those of replies older than KEEP_MARKS (MAX_DAYS and a
    day: no window of the page or of `jiesu quality` reaches them, the worker's pass reads only the last hour's and
    each unit's RECENT_REPLIES latest), `batch` at a time, oldest first (the replied_at index), at most `batches`
    batches a pass. Returns the number deleted."""
    cutoff = (now or timezone.now()) - KEEP_MARKS
    done = 0
    for _round in range(batches):
        pks = list(ReplyCheck.objects.filter(replied_at__lt=cutoff).order_by("replied_at")
                   .values_list("pk", flat=True)[:batch])
        if pks:
            done += ReplyCheck.objects.filter(pk__in=pks).delete()[0]
        if len(pks) < batch:
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
    replaced = ReplyFlag.objects.filter(ticket_id__in=[a.ticket_id for a in rows],
                                        replied_at__in=[a.replied_at for a in rows],
                                        dismissed_at__isnull=True, appeal_state="")  # dismissed, appealed: kept
    first_flagged = {(t, r): c for t, r, c in replaced.values_list("ticket_id", "replied_at", "checked_at")}
    replaced.delete()
    flags = _flags(rows, verdicts, now)
    for flag in flags:  # a reply flagged again keeps the time it was first flagged: its appeal period runs from there
        flag.checked_at = first_flagged.get((flag.ticket_id, flag.replied_at), now)
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
# the flagged unit's staff, or a grid's workers for their grid's reply (申诉); the centre decides (DISMISSERS)
APPELLANTS = (Role.UNIT_STAFF, Role.GRID_WORKER)
APPEAL_FILTERS = ("none", "pending", "overdue", "upheld", "withdrawn")   # overdue: pending past its decision's due
REASON_MAX = 500
APPEAL_DAYS = 5            # working days after the flag within which its unit may appeal (JIESU["APPEAL_DAYS"])
APPEAL_DECISION_DAYS = 5   # working days after the appeal within which the centre decides (JIESU[…DECISION_DAYS])


def appeal_days():
    return getattr(settings, "JIESU", {}).get("APPEAL_DAYS", APPEAL_DAYS)


def decision_days():
    return getattr(settings, "JIESU", {}).get("APPEAL_DECISION_DAYS", APPEAL_DECISION_DAYS)


def appeal_deadline(flag, calendar=None):
    """The last moment `flag`'s unit may appeal it: appeal_days() working days after it was first flagged
    (checked_at; a re-scan keeps it), on the working calendar."""
    return (calendar or current_calendar()).add_working_days(flag.checked_at, appeal_days())


@transaction.atomic
def dismiss_flag(user, pk, reason):
    """A supervisor who may read the ticket takes a flag off the list, saying why (the reply answers after all): the
    flag keeps who, when and why, and the ticket's history records it (event `reply_flag_dismissed`)."""
    from jiesu.tickets.services import record_event

    scoping.require_role(user, *DISMISSERS)
    flag = visible_flags(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if flag is None:
        raise Http404
    reason = _reason(reason, _("Say why the flag is wrong."))
    if flag.dismissed_at:
        raise Conflict(_("This flag was dismissed already."))
    if flag.appeal_state == AppealState.PENDING:
        raise Conflict(_("The unit has appealed this flag: decide the appeal."))
    if flag.appeal_state == AppealState.WITHDRAWN:
        raise Conflict(_("This flag was withdrawn on appeal already."))
    flag.dismissed_at, flag.dismissed_by, flag.dismissal_reason = timezone.now(), user, reason
    flag.save(update_fields=["dismissed_at", "dismissed_by", "dismissal_reason"])
    record_event(flag.ticket, "reply_flag_dismissed", user, flag.ticket.state, flag.ticket.state, reason,
                 reasons=flag.reasons, replied_at=flag.replied_at.isoformat())
    return flag


def _reason(reason, missing=None):
    """The reason of a dismissal, appeal or decision: required, spaces folded, at most REASON_MAX characters."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(missing or _("Give a reason."), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_("At most %(n)s characters.") % {"n": REASON_MAX}, field="reason")
    return reason


def _notify(flag, unit, kind, text, user, now):
    from jiesu.tickets.models import Notice

    if unit is not None:
        Notice.objects.create(ticket=flag.ticket, unit=unit, kind=kind, text=text, created_at=now, created_by=user)


def deciding_units(flag):
    """Where an appeal is announced: the 12345 centre (its city supervisors read its notices) and the ticket's
    district (its supervisors), unless the district is the flagged unit itself."""
    from jiesu.tickets.emergencies import hotline_centre

    units = [hotline_centre(), flag.ticket.district]
    return [u for u in dict.fromkeys(units) if u is not None and u.pk != flag.unit_id]


@transaction.atomic
def appeal_flag(user, pk, reason, now=None):
    """申诉: the flagged unit's staff (a grid's workers, for their grid's reply) contest a flag, saying why, within
    appeal_days() working days of the flag (later: 409 naming `appeal_deadline` and its date). While pending the flag
    counts against no one (unit_flag_counts) and the centre's decision is due decision_days() working days later
    (appeal_due_at); the ticket's history records it (event `reply_flag_appealed`) and the centre and the ticket's
    district get a notice. Once per flag."""
    from jiesu.tickets.services import record_event

    scoping.require_role(user, *APPELLANTS)
    flag = visible_flags(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if flag is None:
        raise Http404
    if flag.unit_id is None or flag.unit_id not in scoping.acting_unit_ids(user):
        raise Forbidden(_("Only the unit whose reply was flagged may appeal."))
    reason = _reason(reason)
    if flag.dismissed_at:
        raise Conflict(_("This flag was dismissed already."))
    if flag.appeal_state:
        raise Conflict(_("This flag was appealed already."))
    now, calendar = now or timezone.now(), current_calendar()
    deadline = appeal_deadline(flag, calendar)
    if now > deadline:
        raise Conflict(_("The appeal period ended on %(date)s (%(days)s working days after the flag).") % {
            "date": dt(deadline), "days": appeal_days()}, field="appeal_deadline")
    flag.appeal_state, flag.appealed_at, flag.appealed_by, flag.appeal_reason = AppealState.PENDING, now, user, reason
    flag.appeal_due_at = calendar.add_working_days(now, decision_days())
    flag.save(update_fields=["appeal_state", "appealed_at", "appealed_by", "appeal_reason", "appeal_due_at"])
    ticket = flag.ticket
    record_event(ticket, "reply_flag_appealed", user, ticket.state, ticket.state, reason, at=now,
                 reasons=flag.reasons, replied_at=flag.replied_at.isoformat())
    text = _("%(unit)s appeals the reply-quality flag on %(number)s: %(why)s") % {
        "unit": flag.unit.name, "number": ticket.number, "why": reason}
    for unit in deciding_units(flag):
        _notify(flag, unit, NoticeKind.APPEAL_MADE, text, user, now)
    return flag


@transaction.atomic
def decide_appeal(user, pk, uphold, reason):
    """The centre's decision on an appeal: a supervisor or administrator who may read the ticket upholds the flag
    (it counts again) or withdraws it (it counts against no one and leaves the open list), with a reason; the ticket's
    history records it (`reply_appeal_upheld` / `reply_appeal_withdrawn`) and the unit gets a notice."""
    from jiesu.tickets.services import record_event

    scoping.require_role(user, *DISMISSERS)
    if not isinstance(uphold, bool):
        raise DomainError(_("Choose: uphold or withdraw the flag."), field="uphold")
    flag = visible_flags(user).select_for_update(of=("self",)).filter(pk=pk).first()
    if flag is None:
        raise Http404
    reason = _reason(reason)
    if flag.appeal_state != AppealState.PENDING:
        raise Conflict(_("This flag has no pending appeal."))
    now = timezone.now()
    flag.appeal_state = AppealState.UPHELD if uphold else AppealState.WITHDRAWN
    flag.appeal_decided_at, flag.appeal_decided_by, flag.appeal_decision = now, user, reason
    flag.save(update_fields=["appeal_state", "appeal_decided_at", "appeal_decided_by", "appeal_decision"])
    ticket = flag.ticket
    record_event(ticket, "reply_appeal_upheld" if uphold else "reply_appeal_withdrawn", user, ticket.state,
                 ticket.state, reason, at=now,
                 reasons=flag.reasons, replied_at=flag.replied_at.isoformat())
    text = (_("Appeal on %(number)s refused, the reply-quality flag stands: %(why)s") if uphold else
            _("Appeal on %(number)s granted, the reply-quality flag is withdrawn: %(why)s")) % {
        "number": ticket.number, "why": reason}
    _notify(flag, flag.unit, NoticeKind.APPEAL_RULED, text, user, now)
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


def with_appeal_times(flags, now=None):
    """`flags` (a page's), each told its appeal_deadline and whether its pending appeal is past its decision's due
    time (appeal_overdue): what the board and the API show."""
    now, calendar = now or timezone.now(), current_calendar()
    for flag in flags:
        flag.appeal_deadline = appeal_deadline(flag, calendar)
        flag.may_still_appeal = not flag.appeal_state and not flag.dismissed_at and now <= flag.appeal_deadline
        flag.appeal_overdue = bool(flag.appeal_state == AppealState.PENDING and flag.appeal_due_at
                                   and flag.appeal_due_at < now)
    return flags


def overdue_appeals(user, now=None):
    """How many pending appeals `user` may read are past their decision's due time (the board's line for the
    supervisors, linking to appeal="overdue")."""
    return flag_list(user, appeal="overdue", now=now).count()


def flag_list(user, show="", appeal="", reason="", now=None):
    """The board's and the API's list: open flags (withdrawn ones left out) or, with show="dismissed", the dismissed
    ones; `appeal` narrows to flags never appealed ("none"), or appealed and pending, pending past the decision's
    due time ("overdue"), upheld or withdrawn."""
    flags = visible_flags(user, dismissed=show == "dismissed")
    if appeal == "overdue":
        flags = flags.filter(appeal_state=AppealState.PENDING, appeal_due_at__lt=now or timezone.now())
    elif appeal in APPEAL_FILTERS:
        flags = flags.filter(appeal_state="" if appeal == "none" else appeal)
    elif show != "dismissed":
        flags = flags.exclude(appeal_state=AppealState.WITHDRAWN)
    if reason in checks.REASONS:
        flags = flags.filter(reasons__icontains=f'"{reason}"')   # JSON text containment: every backend
    return flags


def unit_flag_counts(user, days=30, now=None):
    """{unit id: (flags counted, appeals pending)} of the flags on the lead replies of the last `days` days that
    `user` may read: a flag counts against its unit unless dismissed, withdrawn on appeal or still under appeal (the
    pending ones are said apart until the centre decides)."""
    days = check_days(days)
    now = now or timezone.now()
    qs = visible_flags(user, dismissed=False).filter(replied_at__gte=now - timedelta(days=days), replied_at__lt=now,
                                                     unit__isnull=False)
    rows = (qs.values("unit_id").order_by()
            .annotate(counted=Count("id", filter=Q(appeal_state__in=("", AppealState.UPHELD))),
                      pending=Count("id", filter=Q(appeal_state=AppealState.PENDING))))
    return {r["unit_id"]: (r["counted"], r["pending"]) for r in rows}


def scoped_to_tickets(user, qs, per_row=True):
    """Rows of `qs` (flags or marks: a `unit` and a `ticket`) `user` may read: the unit's own replies for its staff
    (a ticket assigned to the unit is one it may read: no ticket look-up), every row city-wide, else those whose
    ticket the user may read — asked per row (Exists on the ticket's key) when the rows are few next to the tickets
    (the flags: a fifth of the replies), else as the list of the tickets the user may read (the marks: every reply)."""
    if user.role in scoping.HANDLER_ROLES:  # a grid worker's: the grids they work in too
        return qs.filter(unit_id__in=scoping.acting_unit_ids(user))
    if scoping.is_city_wide(user):
        return qs
    if not per_row:
        return qs.filter(ticket__in=scoping.visible_tickets(user, Ticket.objects.all()))
    return qs.filter(Exists(scoping.visible_tickets(user, Ticket.objects.filter(pk=OuterRef("ticket_id")))))


_MARK_TERRITORY = {"district": "district_id", "street": "street_id"}    # Unit.kind → the mark's territory column


def unit_reply_times(user, days=30, now=None):
    """[ReplyTimes] per unit of the lead replies of the last `days` days on tickets `user` may see: summed in SQL
    from the checked marks (ReplyCheck: a reply counts once the worker or `jiesu quality` has checked it). A district's
    or street's supervisor: the replies on the tickets lying in its territory when checked (the mark's district or
    street, by index) and its own units' replies elsewhere."""
    from jiesu.units.models import Unit

    days = check_days(days)
    now = now or timezone.now()
    qs = ReplyCheck.objects.filter(replied_at__gte=now - timedelta(days=days), replied_at__lt=now,
                                   unit__isnull=False, hours__isnull=False)
    field = _MARK_TERRITORY.get(user.unit.kind) if user.unit_id and user.role not in scoping.HANDLER_ROLES \
        and not scoping.is_city_wide(user) else None
    if field:  # a district's or street's: its marks on the (territory, replied_at) index, and its own units' elsewhere
        parts = [qs.filter(**{field: user.unit_id}),
                 qs.filter(unit_id__in=scoping.acting_unit_ids(user)).exclude(**{field: user.unit_id})]
    else:
        parts = [scoped_to_tickets(user, qs, per_row=False)]
    counted = {}
    for part in parts:                      # disjoint parts: each (unit, hours) count added up
        for u, h, n in part.values_list("unit_id", "hours").annotate(n=Count("id")).order_by():
            counted[u, h] = counted.get((u, h), 0) + n
    units = Unit.objects.in_bulk({u for u, _h in counted})
    return timing.summarise_counts((units[u], h, n) for (u, h), n in counted.items())
