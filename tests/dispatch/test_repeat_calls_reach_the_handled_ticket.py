"""A same caller's repeat calls reach the ticket a unit is handling (audit 11, finding 15): the repeat box names that
ticket once, a call closed as a repeat is filed against it (through merges and earlier repeats), and the ticket
counts the calls and tells its unit."""
from django.urls import reverse

from jiesu.dispatch import duplicates
from jiesu.dispatch.duplicates import Draft
from jiesu.tickets import services
from jiesu.tickets.models import Notice, NoticeKind, State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_duplicates_db import fresh_index  # noqa: F401  (autouse: every check reads the latest rows)

PHONE = "13811110001"
LAMP = "东华门大街88号门口的路灯不亮，晚上很黑"
LAMP_AGAIN = "东华门大街88号门口路灯还是不亮，晚上很黑"


def repeats_of(w, text=LAMP_AGAIN):
    return duplicates.same_caller(w.call_taker, Draft(text=text, phone=PHONE, street_code=w.street.code),
                                  duplicates.place_of_draft(Draft(text="", street_code=w.street.code)))


def call(w, then=""):
    """The caller calls again: recorded, then closed as a repeat of `then` (an id) or left as a new request."""
    ticket = new_ticket(w, text=LAMP_AGAIN, citizen_phone=PHONE)
    said = duplicates.after_intake(w.call_taker, ticket, then=f"repeat:{then}" if then else "")
    ticket.refresh_from_db()
    return ticket, said


def test_the_repeat_chain_ends_at_the_ticket_being_handled(world):
    handled = new_ticket(world, text=LAMP, citizen_phone=PHONE)
    services.dispatch(world.dispatcher, handled, world.street.pk)
    second, said = call(world)  # recorded as new: flagged as the same caller's repeat, awaiting dispatch
    assert second.state == State.NEW and handled.number in said[0][1]

    box = repeats_of(world)
    assert [r.ticket.pk for r in box] == [handled.pk] and [c.pk for c in box[0].calls] == [second.pk]

    third, said = call(world, then=handled.pk)
    assert third.state == State.CLOSED and third.special_class == "repeat" and said[0][0] == "success"
    assert handled.number in third.events.get(kind="close_special").note
    handled.refresh_from_db()
    assert handled.repeat_calls == 1
    event = handled.events.get(kind="repeat_call")
    assert event.payload == {"repeat": third.pk, "repeat_number": third.number, "calls": 2}
    notice = Notice.objects.get(ticket=handled, kind=NoticeKind.REMIND)
    assert notice.unit_id == world.street.pk and third.number in notice.text and "再次来电" in notice.text

    # a form rendered before (naming the pending repeat) files the call with the handled ticket too
    fourth, _said = call(world, then=second.pk)
    assert handled.number in fourth.events.get(kind="close_special").note
    box = repeats_of(world)
    assert [r.ticket.pk for r in box] == [handled.pk]
    assert [c.pk for c in box[0].calls] == [fourth.pk, third.pk, second.pk]  # newest first
    handled.refresh_from_db()
    assert handled.repeat_calls == 2 and handled.state == State.DISPATCHED


def test_the_second_call_is_filed_when_the_dispatcher_closes_it_as_a_repeat(world):
    handled = new_ticket(world, text=LAMP, citizen_phone=PHONE)
    services.dispatch(world.dispatcher, handled, world.street.pk)
    second, _said = call(world)
    services.close_special(world.dispatcher, second, "repeat", duplicates.repeat_note(handled.number))
    handled.refresh_from_db()
    assert handled.repeat_calls == 1 and handled.events.get(kind="repeat_call").payload["repeat"] == second.pk
    # another class closes no repeat: nothing is filed
    other, _said = call(world)
    services.close_special(world.dispatcher, other, "market")
    handled.refresh_from_db()
    assert handled.repeat_calls == 1


def test_a_repeat_filed_against_a_pending_repeat_or_a_merged_ticket_leads_to_the_handled_one(world):
    """Calls closed before this change against the pending repeat, and a repeat merged since, still lead to the
    ticket being handled."""
    handled = new_ticket(world, text=LAMP, citizen_phone=PHONE)
    services.dispatch(world.dispatcher, handled, world.street.pk)
    second, _said = call(world)
    old = new_ticket(world, text=LAMP_AGAIN, citizen_phone=PHONE)  # as audit 11 saw: filed against `second`
    services.record_event(old, duplicates.PROPOSED, world.call_taker, old.state, old.state, parent=second.pk,
                          parent_number=second.number, reason="repeat")
    Ticket.objects.filter(pk=old.pk).update(state=State.CLOSED, special_class="repeat", close_reason="special")
    assert duplicates.handling_tickets([Ticket.objects.get(pk=old.pk)])[old.pk].pk == handled.pk
    services.merge(world.dispatcher, second, handled)
    found = duplicates.handling_tickets(list(Ticket.objects.filter(pk__in=[old.pk, second.pk])))
    assert {pk: t.pk for pk, t in found.items()} == {old.pk: handled.pk, second.pk: handled.pk}


def test_a_pending_repeat_of_a_finished_ticket_is_its_own(world):
    """The earlier ticket closed, the second call awaiting dispatch is the live request: the box names it."""
    first = new_ticket(world, text=LAMP, citizen_phone=PHONE)
    services.close_special(world.call_taker, first, "market")
    second, _said = call(world)
    box = repeats_of(world)
    assert [r.ticket.pk for r in box] == [second.pk, first.pk]


def test_the_unit_reads_the_repeat_calls_on_the_ticket_and_in_its_work_list(world, client):
    handled = new_ticket(world, text=LAMP, citizen_phone=PHONE)
    services.dispatch(world.dispatcher, handled, world.street.pk)
    for _n in range(2):
        call(world, then=handled.pk)
    client.force_login(world.street_staff)
    page = client.get(reverse("ticket_detail", args=[handled.pk])).content.decode()
    assert 'data-repeat-calls="3"' in page and "来电 3 次" in page
    assert page.count("同一来电人再次来电") >= 2  # the timeline's two events
    work = client.get(reverse("worklist")).content.decode()
    assert "来电 3 次" in work
