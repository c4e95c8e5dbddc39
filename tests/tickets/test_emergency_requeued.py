"""An emergency put back in the dispatch queue (a return upheld, a reopening) is announced again by the queue's poll
(jiesu.tickets.emergencies: the second cursor, on the event id), once per entry."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.tickets import emergencies, services
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.core.id_cursor import Cursor
from tests.tickets.helpers import last_id, new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"
STALL = "东华门大街有人占道经营，堵塞人行道"


def dispatched(world, text=GAS, street=None, **kw):
    ticket = new_ticket(world, text=text, **kw)
    services.dispatch(world.dispatcher, ticket, (street or world.street).pk)
    return ticket


def returned_and_upheld(world, ticket, staff=None):
    """The unit returns the ticket and the dispatcher upholds the return without naming another unit: 新建 again."""
    services.return_ticket(staff or world.street_staff, ticket, "不属于本街道职责")
    return services.arbitrate(world.dispatcher, ticket, True, "退回热线重新派单")


def cursors():
    return Cursor(last_id(Ticket)), Cursor(last_id(TicketEvent))


def poll(world, after, district=None):
    return emergencies.new_emergencies(world.dispatcher, after[0], district, event_cursor=after[1])


def poll_view(client, user, after, **params):
    client.force_login(user)
    return client.get("/dispatch/emergencies/", {"after": after[0].after, "after_event": after[1].after, **params})


def test_an_emergency_whose_return_is_upheld_is_announced_again_marked_back_in_the_queue(world, client):
    gas = dispatched(world)
    after = cursors()
    returned_and_upheld(world, gas)
    found = poll_view(client, world.dispatcher, after).json()
    assert found["last"] == after[0].after and found["last_event"] == last_id(TicketEvent) > after[1].after
    assert found["count"] == 1
    assert found["emergencies"] == [{"id": gas.pk, "number": gas.number, "line": "119", "call_back": False,
                                     "requeued": True, "title": gas.title.replace("13912345678", "139****5678"),
                                     "url": f"/tickets/{gas.pk}/"}]


def test_the_same_entry_is_not_announced_twice_and_a_second_entry_is(world):
    gas = dispatched(world)
    after = cursors()
    returned_and_upheld(world, gas)
    first = poll(world, after)
    assert [e.pk for e in first.named] == [gas.pk]
    assert poll(world, (first.cursor, first.event_cursor)).count == 0  # read once
    services.dispatch(world.dispatcher, gas, world.street.pk)
    again = returned_and_upheld(world, gas)
    assert again.state == "new"
    second = poll(world, (first.cursor, first.event_cursor))
    assert (second.count, [e.requeued for e in second.named]) == (1, [True])


def test_a_ticket_put_back_that_reads_as_no_emergency_is_not_announced(world):
    stall = dispatched(world, text=STALL)
    after = cursors()
    returned_and_upheld(world, stall)
    found = poll(world, after)
    assert found.count == 0 and found.event_cursor.after > after[1].after


def test_one_dispatched_again_before_the_poll_is_not_announced(world):
    gas = dispatched(world)
    after = cursors()
    returned_and_upheld(world, gas)
    services.dispatch(world.dispatcher, gas, world.street.pk)
    assert poll(world, after).count == 0  # no longer awaits dispatch: nothing to announce


def test_a_ticket_new_and_put_back_in_the_same_poll_is_announced_once_as_new(world):
    after = cursors()
    gas = dispatched(world)
    returned_and_upheld(world, gas)
    found = poll(world, after)
    assert found.count == 1
    assert [(e.pk, e.requeued) for e in found.named] == [(gas.pk, False)]


def test_the_intake_of_a_new_ticket_is_not_a_return_to_the_queue(world):
    after = cursors()
    gas = new_ticket(world, text=GAS, channel="app")
    found = poll(world, after)
    assert [(e.pk, e.requeued) for e in found.named] == [(gas.pk, False)]
    moved, back = emergencies.requeued_since(world.dispatcher, after[1])
    assert (moved.after, moved.held, back) == (found.event_cursor.after, found.event_cursor.held, [])


def test_a_reopened_emergency_is_announced_in_its_district_only(world):
    east = dispatched(world)
    west = dispatched(world, street=world.street_b, street_code=world.street_b.code)
    after = cursors()
    returned_and_upheld(world, east)
    returned_and_upheld(world, west, staff=world.street_b_staff)
    both = poll(world, after)
    assert [e.pk for e in both.named] == [west.pk, east.pk]  # the latest entry first
    in_east = poll(world, after, district=world.district.pk)
    assert (in_east.count, [e.pk for e in in_east.named]) == (1, [east.pk])


def test_the_poll_is_two_queries_when_nothing_is_new(world):
    gas = dispatched(world)
    returned_and_upheld(world, gas)
    after = cursors()
    with CaptureQueriesContext(connection) as queries:
        found = poll(world, after)
    assert (found.count, found.event_cursor, len(queries)) == (0, after[1], 2)  # the tickets' range, the events'


def test_a_poll_walks_at_most_poll_span_events_and_goes_on_from_there(world, monkeypatch):
    gas = dispatched(world)
    after = cursors()
    returned_and_upheld(world, gas)
    returned, upheld = TicketEvent.objects.filter(pk__gt=after[1].after).order_by("pk").values_list("pk", "to_state")
    assert (returned[1], upheld[1]) == ("returned", "new")
    monkeypatch.setattr(emergencies, "POLL_SPAN", 1)
    first = poll(world, after)
    assert (first.count, first.event_cursor.after) == (0, returned[0])
    second = poll(world, (first.cursor, first.event_cursor))
    assert (second.count, second.event_cursor.after) == (1, upheld[0])


def test_the_view_starts_from_the_last_event_without_a_cursor(world, client):
    gas = dispatched(world)
    returned_and_upheld(world, gas)
    client.force_login(world.dispatcher)
    found = client.get("/dispatch/emergencies/").json()
    assert (found["count"], found["last_event"]) == (0, last_id(TicketEvent))


def test_the_queue_page_gives_both_cursors(world, client):
    new_ticket(world, text=GAS)
    client.force_login(world.dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert f'data-after="{last_id(Ticket)}" data-held="" data-since=""' in page
    assert f'data-after-event="{last_id(TicketEvent)}" data-held-event="" data-since-event=""' in page
