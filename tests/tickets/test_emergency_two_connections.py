"""The emergency poll against a real late commit (audit of 2026-12-07): on PostgreSQL a second connection (a thread)
writes an emergency, or puts one back in the queue, in a transaction it keeps open while later rows are committed
and polled, then commits; the poll announces it then, once. SQLite writes one transaction at a time, so a late
commit cannot happen there: the rows are taken out and put back (as tests/tickets/helpers.not_yet_committed), the
order in which a poll would see them."""
import pytest
from django.db import connection

from jiesu.core.id_cursor import Cursor
from jiesu.tickets import emergencies, services
from jiesu.tickets.models import Ticket, TicketEvent
from tests.tickets.helpers import last_id, new_ticket
from tests.tickets.test_emergency_poll_audit import backlog
from tests.threads import in_open_transaction

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
FIRE = "3号楼着火了，有人被困"
NOW = 1_800_000_000.0


def written_late(make):
    """(what `make()` returned, the ids it wrote of tickets and events, a call that commits them): on PostgreSQL
    `make()` runs in a second connection whose transaction stays open until the call."""
    if connection.vendor != "postgresql":
        before = (last_id(Ticket), last_id(TicketEvent))
        made = make()
        tickets = list(Ticket.objects.filter(pk__gt=before[0]))
        events = list(TicketEvent.objects.filter(pk__gt=before[1]))
        TicketEvent.objects.filter(pk__in=[e.pk for e in events]).delete()
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).delete()

        def commit():
            Ticket.objects.bulk_create(tickets)
            TicketEvent.objects.bulk_create(events)
        return made, commit
    return in_open_transaction(make)


def poll(world, cursors, at):
    found = emergencies.new_emergencies(world.dispatcher, cursors[0], None, cursors[1], now=NOW + at)
    return [(e.pk, e.requeued) for e in found.named], (found.cursor, found.event_cursor)


@pytest.mark.django_db(transaction=True)
def test_an_emergency_committed_after_an_import_and_a_later_one_is_announced_once(world):
    new_ticket(world)
    cursors = (Cursor(last_id(Ticket)), Cursor(last_id(TicketEvent)))
    fire, commit = written_late(lambda: new_ticket(world, text=FIRE, channel="app"))
    backlog(world, 3 * emergencies.POLL_READ)
    gas = new_ticket(world, text=GAS, channel="app")
    named, cursors = poll(world, cursors, 0)
    assert named == [(gas.pk, False)] and cursors[0].after == fire.pk - 1 and cursors[0].held[-1][1] == gas.pk
    named, cursors = poll(world, cursors, 15)
    assert named == []
    commit()
    named, cursors = poll(world, cursors, 30)
    assert named == [(fire.pk, False)] and cursors[0] == Cursor(gas.pk)
    assert poll(world, cursors, 45)[0] == []


@pytest.mark.django_db(transaction=True)
def test_an_emergency_put_back_in_a_transaction_committed_late_is_announced_once(world):
    gas = new_ticket(world, text=GAS, channel="app")
    services.dispatch(world.dispatcher, gas, world.street.pk)
    cursors = (Cursor(last_id(Ticket)), Cursor(last_id(TicketEvent)))

    def put_back():
        services.return_ticket(world.street_staff, gas, "不属于本街道职责")
        return services.arbitrate(world.dispatcher, gas, True, "退回热线重新派单")
    _, commit = written_late(put_back)
    backlog(world, 3 * emergencies.POLL_READ)
    named, cursors = poll(world, cursors, 0)
    assert named == [] and cursors[1].held
    commit()
    named, cursors = poll(world, cursors, 15)
    assert named == [(gas.pk, True)] and cursors[1] == Cursor(last_id(TicketEvent))
    assert poll(world, cursors, 30)[0] == []
