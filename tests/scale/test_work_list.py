"""The work list (/work/) at city volume: what the database reads for a unit's page does not grow with the tickets
the unit has closed over the years (docs/benchmarks.md, "The list pages at 1 M tickets")."""
import pytest
from django.db import connection

from jiesu.tickets import services
from jiesu.tickets.models import Assignment, AssignmentRole, AssignmentState
from tests.tickets.helpers import new_ticket
from tests.scale.conftest import work_before_and_after
from tests.tickets.test_emergency_poll_audit import backlog

pytestmark = pytest.mark.django_db


def closed_years(world, n):
    """`n` closed tickets the street handled: their assignments done and still active, as closing leaves them."""
    made = backlog(world, n, state="closed")
    Assignment.objects.bulk_create([Assignment(ticket_id=t.pk, unit=world.street, role=AssignmentRole.LEAD,
                                               state=AssignmentState.DONE, active=True, dispatched_at=t.created_at)
                                    for t in made])
    with connection.cursor() as sql:  # the planner's statistics, as autovacuum keeps them on a server
        sql.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE main")


def test_a_units_done_assignments_are_not_read_for_its_work_list(world, client):
    """At 1 M tickets a street's work list read every assignment the street ever had (26,000, all but one done) to
    keep its one open ticket: 5.2 s for the page. The list asks the (unit, active, state) index for the undone."""
    services.dispatch(world.dispatcher, new_ticket(world), world.street.pk)
    client.force_login(world.street_staff)
    few, many, page = work_before_and_after(client, "/work/", lambda n: closed_years(world, n))
    assert page.status_code == 200 and page.context["page"].paginator.count == 1
    assert many <= 1.2 * few + 100, (few, many)
