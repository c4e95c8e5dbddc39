"""The open-ticket index of duplicates (dispatch.duplicates.OpenTicketIndex) reads a ticket or an event committed
after a later one (two intakes side by side on PostgreSQL): its cursors stop below a gap in the ids
(core/id_cursor.py). The late commit is played out on both databases: the row is taken out after it is recorded
and put back between two refreshes."""
import pytest

from jiesu.dispatch import duplicates
from jiesu.dispatch.duplicates import Draft, check_intake
from jiesu.tickets import services
from jiesu.tickets.models import TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, not_yet_committed

STALL = "东华门大街有人占道经营，堵塞人行道"
STALL_AGAIN = "东华门大街路口早餐摊占道经营，行人只能走机动车道"


@pytest.fixture(autouse=True)
def fresh_index():
    duplicates.reset_index(refresh_seconds=0)  # every check looks at the database's latest rows
    yield
    duplicates.reset_index()


def offered(w):
    return [c.ticket.pk for c in check_intake(w.call_taker, Draft(text=STALL_AGAIN, street_code=w.street.code))
            .candidates]


def test_a_ticket_committed_after_a_later_one_joins_the_index_when_it_is(world):
    first = new_ticket(world, text=STALL)
    assert offered(world) == [first.pk]
    late, early = new_ticket(world, text="东华门大街早餐摊占道经营，人行道走不了"), new_ticket(world, text=STALL)
    commit = not_yet_committed(late)
    assert sorted(offered(world)) == [first.pk, early.pk]
    assert duplicates.OPEN_INDEX.ticket_cursor.after == first.pk  # stopped below the gap
    commit()
    assert sorted(offered(world)) == sorted([first.pk, late.pk, early.pk])
    assert duplicates.OPEN_INDEX.ticket_cursor.after == early.pk and not duplicates.OPEN_INDEX.ticket_cursor.held


def test_an_event_committed_after_a_later_one_still_takes_its_ticket_out_of_the_index(world):
    closed, other = new_ticket(world, text=STALL), new_ticket(world, text="东华门大街早餐摊占道经营，人行道走不了")
    assert sorted(offered(world)) == sorted([closed.pk, other.pk])
    services.close_special(world.call_taker, closed, "market")
    late_event = TicketEvent.objects.filter(ticket=closed).latest("pk")
    services.dispatch(world.dispatcher, other, world.street.pk)  # a later event, committed first
    row = TicketEvent.objects.get(pk=late_event.pk)
    TicketEvent.objects.filter(pk=late_event.pk).delete()
    assert offered(world) == [other.pk]  # never shown: the page reads the ticket's state
    assert closed.pk in duplicates.OPEN_INDEX.index  # but the index has not seen its closing yet
    row.save(force_insert=True)
    assert offered(world) == [other.pk] and closed.pk not in duplicates.OPEN_INDEX.index
