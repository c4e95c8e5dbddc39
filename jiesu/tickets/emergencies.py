"""An emergency reaches the dispatchers on duty (docs/dispatch-desk.md, the queue).

Whether a text reads as an emergency is `dispatch.services.emergency_of` (nothing is stored on the ticket). Here:

- `new_emergencies`: the emergencies recorded since the dispatch queue's page was drawn, for its poll
  (emergency_views.poll): one query on the tickets awaiting dispatch newer than the page's last id;
- `notify_dispatchers`: a Notice to the hotline centre for an emergency that did not come by phone (app, web,
  API, grid report, sensor), written as the ticket is recorded (services.create_ticket): nobody has heard the
  citizen, a dispatcher calls them back now;
- `may_reveal_number`: who may reveal a citizen's number: those of scoping.may_reveal_contact, and a dispatcher
  for such an emergency while it awaits dispatch (to call back). The text stays masked for the dispatcher
  (text_masking asks scoping alone); every reveal is recorded by services.reveal_contact.
"""
from dataclasses import dataclass

from django.db.models import BooleanField, CharField, ExpressionWrapper
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.text_masking import text_for
from jiesu.tickets.models import Channel, Notice, NoticeKind, State, Ticket
from jiesu.tickets.queries import emergency_lines, import_history_q
from jiesu.units.models import Unit, UnitKind

#: The most new emergencies one poll names (a burst beyond it is counted, not listed).
POLL_NAMED = 5
#: The most tickets one poll reads (an import's thousands of rows are read over the polls that follow).
POLL_READ = 500


def emergency_of(ticket):
    from jiesu.dispatch.services import emergency_of as read

    return read(ticket)


def needs_call_back(ticket, line):
    """An emergency (`line`: 110/119/120/122, "" when none) that did not come by phone: call the citizen back."""
    return bool(line) and ticket.channel != Channel.PHONE


def may_reveal_to_call_back(user, ticket):
    """A dispatcher may reveal the number of an emergency awaiting dispatch that did not come by phone."""
    return (scoping.has_role(user, Role.DISPATCHER) and ticket.state == State.NEW
            and ticket.channel != Channel.PHONE and emergency_of(ticket) is not None)


def may_reveal_number(user, ticket):
    """Whether `user` may reveal the citizen's name and number (scoping's rule, or to call back an emergency)."""
    return scoping.may_reveal_contact(user, ticket) or may_reveal_to_call_back(user, ticket)


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
    from jiesu.dispatch.wording import emergency_words

    text = _("Reads as an emergency (%(prompt)s) and came by %(channel)s: call the citizen back now.") % {
        "prompt": emergency_words(hint), "channel": ticket.get_channel_display()}
    return Notice.objects.create(ticket=ticket, unit=hotline, kind=NoticeKind.EMERGENCY, text=text,
                                 created_at=ticket.created_at, created_by=ticket.created_by)


@dataclass
class NewEmergency:
    pk: int
    number: str
    line: str
    title: str        # as the queue shows it to the user: masked unless they may reveal the contact
    call_back: bool


@dataclass
class Poll:
    last: int         # the highest id read: the next poll asks for tickets above it
    count: int        # the new emergencies
    named: list       # [NewEmergency], the newest first, at most POLL_NAMED


def recorded_since(user, after, now=None):
    """[(id, creation time as text, state, district id, imported history)] of the tickets `user` may read with an id
    above `after`, the oldest first, at most POLL_READ: the poll's one query. It reads the id range of the primary
    key, not the tickets awaiting dispatch (the queue's index): a poll finds few or none, whatever the queue holds."""
    now = now or timezone.now()
    is_history = ExpressionWrapper(import_history_q(now), output_field=BooleanField())
    recorded = scoping.visible_tickets(user, Ticket.objects.filter(pk__gt=after))
    return list(recorded.annotate(created=Cast("created_at", CharField()), history=is_history).order_by("pk")
                .values_list("pk", "created", "state", "district_id", "history")[:POLL_READ])


def waiting_since(user, after, district=None):
    """(the last id read, [(id, creation time as text)] of those awaiting dispatch in the current queue (imported
    history left out), in `district` when given)."""
    rows = recorded_since(user, after)
    last = rows[-1][0] if rows else after
    return last, [(pk, created) for pk, created, state, in_district, history in rows
                  if state == State.NEW and not history and (not district or in_district == district)]


def new_emergencies(user, after, district=None):
    """The Poll of the tickets recorded after id `after` that await dispatch and read as an emergency."""
    last, rows = waiting_since(user, after, district)
    if not rows:
        return Poll(last, 0, [])
    lines = {pk: line for (pk, _created), line in emergency_lines(rows).items() if line}
    tickets = Ticket.objects.filter(pk__in=sorted(lines)[-POLL_NAMED:]).order_by("-pk")
    return Poll(last, len(lines), [NewEmergency(t.pk, t.number, lines[t.pk], text_for(user, t, t.title),
                                                needs_call_back(t, lines[t.pk])) for t in tickets])


def last_ticket_id():
    """The id a queue page starts polling after (tickets recorded later are new to it)."""
    return Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
