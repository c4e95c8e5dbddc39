"""The API's ticket list counts at most COUNT_CAP tickets (as the search page does) and says so in `count_capped`;
`?count=exact` counts every visible ticket (docs/benchmarks.md, "Left at 1 M": the exact COUNT(*) took 3–5 s at
1 M tickets)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.tickets import queries
from tests.tickets.helpers import new_ticket
from tests.tickets.test_api import client_for


@pytest.fixture
def five(world, monkeypatch):
    """Five tickets visible to the call-taker, and a cap of 3 (COUNT_CAP is 10,000) so that they pass it."""
    for _i in range(5):
        new_ticket(world)
    monkeypatch.setattr(queries.CappedPaginator, "cap", 3)
    return world


def count_statements(captured):
    return [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_the_count_stops_at_the_cap_and_says_it_is_capped(five, client):
    api = client_for(client, five.call_taker)
    with CaptureQueriesContext(connection) as captured:
        body = api.get("/api/v1/tickets", {"limit": 2}).json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (3, True, 2)
    [count] = count_statements(captured)
    assert "LIMIT 4" in count.upper()  # SELECT COUNT(*) FROM (SELECT id … LIMIT cap + 1): never every ticket


def test_an_exact_count_on_request(five, client):
    api = client_for(client, five.call_taker)
    with CaptureQueriesContext(connection) as captured:
        body = api.get("/api/v1/tickets", {"count": "exact", "limit": 2}).json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (5, False, 2)
    [count] = count_statements(captured)
    assert "LIMIT" not in count.upper()


def test_under_the_cap_the_count_is_exact_and_not_capped(five, client):
    api = client_for(client, five.call_taker)
    body = api.get("/api/v1/tickets", {"state": "closed"}).json()
    assert (body["count"], body["count_capped"]) == (0, False)
    body = api.get("/api/v1/tickets", {"number": new_ticket(five).number}).json()
    assert (body["count"], body["count_capped"], len(body["items"])) == (1, False, 1)


def test_a_count_mode_that_is_neither_is_refused_naming_the_field(five, client):
    answer = client_for(client, five.call_taker).get("/api/v1/tickets", {"count": "all"})
    assert answer.status_code == 422
    assert answer.json()["field"] == "count"
