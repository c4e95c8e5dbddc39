"""The pages at volume: the lifecycle tests' small world (tests/tickets/conftest.py), with more tickets where a test
needs them."""
from contextlib import contextmanager

from django.db import connection

from tests.tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures, by name)
from tests.tickets.test_emergency_poll_audit import work_of


def work_before_and_after(client, url, add):
    """(work, work after, the page after) of `url`: what the database works for it (work_of) after add(50), and
    after add(1500) more — the years of tickets the page must not read."""
    add(50)
    assert client.get(url).status_code == 200  # sessions, caches: warm
    with planned_as_at_city_volume():
        few = work_of(lambda: client.get(url))
    add(1500)
    with planned_as_at_city_volume():
        many = work_of(lambda: client.get(url))
    return few, many, client.get(url)


@contextmanager
def planned_as_at_city_volume():
    """On PostgreSQL, plans with reading a whole table priced out (enable_seqscan off), as a table of a million
    tickets prices it. A table of 1,550 is read whole about as cheaply as through an index, and which the planner
    takes turns on the test database's history: a CI run read the 1,500 other tickets for a grid worker's page
    whose query looks up its few by id. A query no index can serve still reads every row, so the measure still
    tells the shapes apart."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as sql:
        sql.execute("SET enable_seqscan = off")
    try:
        yield
    finally:
        with connection.cursor() as sql:
            sql.execute("RESET enable_seqscan")
