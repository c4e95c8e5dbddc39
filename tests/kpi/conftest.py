"""The tickets' small world (two districts, streets, departments, a user per role), reused."""
from tests.tickets.conftest import at, fast_passwords, world  # noqa: F401
