"""Read-only queries behind the pages (queues, work list, search). Nothing here changes a row.

Every list is scoped through jiesu.core.scoping and joins what its page shows
(select_related), so a page is a handful of queries however many tickets there are.
"""
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from datetime import datetime, time, timedelta
from time import monotonic

from django.core.paginator import Paginator
from django.db.models import (
    BooleanField, Case, CharField, Count, DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, Value, When,
)
from django.db.models.functions import Cast, Coalesce, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from jiesu.core import scoping
from jiesu.tickets.models import (  # noqa: F401  (IMPORT_KEY_PREFIX: read from here by other apps)
    IMPORT_KEY_PREFIX, OPEN_STATES, Assignment, AssignmentRole, AssignmentState, ExtensionRequest, RequestState,
    ReturnRequest, State, Ticket, TicketEvent,
)
from jiesu.units.models import Unit

HANDLING = (State.DISPATCHED, State.SIGNED, State.CONTACTED)
LIST_RELATED = ("category", "district", "street", "lead_unit")


def ticket_by_number(text):
    """The id a user means by "20261122-0000123", "123" or a query code; None if nothing fits. A number whose
    date part is not its ticket's (a typo: 20261121-0000123) fits nothing: it would name another ticket."""
    text = (text or "").strip()
    if not text:
        return None
    pk = Ticket.id_from_number(text)
    if pk is not None and "-" in text:
        ticket = Ticket.objects.filter(pk=pk).only("created_at").first()
        return pk if ticket is not None and ticket.number == f"{text.rsplit('-', 1)[0]}-{pk:07d}" else None
    if pk is not None:
        return pk
    return Ticket.objects.filter(query_code=text.upper()).values_list("pk", flat=True).first()


def tickets_by_number(text):
    """Ids of the tickets a number box means: the ticket by its number or query code (ticket_by_number), and
    those imported under this external id, from any source (「BJ12345-00010」, an LA SRNumber, an NYC Unique Key)."""
    pk = ticket_by_number(text)
    return ([pk] if pk is not None else []) + [found for found in imported_ticket_ids(text) if found != pk]


def imported_ticket_ids(external_id):
    """Ids of tickets imported as `external_id`: the exact idempotency keys import:<source>:<id> of every source
    imported from, looked up on the keys' unique index."""
    external_id = (external_id or "").strip()
    if not external_id:
        return []
    keys = [f"{IMPORT_KEY_PREFIX}{source}:{external_id}" for source in import_sources()]
    return list(Ticket.objects.filter(idempotency_key__in=keys).values_list("pk", flat=True))


IMPORT_SOURCES_REREAD = 600  # seconds: how long the sources read in full serve before they are read in full again
_sources_memo = None  # (the newest ticket's (id, created_at) when read, the sources, monotonic time of the full read)


def import_sources():
    """The sources tickets were imported from (csv, la311, nyc311…), sorted. Reading them all scans every import
    key (43 ms CPU over 88,030): that is done every IMPORT_SOURCES_REREAD seconds, or when the newest ticket read is
    gone (a database rolled back or replaced); in between only the tickets added since are read (the ids above it:
    two small queries on the primary key). The full read also catches an import's ids committed out of order."""
    global _sources_memo
    newest = Ticket.objects.order_by("-pk").values_list("pk", "created_at").first()
    if newest is None:
        return []
    memo = _sources_memo
    if (memo is None or monotonic() - memo[2] > IMPORT_SOURCES_REREAD
            or not Ticket.objects.filter(pk=memo[0][0], created_at=memo[0][1]).exists()):
        memo = (newest, sources_among(Ticket.objects.filter(pk__lte=newest[0])), monotonic())
    elif newest != memo[0]:
        added = Ticket.objects.filter(pk__gt=memo[0][0], pk__lte=newest[0])
        memo = (newest, memo[1] | sources_among(added), memo[2])
    _sources_memo = memo
    return sorted(memo[1])


def sources_among(tickets):
    """The distinct sources of the imported ones among `tickets`: the middles of their keys import:<source>:<id>."""
    rest = Substr("idempotency_key", len(IMPORT_KEY_PREFIX) + 1)
    source = Substr(rest, 1, StrIndex(rest, Value(":")) - 1)
    return frozenset(tickets.filter(idempotency_key__startswith=IMPORT_KEY_PREFIX).order_by()
                     .annotate(source=source).values_list("source", flat=True).distinct())


CHILD_TEXTS_SHOWN = 20  # a mass incident merges hundreds: the first ones' words, the rest by number


def ticket_for_page(pk):
    return (Ticket.objects.select_related("category", "category__parent", "category__parent__parent", "district",
                                          "street", "community", "grid", "lead_unit", "parent", "created_by")
            .filter(pk=pk).first())


def ticket_page_parts(ticket):
    """Everything the ticket page lists besides the ticket itself, and the auto-dispatch that sent it to its unit."""
    parts = {
        "assignments": list(ticket.assignments.select_related("unit").order_by("-active", "round", "id")),
        "events": list(ticket.events.select_related("actor", "actor_unit").order_by("at", "id")),
        "attachments": list(ticket.attachments.all()),
        "callbacks": list(ticket.callbacks.select_related("agent").order_by("at")),
        "returns": list(ticket.returns.select_related("unit", "suggested_unit", "created_by").order_by("created_at")),
        "extensions": list(ticket.extensions.select_related("assignment__unit", "created_by").order_by("created_at")),
        "children": list(ticket.merged_children.only("id", "created_at", "title", "state", "parent").order_by("id")),
        "children_texts": list(ticket.merged_children.only(  # and what text_masking.text_for reads
            "id", "created_at", "title", "text", "parent", "state", "citizen_name", "citizen_user", "confidential",
            "anonymous", "lead_unit").order_by("id")[:CHILD_TEXTS_SHOWN]),
    }
    parts["auto_dispatch"] = auto_dispatch_event(parts["events"])
    unplaced = not (ticket.district_id or ticket.street_id)
    parts["no_place"] = intake_no_place(parts["events"]) if unplaced else ""
    parts["no_place_note"] = unplaced_note(parts["events"]) if unplaced and not parts["no_place"] else ""
    parts["import_origin"] = import_origin(ticket)
    return parts


def intake_no_place(events):
    """Why the intake found no place for a ticket recorded live (its intake event's "no_place", the locator's reason
    parts), in the reader's language; "" when it found one or did not say (an import says it its own way)."""
    from jiesu.dispatch.wording import word

    stored = intake_payload(events).get("no_place")
    return word(stored_parts(stored)) if isinstance(stored, list) else ""


def intake_payload(events):
    """The intake event's payload ({} without one: a bulk writer's ticket)."""
    intake = next((event for event in events if event.kind == "intake"), None)
    return (intake.payload or {}) if intake is not None else {}


#: The 位置 line of a ticket recorded live without a place whose intake event keeps no reason (no_place is kept
#: since 2026-12-07).
NO_REASON_KEPT = gettext_noop("Not located at intake; no reason was kept (tickets recorded before 2026-12-07 kept "
                              "none)")


def unplaced_note(events):
    """The 位置 line's words for a ticket without a place whose intake event gives no locator reason: an imported
    ticket's reason from the import (importer.messages.missing_place), else that intake kept none. From the events
    the page loads anyway: no query more."""
    from jiesu.importer.messages import missing_place

    payload = intake_payload(events)
    if "import" in payload:
        return missing_place(payload.get("no_place", ""))
    return _(NO_REASON_KEPT)


def chosen_not_taken_words(decided):
    """「选定的位置（景山街道）未采用：坐标（WGS-84）落在东华门街道……」 when intake's point overrode the place chosen
    (tickets.services.note_chosen_not_taken), else None. The API's place_note and the ticket's history."""
    from jiesu.dispatch.wording import word

    if not (decided or {}).get("chosen_not_taken"):
        return None
    return _("The place chosen (%(chosen)s) is not taken: %(reason)s.") % {
        "chosen": decided["chosen_not_taken"], "reason": word(stored_parts(decided["reason"]))}


def stored_parts(value):
    """Reason parts (wording.word) as JSON keeps them, lists for tuples, as parts again: a pair [key, args] whose
    args are null, an object or a list of parts is a part; anything else is as it is (a name, a number)."""
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and (value[1] is None or isinstance(value[1], (dict, list)))):
        return value
    key, args = value
    if isinstance(args, dict):
        return key, {name: stored_parts(item) for name, item in args.items()}
    if isinstance(args, list):
        return key, [stored_parts(item) for item in args]
    return key, None


def import_origin(ticket):
    """(source, external id) of an imported ticket, from its key import:<source>:<external id>; None otherwise."""
    key = ticket.idempotency_key or ""
    if not key.startswith(IMPORT_KEY_PREFIX):
        return None
    source, _sep, external_id = key[len(IMPORT_KEY_PREFIX):].partition(":")
    return source, external_id


def auto_dispatch_event(events):
    """The auto-dispatch event (payload "auto") that sent the ticket to the unit handling it now, or None: the last
    event that set the lead unit was a person's dispatch or an upheld return (re-dispatched or sent back to the
    queue), or there was none. The ticket page's head says 系统自动派单 by it."""
    for event in reversed(events):
        if event.kind == "dispatch":
            return event if isinstance((event.payload or {}).get("auto"), dict) else None
        if event.kind == "arbitrate" and (event.payload or {}).get("upheld"):
            return None
    return None


# ── the dispatch queue ──────────────────────────────────────────────────────

HISTORY_OVERDUE = timedelta(days=7)  # an imported ticket this far past its dispatch time is history, not today's
QUEUE_VIEWS = ("current", "emergency", "history")
QUEUE_ORDERS = ("due", "oldest", "place")
QUEUE_RELATED = ("category", "category__parent", "district", "street", "community")


@dataclass
class QueueFilters:
    view: str = "current"     # current: all but imported history; emergency: emergencies only; history
    order: str = "due"        # due: nearest its dispatch time first; oldest: received first; place: district, street
    district: int | None = None


@dataclass(slots=True)
class Waiting:
    """What the queue counts and pins a waiting ticket by, read without its text."""

    pk: int
    district_id: int | None
    history: bool
    emergency: str            # the line (110/119/120/122) its text reads as an emergency for, else ""


class DispatchQueue:
    """The tickets of one view of the queue, in order, as a sequence Paginator slices: only a page's tickets are
    read in full. `emergencies` maps the ids of every emergency awaiting dispatch (imported history left out) to
    its line, `counts` the views' sizes (within the district chosen), `districts` the view's districts with their
    counts, for the filter."""

    def __init__(self, ordered, emergencies, counts, districts):
        self.ids = [w.pk for w in ordered]
        self.emergencies, self.counts, self.districts = emergencies, counts, districts

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, index):
        ids = self.ids[index] if isinstance(index, slice) else [self.ids[index]]
        found = Ticket.objects.select_related(*QUEUE_RELATED).in_bulk(ids)
        tickets = [found[pk] for pk in ids if pk in found]
        for ticket in tickets:
            ticket.emergency = self.emergencies.get(ticket.pk, "")
        return tickets if isinstance(index, slice) else tickets[0]

    def __iter__(self):
        return iter(self[:])


def dispatch_queue(filters=None, now=None):
    """Tickets awaiting dispatch: those whose text reads as an emergency first, then in the order chosen; imported
    history (an imported ticket more than HISTORY_OVERDUE past its dispatch time) only in its own view, so that
    years-old rows do not bury today's calls."""
    filters, now = filters or QueueFilters(), now or timezone.now()
    waiting = waiting_tickets(now, filters.order)
    emergencies = {w.pk: w.emergency for w in waiting if w.emergency}
    in_view = [w for w in waiting if in_queue_view(w, filters.view)]
    districts = district_counts(in_view)
    if filters.district:
        waiting = [w for w in waiting if w.district_id == filters.district]
        in_view = [w for w in in_view if w.district_id == filters.district]
    counts = {view: sum(1 for w in waiting if in_queue_view(w, view)) for view in QUEUE_VIEWS}
    in_view.sort(key=lambda w: not w.emergency)  # stable: the emergencies keep the order among themselves
    return DispatchQueue(in_view, emergencies, counts, districts)


def import_history_q(now, prefix=""):
    """Imported tickets more than HISTORY_OVERDUE past their dispatch time at `now`: an earlier system's backlog,
    listed apart in the dispatch queue and the units' work lists (`prefix` "ticket__" from an assignment)."""
    return Q(**{f"{prefix}idempotency_key__startswith": IMPORT_KEY_PREFIX,
                f"{prefix}dispatch_due__lt": now - HISTORY_OVERDUE})


def not_import_history_q(now, prefix=""):
    """The tickets import_history_q leaves: dispatched since its cut, without a dispatch time, or not imported. Written
    as these three, not as NOT (history): each is a range or a partial index of the tickets being handled
    (ticket_handling_due, ticket_handling_live), so that today's few are found without reading the history."""
    return (Q(**{f"{prefix}dispatch_due__gte": now - HISTORY_OVERDUE}) | Q(**{f"{prefix}dispatch_due__isnull": True})
            | ~Q(**{f"{prefix}idempotency_key__startswith": IMPORT_KEY_PREFIX}))


def is_import_history(ticket, now=None):
    """import_history_q for one ticket in hand (its rule, in Python: keep the two alike)."""
    return ((ticket.idempotency_key or "").startswith(IMPORT_KEY_PREFIX) and ticket.dispatch_due is not None
            and ticket.dispatch_due < (now or timezone.now()) - HISTORY_OVERDUE)


def in_queue_view(waiting, view):
    if view == "history":
        return waiting.history
    if view == "emergency":
        return bool(waiting.emergency)
    return not waiting.history


def queue_order_by(order):
    """ORDER BY of an order (emergencies are pinned afterwards); the id last, so that a page is always the same."""
    due = F("dispatch_due").asc(nulls_last=True)
    if order == "oldest":
        return ("created_at", "id")
    if order == "place":
        return (F("district__code").asc(nulls_last=True), F("street__code").asc(nulls_last=True), due, "id")
    return (due, "created_at", "id")


def district_counts(waiting):
    """[(district, tickets waiting)] of the districts these tickets are in, in the districts' order."""
    counts = Counter(w.district_id for w in waiting if w.district_id)
    return [(unit, counts[unit.pk]) for unit in Unit.objects.filter(pk__in=counts).only("name", "code")]


_emergency_memo = {}  # (ticket id, its creation time as text) → its emergency line or "": a text is read once
EMERGENCY_BATCH = 900  # texts read per query when many are new (SQLite's older limit of 999 parameters)


def waiting_tickets(now, order="due"):
    """Every ticket awaiting dispatch as a Waiting, in the order's ORDER BY. Its emergency line comes from the memo:
    a text not seen before is read and checked (duplicates.emergency_hint, ~0.2 ms); imported history is not checked.
    The creation time is read as text, a key only: parsing thousands of datetimes costs more than the query."""
    global _emergency_memo
    is_history = ExpressionWrapper(import_history_q(now), output_field=BooleanField())
    rows = list(Ticket.objects.filter(state=State.NEW)
                .annotate(history=is_history, created=Cast("created_at", CharField()))
                .order_by(*queue_order_by(order))
                .values_list("pk", "created", "district_id", "history"))
    memo = {(pk, created): _emergency_memo.get((pk, created))
            for pk, created, _district, history in rows if not history}
    memo.update(emergency_lines([key for key, line in memo.items() if line is None]))
    _emergency_memo = memo
    return [Waiting(pk, district, bool(history), memo.get((pk, created)) or "")
            for pk, created, district, history in rows]


def emergency_lines(keys):
    """{(ticket id, creation time): its emergency line or ""} for tickets whose text has not been checked yet."""
    from jiesu.dispatch.services import emergency_of

    created = dict(keys)
    lines = {}
    for start in range(0, len(keys), EMERGENCY_BATCH):
        batch = [pk for pk, _created in keys[start:start + EMERGENCY_BATCH]]
        for ticket in Ticket.objects.filter(pk__in=batch).only("pk", "title", "text"):
            hint = emergency_of(ticket)
            lines[(ticket.pk, created[ticket.pk])] = hint.number if hint else ""
    return lines


def pending_returns():
    return (ReturnRequest.objects.filter(state=RequestState.PENDING, ticket__state=State.RETURNED)
            .select_related("ticket", "ticket__category", "ticket__street", "unit", "suggested_unit", "created_by")
            .order_by("created_at", "id"))


def pending_extensions(user=None):
    qs = (ExtensionRequest.objects.filter(state=RequestState.PENDING, ticket__state__in=HANDLING)
          .select_related("ticket", "ticket__category", "assignment__unit", "created_by")
          .order_by("created_at", "id"))
    if user is not None:
        qs = qs.filter(ticket__in=scoping.visible_tickets(user))
    return qs


def callback_queue():
    """Replied and directly answered tickets, the longest waiting first. A merged duplicate its parent's own
    caller sent is left out: that person is called back once, on the parent (services.same_caller_children); and
    an anonymous request, which nobody can call back (its reply closes it: services._close_without_callback)."""
    same_caller_child = Q(parent__isnull=False, parent__citizen_phone=F("citizen_phone")) & ~Q(citizen_phone="")
    return (Ticket.objects.filter(state__in=(State.REPLIED, State.ANSWERED), anonymous=False)
            .exclude(same_caller_child)
            .select_related("category", "street", "lead_unit")
            .order_by("replied_at", "id"))


# ── the work list ───────────────────────────────────────────────────────────

@dataclass
class WorkFilters:
    state: str = ""        # a ticket state, "" = still being handled
    role: str = ""         # lead / co / copy
    overdue: bool = False
    q: str = ""
    view: str = "current"  # current: all but imported history (import_history_q); history: that history only
    step: str = ""         # the unit's own next step (WORK_STEPS): sign, contact or reply; "" = any


WORK_VIEWS = ("current", "history")
WORK_STEPS = ("sign", "contact", "reply")


#: The unit's own next step on its assignment, by the assignment's role and state, while its ticket is being handled
#: (HANDLING): (step, role, assignment states, the deadline's fields, the first one set). The one rule behind the
#: work list's 下一步 filter and order (next_step_q, next_step_due_expression, in SQL) and the row's deadline
#: (next_step_due, in Python): a co unit finds its 签收 by its own assignment on a ticket whose lead has signed (the
#: ticket reads 已签收); a copy has no step.
NEXT_STEPS = (
    ("sign", AssignmentRole.LEAD, (AssignmentState.PENDING,), ("sign_due",)),
    ("sign", AssignmentRole.CO, (AssignmentState.PENDING,), ("sign_due",)),
    ("contact", AssignmentRole.LEAD, (AssignmentState.SIGNED,), ("contact_due",)),
    ("reply", AssignmentRole.LEAD, (AssignmentState.CONTACTED,), ("ticket__reply_due", "reply_due")),
    ("reply", AssignmentRole.CO, (AssignmentState.SIGNED, AssignmentState.CONTACTED),
     ("ticket__reply_due", "reply_due")),
)


def next_step_q(step):
    """The assignments whose next step (NEXT_STEPS) is `step`."""
    cases = Q()
    for name, role, states, _due in NEXT_STEPS:
        if name == step:
            cases |= Q(role=role, state__in=states)
    return cases & Q(ticket__state__in=HANDLING)


WORK_STATES = (State.DISPATCHED, State.SIGNED, State.CONTACTED, State.RETURNED, State.REPLIED, State.CLOSED)
#: An active assignment's states before its ticket closes (closing sets them to done): the work list asks for these,
#: so that a unit's years of done assignments (345,000 of a district's at 1 M tickets) are not read to be dropped
UNDONE = tuple(s for s in AssignmentState.values if s not in (AssignmentState.DONE, AssignmentState.WITHDRAWN))


def overdue_q(now, prefix=""):
    """Assignments whose current step is past its deadline."""
    return (Q(**{f"{prefix}state": AssignmentState.PENDING, f"{prefix}sign_due__lt": now})
            | Q(**{f"{prefix}state": AssignmentState.SIGNED, f"{prefix}contact_due__lt": now})
            | Q(**{f"{prefix}state__in": (AssignmentState.PENDING, AssignmentState.SIGNED,
                                          AssignmentState.CONTACTED),
                   f"{prefix}ticket__reply_due__lt": now, f"{prefix}ticket__state__in": HANDLING}))


def worklist(user, filters: WorkFilters, now=None):
    """The user's unit's active assignments of the view chosen; for supervisors, the lead assignments they oversee."""
    now = now or timezone.now()
    qs = work_assignments(user, filters, now)
    if filters.view == "history":
        qs = qs.filter(import_history_q(now, "ticket__"))
    else:
        qs = qs.filter(not_import_history_q(now, "ticket__"))
    return qs.order_by(next_step_due_expression().asc(nulls_last=True), "ticket__reply_due", "dispatched_at", "id")


def next_step_due_expression():
    """next_step_due's deadline in SQL: the work list's order. The unit's own next step decides (签收 within hours,
    联系 within a day, then the reply), so that a ticket just dispatched is not listed behind every older ticket
    whose reply falls due before it (a department's thousands); a copy, or a step done, comes last."""
    return Case(
        *(When(Q(role=role, state__in=states, ticket__state__in=HANDLING), then=due_expression(due))
          for _step, role, states, due in NEXT_STEPS),
        default=None, output_field=DateTimeField())


def due_expression(fields):
    """The first of these deadline fields that is set, in SQL."""
    return F(fields[0]) if len(fields) == 1 else Coalesce(*(F(field) for field in fields))


def worklist_counts(user, filters: WorkFilters, now=None, narrow=None):
    """{view: assignments} of the work list's views under the same filters, in one query; `narrow` (a queryset's
    further filter, as the work list page's street, category and deadline window) applies before counting."""
    now = now or timezone.now()
    history = import_history_q(now, "ticket__")
    assignments = work_assignments(user, filters, now)
    counts = (narrow(assignments) if narrow else assignments).order_by().aggregate(
        all=Count("id"), history=Count("id", filter=history))
    return {"current": counts["all"] - counts["history"], "history": counts["history"]}


def work_assignments(user, filters: WorkFilters, now):
    """The work list's assignments under the filters, both views."""
    # active IN (true), not active = true: SQLite's planner takes a bare boolean column (how Django writes the latter)
    # for no index key, and reads every assignment the unit ever had by (unit_id) alone
    qs = (Assignment.objects.filter(active__in=(True,))
          .select_related("unit", "ticket", "ticket__category", "ticket__street", "ticket__district"))
    if user.role in scoping.HANDLER_ROLES and not user.is_superuser:
        if not user.unit_id:
            return qs.none()
        qs = qs.filter(unit_id=user.unit_id)
    else:
        qs = qs.filter(role=AssignmentRole.LEAD)
        if not scoping.is_city_wide(user):
            qs = qs.filter(ticket__in=scoping.visible_tickets(user))
    if filters.state in WORK_STATES:
        qs = qs.filter(ticket__state=filters.state)
    else:
        qs = qs.filter(ticket__state__in=HANDLING + (State.RETURNED,))
    if filters.state != State.CLOSED:  # only a closed ticket's are done: the (unit, active, state) index skips them
        qs = qs.filter(state__in=UNDONE)
    if filters.role in AssignmentRole.values:
        qs = qs.filter(role=filters.role)
    if filters.step in WORK_STEPS:
        qs = qs.filter(next_step_q(filters.step))
    if filters.overdue:
        qs = qs.filter(overdue_q(now))
    if filters.q:
        numbered = tickets_by_number(filters.q)  # its number, query code or old system's number (~1 ms)
        text = Q(ticket__title__icontains=filters.q) | Q(ticket__text__icontains=filters.q) \
            | Q(ticket__address__icontains=filters.q)
        qs = qs.filter(text | Q(ticket_id__in=numbered)) if numbered else qs.filter(text)
    return qs


def next_step_due(assignment):
    """(due, start, step) of what the unit must do next on this assignment (NEXT_STEPS)."""
    if assignment.ticket.state in HANDLING:
        for step, role, states, due in NEXT_STEPS:
            if assignment.role == role and assignment.state in states:
                return first_set(assignment, due), assignment.dispatched_at, step
    return None, None, ""


def first_set(assignment, fields):
    """due_expression in Python: the first of these fields ("ticket__reply_due": the ticket's) that is not None."""
    values = (getattr(assignment.ticket, field.removeprefix("ticket__")) if field.startswith("ticket__")
              else getattr(assignment, field) for field in fields)
    return next((value for value in values if value is not None), None)


def unit_notices(user, limit=8):
    """The work list's notices: the newest `limit` unread ones of open tickets, read as the notices page reads them
    (the units the user acts for, the tickets they may open), and how many unread ones that page lists."""
    from jiesu.tickets.notices import notices_for

    if not user.unit_id:
        return [], 0
    unread = notices_for(user, unread_only=True)
    return list(unread.unread.filter(ticket__state__in=OPEN_STATES).select_related("created_by")[:limit]), unread.count()


# ── search ──────────────────────────────────────────────────────────────────

COUNT_CAP = 10_000  # rows a list counts at most; past it the page says 「10,000+」


class CappedPaginator(Paginator):
    """A Paginator that counts at most COUNT_CAP rows and one more (SELECT COUNT(*) FROM (SELECT id … LIMIT 10001)):
    at 1 M tickets the COUNT(*) of every ticket a street or a department may read took 3–4 s of the search page's
    3.7 s, the page itself 0.2 s. Past the cap `capped` is true, the page says 「共10,000+件」 and pages up to it
    (a filter finds what lies beyond)."""

    cap = COUNT_CAP

    @cached_property
    def count(self):
        counted = getattr(self.object_list, "counted", None)  # search's rows in a form cheaper to count, if any
        rows = self.object_list if counted is None else counted
        return rows.order_by().values("pk")[:self.cap + 1].count()

    @property
    def capped(self):
        return self.count > self.cap

    @property
    def cap_label(self):
        return f"{self.cap:,}"

@dataclass
class SearchFilters:
    number: str = ""
    q: str = ""
    state: str = ""
    district: int | None = None
    street: int | None = None
    category: str = ""
    date_from: object = None
    date_to: object = None
    negative_override: bool = False  # only tickets dispatched despite the negative list (负面清单), for audit
    auto_dispatched: bool = False    # only tickets the system auto-dispatched (自动派单), to check the rules' work
    auto_category: str = ""          # only tickets auto-dispatched under this category or below, as logged then


def auto_dispatch_rows():
    """The suggestion log's rows of auto-dispatches (source auto: the system dispatched the ticket by a rule)."""
    from jiesu.dispatch.models import DispatchSuggestion, SuggestionSource

    return DispatchSuggestion.objects.filter(source=SuggestionSource.AUTO)


def code_under(field, code):
    """Q: the category code in `field` is `code` or one below it (01.01 holds 01.01.01)."""
    return Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def search(user, f: SearchFilters):
    """Visible tickets matching the filters, newest first (index-friendly: state, district/street + created_at), each
    marked `auto_dispatched` when the system auto-dispatched it (the list's badge). `counted`: the same tickets as
    CappedPaginator counts them cheaper (scoping.counted_as_set), or None."""
    counted = scoping.counted_as_set(user, Ticket.objects.all())
    auto = Exists(auto_dispatch_rows().filter(ticket=OuterRef("pk")))  # the rows' badge: asked of the page's rows only
    qs = (matching(scoping.visible_tickets(user), f).select_related(*LIST_RELATED).annotate(auto_dispatched=auto)
          .order_by("-created_at", "-id"))
    qs.counted = matching(counted, f) if counted is not None else None
    return qs


def matching(qs, f: SearchFilters):
    """The tickets of `qs` that match the search's filters."""
    if f.number:
        qs = qs.filter(pk__in=tickets_by_number(f.number))
    if f.state in State.values:
        qs = qs.filter(state=f.state)
    if f.district:
        qs = qs.filter(district_id=f.district)
    if f.street:
        qs = qs.filter(street_id=f.street)
    if f.category:
        qs = qs.filter(code_under("category__code", f.category))
    if f.date_from:
        qs = qs.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        from datetime import timedelta

        qs = qs.filter(created_at__lt=_day_start(f.date_to + timedelta(days=1)))
    for word in f.q.split():
        qs = qs.filter(Q(title__icontains=word) | Q(text__icontains=word) | Q(address__icontains=word))
    if f.negative_override:
        qs = qs.filter(Exists(TicketEvent.objects.filter(ticket=OuterRef("pk"), kind__in=("dispatch", "arbitrate"),
                                                         payload__has_key="negative_override")))
    if f.auto_dispatched:  # the log's (source, at) index lists them: a few among millions of tickets
        qs = qs.filter(pk__in=auto_dispatch_rows().values("ticket_id"))
    if f.auto_category:  # a rule's tickets: by the category its auto-dispatch logged, whatever they are filed under now
        qs = qs.filter(pk__in=auto_dispatch_rows().filter(code_under("category__code", f.auto_category))
                       .values("ticket_id"))
    return qs


def my_tickets(user):
    return Ticket.objects.filter(citizen_user=user).select_related("category").order_by("-created_at", "-id")


def public_progress(code):
    """The ticket with this query code, for the public tracking page (caller shows nothing personal)."""
    code = (code or "").strip().upper()
    if not code:
        return None
    return Ticket.objects.select_related("category", "district", "street", "parent").filter(query_code=code).first()
