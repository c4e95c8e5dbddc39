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

from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.text_masking import text_for
from jiesu.tickets.models import Channel, Notice, NoticeKind, State, Ticket
from jiesu.tickets.queries import HISTORY_OVERDUE, IMPORT_KEY_PREFIX, emergency_lines
from jiesu.units.models import Unit, UnitKind

#: The most new emergencies one poll names (a burst beyond it is counted, not listed).
POLL_NAMED = 5


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


def waiting_since(user, after, district=None, now=None):
    """[(id, creation time as text)] of the tickets `user` may read that await dispatch with an id above `after`,
    in the current queue (imported history left out), in `district` when given: the poll's one query."""
    now = now or timezone.now()
    waiting = (Ticket.objects.filter(state=State.NEW, pk__gt=after)
               .exclude(idempotency_key__startswith=IMPORT_KEY_PREFIX, dispatch_due__lt=now - HISTORY_OVERDUE))
    if district:
        waiting = waiting.filter(district_id=district)
    waiting = scoping.visible_tickets(user, waiting)
    return list(waiting.annotate(created=Cast("created_at", CharField())).order_by("pk").values_list("pk", "created"))


def new_emergencies(user, after, district=None):
    """The Poll of the tickets recorded after id `after` that await dispatch and read as an emergency."""
    rows = waiting_since(user, after, district)
    if not rows:
        return Poll(after, 0, [])
    lines = {pk: line for (pk, _created), line in emergency_lines(rows).items() if line}
    tickets = Ticket.objects.filter(pk__in=sorted(lines)[-POLL_NAMED:]).order_by("-pk")
    return Poll(rows[-1][0], len(lines), [NewEmergency(t.pk, t.number, lines[t.pk], text_for(user, t, t.title),
                                                       needs_call_back(t, lines[t.pk])) for t in tickets])


def last_ticket_id():
    """The id a queue page starts polling after (tickets recorded later are new to it)."""
    return Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
