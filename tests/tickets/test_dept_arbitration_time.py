"""What docs/lifecycle.md's policy note says of the time a returned ticket spends in arbitration, held true: no
deadline runs while it waits, and a rejected return gives the ticket back with the deadlines it had, a reply
deadline passed meanwhile overdue at once (the next deadline scan takes it)."""
from datetime import timedelta

from django.utils import timezone

from jiesu.tickets import services
from jiesu.tickets.models import Assignment, State, Ticket, current_deadline
from tests.tickets.helpers import new_ticket


def test_a_rejected_return_keeps_the_deadlines_and_the_time_in_arbitration_counts(world):
    w = world
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.dept.pk)
    services.sign(w.dept_staff, ticket)
    services.return_ticket(w.dept_staff, ticket, "不属于本单位职责")
    ticket.refresh_from_db()
    assert ticket.state == State.RETURNED and current_deadline(ticket) is None and ticket.next_check_at is None
    passed = timezone.now() - timedelta(hours=1)  # the reply deadline passes while the return waits
    Ticket.objects.filter(pk=ticket.pk).update(reply_due=passed)
    lead = Assignment.objects.get(ticket=ticket, unit=w.dept)
    services.arbitrate(w.dispatcher, Ticket.objects.get(pk=ticket.pk), False, "属于人社职责，请办理")
    ticket.refresh_from_db()
    assert ticket.state == State.SIGNED and ticket.reply_due == passed
    assert ticket.next_check_at is not None and ticket.next_check_at <= timezone.now()
    again = Assignment.objects.get(pk=lead.pk)
    assert (again.sign_due, again.contact_due) == (lead.sign_due, lead.contact_due)
