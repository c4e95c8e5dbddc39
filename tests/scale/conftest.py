"""The pages at volume: the lifecycle tests' small world (tests/tickets/conftest.py), with more tickets where a test
needs them."""
from tests.tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures, by name)
from tests.tickets.test_emergency_poll_audit import work_of


def work_before_and_after(client, url, add):
    """(work, work after, the page after) of `url`: what the database works for it (work_of) after add(50), and
    after add(1500) more — the years of tickets the page must not read."""
    add(50)
    assert client.get(url).status_code == 200  # sessions, caches: warm
    few = work_of(lambda: client.get(url))
    add(1500)
    many = work_of(lambda: client.get(url))
    return few, many, client.get(url)
