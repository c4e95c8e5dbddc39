"""A department's ticket search at city volume: its count reads the department's tickets from the assignments'
index, not every ticket of the city (docs/benchmarks.md, third pass: 570 -> 138-200 ms for a department's count at
1 M tickets, the page 0.73 -> 0.12 s). The list keeps the row-by-row rule (its scan in the list's order finds a page
soon); the count is the same tickets in another form (scoping.counted_as_set)."""
import pytest
from django.db import connection

from jiesu.tickets import queries, services
from tests.scale.conftest import planned_as_at_city_volume
from tests.tickets.helpers import new_ticket
from tests.tickets.test_emergency_poll_audit import backlog, work_of

pytestmark = pytest.mark.django_db


def not_the_departments(world, n):
    """`n` closed tickets of a street, none assigned to the department: the city's years of tickets."""
    backlog(world, n, state="closed")
    with connection.cursor() as sql:  # the planner's statistics, as autovacuum keeps them on a server
        sql.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE main")


def count_work(user):
    """(what the database works for the search's count, the count)."""
    counted = []
    with planned_as_at_city_volume():
        work = work_of(lambda: counted.append(
            queries.CappedPaginator(queries.search(user, queries.SearchFilters()), 20).count))
    return work, counted[0]


def test_a_departments_search_count_does_not_read_the_citys_tickets(world):
    """Before, the count asked "recorded by me OR EXISTS (an assignment to my unit)" of every ticket: PostgreSQL
    read 58 -> 1,559 rows for 1,500 more tickets not the department's, SQLite 8 -> 233 hundred steps. (The page's
    rows keep that rule: a department with 2 tickets still scans the city to fill its page of 20; one with 27,000
    fills it soon.)"""
    mine = [new_ticket(world), new_ticket(world)]
    for ticket in mine:
        services.dispatch(world.dispatcher, ticket, world.dept.pk)
    not_the_departments(world, 50)
    few, counted = count_work(world.dept_staff)
    assert counted == 2
    not_the_departments(world, 1500)
    many, counted = count_work(world.dept_staff)
    assert counted == 2
    assert many <= 1.2 * few + 100, (few, many)


def test_a_departments_search_count_keeps_the_filters(world, client):
    """The count's form is asked the same filters as the list: the state filter leaves the signed ticket out."""
    mine = [new_ticket(world), new_ticket(world)]
    for ticket in mine:
        services.dispatch(world.dispatcher, ticket, world.dept.pk)
    services.sign(world.dept_staff, mine[0])
    client.force_login(world.dept_staff)
    page = client.get("/tickets/", {"state": "dispatched"}).context["page"]
    assert page.paginator.count == 1 and [t.pk for t in page.object_list] == [mine[1].pk]


def test_a_departments_count_is_the_tickets_its_list_shows(world, client):
    """Both forms read the same tickets: assigned to the department, or recorded by its user (a ticket it wrote and
    left to the hotline's dispatch), and not another department's."""
    from jiesu.tickets.models import Ticket

    assigned, recorded, others = new_ticket(world), new_ticket(world), new_ticket(world)
    services.dispatch(world.dispatcher, assigned, world.dept.pk)
    services.dispatch(world.dispatcher, others, world.dept2.pk)
    Ticket.objects.filter(pk=recorded.pk).update(created_by=world.dept_staff)
    client.force_login(world.dept_staff)
    page = client.get("/tickets/").context["page"]
    assert sorted(t.pk for t in page.object_list) == sorted([assigned.pk, recorded.pk]) == sorted(
        queries.search(world.dept_staff, queries.SearchFilters()).counted.values_list("pk", flat=True))
    assert page.paginator.count == 2
