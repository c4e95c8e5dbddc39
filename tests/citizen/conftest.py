"""The citizen's journey: the small world of tests/tickets (a user per role, the citizen `cz`)."""
import pytest

from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)


@pytest.fixture
def citizen_client(client, world):
    client.force_login(world.citizen)
    return client
