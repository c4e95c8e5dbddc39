"""The department clerk's work list (承办人, audit of the department's journey): the unit's own next step decides
the order, so that a ticket just dispatched, to be signed for within hours, is not buried behind every older
ticket whose reply falls due before its own (a city department holds thousands)."""
from datetime import timedelta

from django.utils import timezone

from jiesu.tickets import queries, services
from jiesu.tickets.models import Assignment, AssignmentRole, Ticket
from tests.tickets.helpers import new_ticket


def dispatched(w, lead, co=()):
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, lead.pk, [u.pk for u in co])
    return ticket


def due_in(ticket, unit, **deadlines):
    """Set the deadlines of `unit`'s assignment (and the ticket's reply deadline) to now + the given hours."""
    now = timezone.now()
    reply = deadlines.pop("reply", None)
    if reply is not None:
        Ticket.objects.filter(pk=ticket.pk).update(reply_due=now + timedelta(hours=reply))
    Assignment.objects.filter(ticket=ticket, unit=unit, active=True).update(
        **{f"{step}_due": now + timedelta(hours=h) for step, h in deadlines.items()})


def order(user):
    return [a.ticket_id for a in queries.worklist(user, queries.WorkFilters())]


def test_a_ticket_to_sign_for_comes_before_older_tickets_whose_reply_is_due_later_than_its_signature(world):
    w = world
    older = dispatched(w, w.dept)  # signed and contacted days ago: its reply is due tomorrow
    services.sign(w.dept_staff, older)
    services.contact(w.dept_staff, older, "已电话联系")
    due_in(older, w.dept, reply=24)
    co_older = dispatched(w, w.dept2, co=[w.dept])  # the department co-handles it, signed: its report due in 2 days
    services.sign(w.dept_staff, co_older)
    due_in(co_older, w.dept, reply=48)
    fresh = dispatched(w, w.dept)  # just dispatched: to sign for within 2 hours, the reply due in 7 days
    due_in(fresh, w.dept, sign=2, contact=10, reply=24 * 7)
    co_fresh = dispatched(w, w.dept2, co=[w.dept])  # a co assignment to sign for within 3 hours
    due_in(co_fresh, w.dept, sign=3, reply=24 * 6)
    assert order(w.dept_staff) == [fresh.pk, co_fresh.pk, older.pk, co_older.pk]


def test_a_contact_due_before_another_tickets_reply_comes_first_and_a_copy_comes_last(world):
    w = world
    to_reply = dispatched(w, w.street)
    services.sign(w.street_staff, to_reply)
    services.contact(w.street_staff, to_reply, "已联系")
    due_in(to_reply, w.street, reply=30)
    to_contact = dispatched(w, w.street)
    services.sign(w.street_staff, to_contact)
    due_in(to_contact, w.street, contact=5, reply=24 * 7)
    assert order(w.street_staff) == [to_contact.pk, to_reply.pk]
    # the district holds both as a copy (抄送): nothing to do, after its own work
    own = dispatched(w, w.district)
    due_in(own, w.district, sign=1, reply=24 * 8)
    listed = queries.worklist(w.district_staff, queries.WorkFilters())
    assert [(a.ticket_id, a.role) for a in listed][0] == (own.pk, AssignmentRole.LEAD)
    assert {a.role for a in listed[1:]} == {AssignmentRole.COPY}


def test_the_next_step_filter_finds_the_units_own_step_also_where_the_lead_is_further(world, client):
    """待签收 by the unit's own assignment: a co assignment to sign for on a ticket its lead has signed was not found
    under 状态 「已派单」 (the ticket's state), the only filter there was."""
    w = world
    co_to_sign = dispatched(w, w.dept2, co=[w.dept])
    services.sign(w.dept2_staff, co_to_sign)  # the lead signed: the ticket reads 已签收
    to_sign = dispatched(w, w.dept)
    to_contact = dispatched(w, w.dept)
    services.sign(w.dept_staff, to_contact)
    to_reply = dispatched(w, w.dept)
    services.sign(w.dept_staff, to_reply)
    services.contact(w.dept_staff, to_reply, "已联系")
    co_to_report = dispatched(w, w.dept2, co=[w.dept])
    services.sign(w.dept_staff, co_to_report)

    def step(name):
        return {a.ticket_id for a in queries.worklist(w.dept_staff, queries.WorkFilters(step=name))}

    assert step("sign") == {co_to_sign.pk, to_sign.pk}
    assert step("contact") == {to_contact.pk}
    assert step("reply") == {to_reply.pk, co_to_report.pk}
    client.force_login(w.dept_staff)
    page = client.get("/work/", {"step": "sign"})
    assert {a.ticket_id for a in page.context["page"]} == {co_to_sign.pk, to_sign.pk}
    assert 'name="step"' in page.content.decode()
