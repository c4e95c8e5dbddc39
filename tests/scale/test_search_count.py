"""The search page (/tickets/) counts no further than COUNT_CAP rows: past it the page says 「共10,000+件」."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.tickets import queries
from tests.tickets.helpers import new_ticket

pytestmark = pytest.mark.django_db


def test_the_count_stops_one_row_past_the_cap_and_says_so(world, client, monkeypatch):
    """At 1 M tickets the search page's COUNT(*) of every ticket a street may read took 3.4 s of its 3.7 s."""
    monkeypatch.setattr(queries.CappedPaginator, "cap", 5)
    for _ in range(8):
        new_ticket(world)
    client.force_login(world.supervisor)
    with CaptureQueriesContext(connection) as statements:
        page = client.get("/tickets/")
    counts = [q["sql"] for q in statements.captured_queries if "COUNT(" in q["sql"].upper() and "tickets_ticket" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 6" in counts[0], counts
    body = page.content.decode()
    assert "共5+件" in body and "共8件" not in body
    assert len(page.context["page"].object_list) == 6  # the page lists what the count read, no more


def test_under_the_cap_the_count_is_exact(world, client, monkeypatch):
    monkeypatch.setattr(queries.CappedPaginator, "cap", 5)
    for _ in range(3):
        new_ticket(world)
    client.force_login(world.supervisor)
    body = client.get("/tickets/").content.decode()
    assert "共3件" in body and "+件" not in body


def test_a_capped_pager_says_more_pages_and_offers_no_last_page(world, client, monkeypatch):
    monkeypatch.setattr(queries.CappedPaginator, "cap", 25)
    for _ in range(30):
        new_ticket(world)
    client.force_login(world.supervisor)
    body = client.get("/tickets/", {"page": 2}).content.decode()
    assert "共25+件" in body and "第2页，共2+页" in body and "»" not in body
