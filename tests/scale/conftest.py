"""The pages at volume: the lifecycle tests' small world (tests/tickets/conftest.py), with more tickets where a test
needs them."""
from tests.tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures, by name)
