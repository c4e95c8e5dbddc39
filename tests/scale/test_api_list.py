"""GET /api/v1/tickets at volume: the statements of a page do not grow with the tickets it lists."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.tickets import services
from tests.tickets.helpers import new_ticket

pytestmark = pytest.mark.django_db


def dispatched(world, n, unit):
    for _ in range(n):
        services.dispatch(world.dispatcher, new_ticket(world), unit.pk)


def statements(client, url):
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(url)
    assert answer.status_code == 200
    return len(queries), answer.json()


@pytest.mark.parametrize("who, unit, acts", [("dept_staff", "dept", True), ("street_staff", "street", True),
                                             ("district_staff", "street", False)])  # the district has a copy
def test_a_page_of_the_ticket_list_asks_the_same_statements_for_3_or_30_tickets(world, client, who, unit, acts):
    """A department's page of 50 asked 105 statements at 1 M tickets (whether it may read each ticket and how its
    unit is assigned, per ticket): 3.8 s. The units' assignments to the page's tickets are read in one query."""
    user = getattr(world, who)
    client.force_login(user)
    dispatched(world, 3, getattr(world, unit))
    few, _ = statements(client, "/api/v1/tickets")
    dispatched(world, 27, getattr(world, unit))
    many, answer = statements(client, "/api/v1/tickets")
    assert answer["count"] == 30 and many == few, (few, many)
    from jiesu.tickets.models import Ticket

    alone = {t.pk: services.available_actions(user, t) for t in Ticket.objects.all()}
    assert {item["id"]: item["actions"] for item in answer["items"]} == alone  # what each ticket's page offers
    assert any(alone.values()) == acts
