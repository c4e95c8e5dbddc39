"""An emergency reaches the dispatchers on duty (docs/dispatch-desk.md, the queue).

Whether a text reads as an emergency is `dispatch.services.emergency_of` (nothing is stored on the ticket). Here:

- `new_emergencies`: the emergencies recorded since the dispatch queue's page was drawn, and those put back in the
  queue since (a return upheld, a take-back, a re-handling the negative list barred, a reopening), for its poll
  (emergency_views.poll): two cursors, over the ticket ids and the event ids, each read as a range of a primary key
  that does not skip a row committed late (core/id_cursor.py);
- `notify_dispatchers`: a Notice to the hotline centre for an emergency that did not come by phone (app, web,
  API, grid report, sensor), written as the ticket is recorded (services.create_ticket): nobody has heard the
  citizen, a dispatcher calls them back now;
- `may_reveal_number`: who may reveal a citizen's number: those of scoping.may_reveal_contact, and a dispatcher
  for such an emergency while it awaits dispatch (to call back), unless the citizen asked for confidentiality, is
  anonymous or reports someone (protects_citizen: a call-taker calls them back). The text stays masked for the
  dispatcher (text_masking asks scoping alone); every reveal is recorded by services.reveal_contact, with its
  basis (reveal_basis).
"""
import bisect
import time
from dataclasses import dataclass

from django.db.models import BooleanField, CharField, ExpressionWrapper
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.categories.models import RequestType
from jiesu.core import id_cursor, scoping
from jiesu.core.params import MAX_ID
from jiesu.core.id_cursor_sql import start_cursor, unread_ranges
from jiesu.core.text_masking import text_for
from jiesu.tickets.models import Channel, Notice, NoticeKind, State, Ticket, TicketEvent
from jiesu.tickets.queries import emergency_lines, import_history_q, is_import_history
from jiesu.units.models import Unit, UnitKind

#: The most new emergencies one poll names (a burst beyond it is counted, not listed).
POLL_NAMED = 5
#: The ids a page's cursor starts among (the newest of each table, id_cursor_sql.start_cursor).
POLL_READ = 500
#: The most ids one poll walks over, as ranges (id_cursor_sql.unread_ranges); only those awaiting dispatch are then
#: read. An import of 100,000 rows is walked in one poll: with 500 a poll, an emergency recorded after it was
#: announced 50 minutes late.
POLL_SPAN = 100_000


def emergency_of(ticket):
    from jiesu.dispatch.services import emergency_of as read

    return read(ticket)


def needs_call_back(ticket, line):
    """An emergency (`line`: 110/119/120/122, "" when none) that did not come by phone: call the citizen back."""
    return bool(line) and ticket.channel != Channel.PHONE


def protects_citizen(ticket):
    """Whether the citizen is kept from all but the hotline's call-takers and callback agents: they asked for
    confidentiality (保密), gave no name (匿名), or report someone (举报, which the dispatch treats as 保密:
    dispatch.services.accusation_of). The stricter of scoping.may_reveal_contact and the dispatch."""
    return ticket.confidential or ticket.anonymous or ticket.request_type == RequestType.REPORT


def call_back_line(user, ticket):
    """The emergency line (110/119/120/122) for which a dispatcher may reveal the number of an emergency awaiting
    dispatch that did not come by phone, to call the citizen back; "" when they may not (a protected citizen is
    called back by a call-taker; an earlier system's backlog, is_import_history, by nobody now: the poll announces
    none)."""
    if not (scoping.has_role(user, Role.DISPATCHER) and ticket.state == State.NEW
            and ticket.channel != Channel.PHONE and not protects_citizen(ticket) and not is_import_history(ticket)):
        return ""
    hint = emergency_of(ticket)
    return hint.number if hint is not None else ""


def may_reveal_to_call_back(user, ticket):
    """A dispatcher may reveal the number of an emergency awaiting dispatch that did not come by phone."""
    return bool(call_back_line(user, ticket))


def reveal_basis(user, ticket):
    """Why `user` may reveal the citizen's name and number, as the reveal's event keeps it: {"basis": "role"}
    (scoping's rule), {"basis": "call_back", "line": "119"} (a dispatcher, to call back an emergency), or None."""
    if scoping.may_reveal_contact(user, ticket):
        return {"basis": "role"}
    line = call_back_line(user, ticket)
    return {"basis": "call_back", "line": line} if line else None


def may_reveal_number(user, ticket):
    """Whether `user` may reveal the citizen's name and number (scoping's rule, or to call back an emergency)."""
    return reveal_basis(user, ticket) is not None


def hotline_centre():
    return Unit.objects.filter(kind=UnitKind.HOTLINE_CENTER, active=True).order_by("id").first()


def notify_dispatchers(ticket):
    """The hotline centre's Notice for a ticket just recorded that reads as an emergency and did not come by
    phone, or None."""
    if ticket.channel == Channel.PHONE:
        return None
    hint = emergency_of(ticket)
    hotline = hotline_centre() if hint else None
    if hotline is None:
        return None
    return Notice.objects.create(ticket=ticket, unit=hotline, kind=NoticeKind.EMERGENCY,
                                 text=emergency_notice_words(ticket, hint), created_at=ticket.created_at,
                                 created_by=ticket.created_by)


def emergency_notice_words(ticket, hint):
    """The words of the hotline's Notice for an emergency (`hint`: emergency_of) that did not come by phone, in the
    active language: written by notify_dispatchers, said again in the reader's by notices.words_for."""
    from jiesu.dispatch.wording import emergency_words

    return _("Reads as an emergency (%(prompt)s) and came by %(channel)s: call the citizen back now.") % {
        "prompt": emergency_words(hint), "channel": ticket.get_channel_display()}


@dataclass
class NewEmergency:
    pk: int
    number: str
    line: str
    title: str        # as the queue shows it to the user: masked unless they may reveal the contact
    call_back: bool
    requeued: bool = False  # back in the queue (it was announced once already when it was recorded)


@dataclass
class Poll:
    cursor: id_cursor.Cursor  # the tickets read: the next poll asks for those above it it does not hold
    count: int        # the new emergencies and those back in the queue
    named: list       # [NewEmergency], those back in the queue then the new ones, the newest first, at most POLL_NAMED
    event_cursor: id_cursor.Cursor | None = None  # the events read, likewise for the queue entries


def visible_rows(user, tickets, now=None):
    """[(id, creation time as text, state, district id, imported history)] of `tickets` that `user` may read, by id."""
    now = now or timezone.now()
    is_history = ExpressionWrapper(import_history_q(now), output_field=BooleanField())
    return (scoping.visible_tickets(user, tickets).annotate(created=Cast("created_at", CharField()), history=is_history)
            .order_by("pk").values_list("pk", "created", "state", "district_id", "history"))


def awaiting(rows, district=None):
    """[(id, creation time as text)] of visible_rows awaiting dispatch in the current queue (imported history left
    out), in `district` when given or in none (a ticket the locator could not place is in no district's queue: on
    a desk split by district, no dispatcher would hear of it)."""
    return [(pk, created) for pk, created, state, in_district, history in rows
            if state == State.NEW and not history and (not district or in_district in (district, None))]


def within(ranges, pk):
    """Whether `pk` is in one of `ranges` ((first, last), …, ascending)."""
    index = bisect.bisect_right(ranges, (pk, MAX_ID)) - 1
    return index >= 0 and ranges[index][0] <= pk <= ranges[index][1]


def read_in(ranges, rows):
    """The `rows` (id first) whose id the poll read (`ranges`): a row committed late into a gap between two of the
    ranges, after they were read, is left for the poll that reads it, which announces it."""
    return [row for row in rows if within(ranges, row[0])]


def waiting_since(user, cursor, district=None, now=None):
    """(the cursor after this poll, the awaiting rows of the tickets recorded above `cursor` and not read before).
    The id range is read for every ticket, those `user` may not read too, so that a gap is a ticket not yet
    committed, not one out of their sight; then the new ones awaiting dispatch that `user` may read."""
    ranges, highest = unread_ranges(Ticket._meta.db_table, cursor, POLL_SPAN)
    moved, ranges = id_cursor.advance_taking(cursor, ranges, now or time.time())  # those it could not hold: later
    if not ranges:  # nothing new: a cursor above the last id (a restored database) is brought back to it
        return id_cursor.within(moved, highest), []
    new = Ticket.objects.filter(pk__range=(ranges[0][0], ranges[-1][1]), state=State.NEW)
    return moved, awaiting(read_in(ranges, visible_rows(user, new)), district)


def puts_back_in_queue(from_state, to_state):
    """Whether an event put a ticket back to 新建 (its intake, from no state, is its first entry, not a return)."""
    return to_state == State.NEW and from_state not in ("", State.NEW)


def queue_entries_since(cursor, now=None):
    """(the event cursor after this poll, {ticket id: its latest event id} of the tickets the events above `cursor`
    not read before put back in the queue): the events' ids walked as ranges (at most POLL_SPAN, whatever their
    kind: filtering on the states first would read the same range again at every poll until one came), then those
    of the ranges that made a ticket 新建 again."""
    ranges, highest = unread_ranges(TicketEvent._meta.db_table, cursor, POLL_SPAN)
    moved, ranges = id_cursor.advance_taking(cursor, ranges, now or time.time())
    if not ranges:
        return id_cursor.within(moved, highest), {}
    rows = (TicketEvent.objects.filter(pk__range=(ranges[0][0], ranges[-1][1]), to_state=State.NEW)
            .exclude(from_state__in=("", State.NEW)).order_by("pk").values_list("pk", "ticket_id", "from_state"))
    return moved, {ticket: pk for pk, ticket, before in read_in(ranges, rows) if puts_back_in_queue(before, State.NEW)}


def requeued_since(user, cursor, district=None, now=None):
    """(the event cursor after this poll, [(id, creation time as text)] of the tickets put back in the queue since,
    that still await dispatch in it, the latest entry first)."""
    moved, entries = queue_entries_since(cursor, now)
    if not entries:
        return moved, []
    rows = awaiting(visible_rows(user, Ticket.objects.filter(pk__in=list(entries))), district)
    return moved, sorted(rows, key=lambda row: entries[row[0]], reverse=True)


def named_emergencies(user, ids, lines, requeued=False):
    """NewEmergency of the tickets `ids` in that order, `lines` their emergency lines."""
    tickets = Ticket.objects.in_bulk(ids)
    return [NewEmergency(pk, tickets[pk].number, lines[pk], text_for(user, tickets[pk], tickets[pk].title),
                         needs_call_back(tickets[pk], lines[pk]), requeued) for pk in ids]


def emergency_ids(rows):
    """{id: line} of the rows ((id, creation time)) that read as an emergency, in the rows' order."""
    lines = emergency_lines(rows)
    return {pk: lines[(pk, created)] for pk, created in rows if lines.get((pk, created))}


def new_emergencies(user, cursor, district=None, event_cursor=None, now=None):
    """The Poll of the tickets recorded above `cursor` (a id_cursor.Cursor) and, when `event_cursor` is given, of
    those put back in the queue by events above it, that await dispatch and read as an emergency, at `now` (epoch
    seconds; by default the clock's). A ticket both new and put back in the same poll is announced once, as new."""
    now = now or time.time()
    cursor, rows = waiting_since(user, cursor, district, now)
    event_cursor, back = (requeued_since(user, event_cursor, district, now) if event_cursor is not None
                          else (None, []))
    new = emergency_ids(rows)
    requeued = {pk: line for pk, line in emergency_ids(back).items() if pk not in new} if back else {}
    if not new and not requeued:
        return Poll(cursor, 0, [], event_cursor)
    named_back = list(requeued)[:POLL_NAMED]
    named_new = sorted(new, reverse=True)[:POLL_NAMED - len(named_back)]
    return Poll(cursor, len(new) + len(requeued),
                named_emergencies(user, named_back, requeued, requeued=True) + named_emergencies(user, named_new, new),
                event_cursor)


def ticket_start_cursor():
    """The ticket cursor a queue page starts from (tickets recorded later are new to it)."""
    return start_cursor(Ticket._meta.db_table, POLL_READ)


def event_start_cursor():
    """The event cursor a queue page starts from (tickets put back in the queue later are announced again)."""
    return start_cursor(TicketEvent._meta.db_table, POLL_READ)
