"""An emergency reaches the dispatchers on duty (jiesu.tickets.emergencies): the queue's poll for new emergencies
(its count and its scoping), the Notice to the hotline for an emergency that did not come by phone, and the
number a dispatcher may reveal to call such an emergency back."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jiesu.tickets import emergencies, services
from jiesu.tickets.models import Notice, NoticeKind, Ticket, TicketEvent
from jiesu.core.id_cursor import Cursor
from tests.tickets.helpers import last_id, new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"
STALL = "东华门大街有人占道经营，堵塞人行道"


def poll(client, user, after, **params):
    client.force_login(user)
    return client.get("/dispatch/emergencies/", {"after": after, **params})


def test_the_poll_names_the_emergencies_recorded_after_the_pages_last_id(world, client):
    before = new_ticket(world, text=GAS)
    after = last_id(Ticket)
    assert after == before.pk
    stall = new_ticket(world, text=STALL)
    gas = new_ticket(world, text=GAS, channel="app")
    found = poll(client, world.dispatcher, after).json()
    assert found["last"] == gas.pk and found["count"] == 1
    assert found["emergencies"] == [{"id": gas.pk, "number": gas.number, "line": "119", "call_back": True,
                                     "requeued": False, "title": gas.title.replace("13912345678", "139****5678"),
                                     "url": f"/tickets/{gas.pk}/"}]
    assert stall.pk < gas.pk
    assert poll(client, world.dispatcher, gas.pk).json() == {
        "last": gas.pk, "held": "", "since": None, "count": 0, "emergencies": [],
        "last_event": last_id(TicketEvent), "held_event": "", "since_event": None}


def test_the_poll_is_one_query_when_nothing_is_new(world):
    new_ticket(world, text=GAS)
    with CaptureQueriesContext(connection) as queries:
        found = emergencies.new_emergencies(world.dispatcher, Cursor(last_id(Ticket)))
    assert (found.count, len(queries)) == (0, 2)  # the last id, then the one query of the poll


def test_the_poll_keeps_to_the_queue_the_district_chosen_and_who_may_ask(world, client):
    after = last_id(Ticket)
    east = new_ticket(world, text=GAS)
    west = new_ticket(world, text=GAS, street_code=world.street_b.code)
    dispatched = new_ticket(world, text=GAS)
    services.dispatch(world.dispatcher, dispatched, world.street.pk)
    history = new_ticket(world, text=GAS)
    due = timezone.now() - timedelta(days=30)
    Ticket.objects.filter(pk=history.pk).update(idempotency_key=f"import:a:{history.pk}", dispatch_due=due)
    assert [e["id"] for e in poll(client, world.dispatcher, after).json()["emergencies"]] == [west.pk, east.pk]
    in_east = poll(client, world.dispatcher, after, district=world.district.pk).json()
    assert (in_east["count"], [e["id"] for e in in_east["emergencies"]]) == (1, [east.pk])
    assert poll(client, world.street_staff, after).status_code == 403
    assert poll(client, world.call_taker, after).status_code == 403


def test_a_burst_is_counted_and_its_newest_named(world):
    after = last_id(Ticket)
    burst = [new_ticket(world, text=GAS) for _ in range(emergencies.POLL_NAMED + 2)]
    found = emergencies.new_emergencies(world.dispatcher, Cursor(after))
    assert found.count == len(burst)
    assert [e.pk for e in found.named] == [t.pk for t in reversed(burst)][:emergencies.POLL_NAMED]


@pytest.mark.parametrize("channel", ["app", "web"])
def test_an_emergency_not_recorded_by_phone_notifies_the_hotline(world, channel):
    gas = new_ticket(world, text=GAS, channel=channel)
    notice = Notice.objects.get(ticket=gas)
    assert (notice.unit, notice.kind, notice.created_at) == (world.hc, NoticeKind.EMERGENCY, gas.created_at)
    assert "119" in notice.text and "回拨" in notice.text


def test_a_phone_emergency_and_an_app_request_that_is_none_notify_nobody(world):
    new_ticket(world, text=GAS, channel="phone")
    new_ticket(world, text=STALL, channel="app")
    assert not Notice.objects.exists()


def test_a_grid_workers_emergency_notifies_the_hotline(world):
    gas = new_ticket(world, text=GAS, channel="patrol")
    assert Notice.objects.filter(ticket=gas, kind=NoticeKind.EMERGENCY, unit=world.hc).count() == 1


def test_a_dispatcher_reveals_the_number_of_an_app_emergency_and_the_reveal_is_logged(world, client):
    gas = new_ticket(world, text=GAS, channel="app")
    client.force_login(world.dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert f'hx-post="/tickets/{gas.pk}/reveal/"' in page  # 「显示号码」 on the call-back marker
    assert "139****5678" in page and "13912345678" not in page  # the words stay masked
    revealed = client.post(f"/tickets/{gas.pk}/reveal/").content.decode()
    assert "13812345678" in revealed and "张三" in revealed
    assert gas.events.filter(kind="contact_revealed", actor=world.dispatcher).count() == 1


@pytest.mark.parametrize("channel, text", [("phone", GAS), ("app", STALL)])
def test_a_dispatcher_may_not_reveal_other_numbers(world, client, channel, text):
    ticket = new_ticket(world, text=text, channel=channel)
    client.force_login(world.dispatcher)
    assert client.post(f"/tickets/{ticket.pk}/reveal/").status_code == 403
    assert not ticket.events.filter(kind="contact_revealed").exists()


def test_once_dispatched_the_dispatcher_may_no_longer_reveal(world):
    gas = new_ticket(world, text=GAS, channel="app")
    assert emergencies.may_reveal_number(world.dispatcher, gas)
    services.dispatch(world.dispatcher, gas, world.street.pk)
    gas.refresh_from_db()
    assert not emergencies.may_reveal_number(world.dispatcher, gas)


def test_the_api_reveals_an_app_emergencys_number_to_a_dispatcher(world, client):
    from tests.tickets.test_api import client_for

    gas = new_ticket(world, text=GAS, channel="app")
    api = client_for(client, world.dispatcher)
    assert api.get(f"/api/v1/tickets/{gas.pk}/contact").json()["phone_stored"] == "13812345678"
    assert gas.events.filter(kind="contact_revealed", actor=world.dispatcher).count() == 1


def test_a_poll_walks_at_most_poll_span_tickets_and_goes_on_from_there(world, monkeypatch):
    monkeypatch.setattr(emergencies, "POLL_SPAN", 2)
    new_ticket(world, text=STALL)  # on PostgreSQL, the ids of the tests before (rolled back) leave a gap below it
    after = last_id(Ticket)
    stalls = [new_ticket(world, text=STALL) for _ in range(2)]
    gas = new_ticket(world, text=GAS)
    first = emergencies.new_emergencies(world.dispatcher, Cursor(after))
    assert (first.cursor.after, first.count) == (stalls[-1].pk, 0)
    second = emergencies.new_emergencies(world.dispatcher, first.cursor)
    assert (second.cursor.after, [e.pk for e in second.named]) == (gas.pk, [gas.pk])


def test_a_poll_without_its_last_id_starts_from_the_last_ticket(world, client):
    new_ticket(world, text=GAS)
    client.force_login(world.dispatcher)
    assert client.get("/dispatch/emergencies/").json()["count"] == 0
