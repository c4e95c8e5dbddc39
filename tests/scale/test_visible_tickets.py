"""scoping.visible_tickets at city volume: a grid worker's (or a community's) few tickets are read from their own
indexes, not found by looking at every ticket of the city (docs/benchmarks.md, "A grid's tickets are read as a set
of ids"). That the sets are the same as the row-by-row rule's, for every user of the demo city:
tests/core/test_every_page_audit.py::test_every_users_tickets_are_those_the_row_by_row_rule_gave."""
import pytest
from django.db import connection

from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tests.tickets.helpers import new_ticket
from tests.scale.conftest import work_before_and_after
from tests.tickets.test_emergency_poll_audit import backlog

pytestmark = pytest.mark.django_db


def elsewhere(world, n):
    """`n` closed tickets of the street outside the grid, as the city's years of tickets are."""
    backlog(world, n, state="closed")
    with connection.cursor() as sql:  # the planner's statistics, as autovacuum keeps them on a server
        sql.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE main")


def test_a_grid_workers_search_does_not_read_the_citys_tickets(world, client):
    """At 1 M tickets a grid worker's search page (88 tickets it may read) took 3.1 s: its count looked at every
    ticket for "in my grid OR assigned to my grid OR recorded by me". Now 0.8 ms (docs/benchmarks.md)."""
    mine = new_ticket(world)
    services.dispatch(world.dispatcher, mine, world.street.pk)
    Ticket.objects.filter(pk=mine.pk).update(grid=world.grid)
    client.force_login(world.grid_worker)
    few, many, page = work_before_and_after(client, "/tickets/", lambda n: elsewhere(world, n))
    assert [t.pk for t in page.context["page"].object_list] == [mine.pk]
    assert many <= 1.2 * few + 100, (few, many)
