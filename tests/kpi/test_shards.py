"""The rollups' shards (jiesu/kpi/models.py, ROLLUP_SHARDS): every change of a ticket adds to the rows of its own
shard (ticket id modulo), so a ticket changed in a transaction still open does not hold up the tickets recorded
meanwhile on other shards. Before, every change but intake added to shard 0: a new ticket of the same category on
shard 0 waited until the other transaction committed (CI hung 5 minutes on it, tests/tickets/
test_emergency_two_connections.py)."""
import pytest
from django.db import connection, transaction

from jiesu.kpi.models import ROLLUP_SHARDS, DailyRollup, DailyVolume, MonthlyRollup
from jiesu.tickets import services
from tests.kpi.helpers import handled, table
from tests.tickets.helpers import new_ticket
from tests.threads import in_open_transaction


@pytest.mark.django_db
def test_a_tickets_every_change_adds_to_its_own_shard(world):
    ticket = handled(world)
    shards = {model: set(model.objects.values_list("shard", flat=True))
              for model in (DailyRollup, MonthlyRollup, DailyVolume)}
    assert shards == dict.fromkeys(shards, {ticket.pk % ROLLUP_SHARDS})
    assert table(DailyRollup)  # counted: the check above is about rows that exist


@pytest.mark.django_db(transaction=True)
def test_a_ticket_dispatched_in_an_open_transaction_does_not_hold_up_intake(world):
    if connection.vendor != "postgresql":  # SQLite writes one transaction at a time: there is no waiting to test
        return
    ticket = new_ticket(world)
    _, commit = in_open_transaction(lambda: services.dispatch(world.dispatcher, ticket, world.street.pk))
    recorded = []
    try:
        with transaction.atomic():
            with connection.cursor() as sql:
                sql.execute("SET LOCAL lock_timeout = '5s'")
            for _ in range(ROLLUP_SHARDS - 1):  # the next ids: one on each other shard
                recorded.append(new_ticket(world).pk % ROLLUP_SHARDS)
    finally:
        commit()
    assert ticket.pk % ROLLUP_SHARDS not in recorded and len(set(recorded)) == ROLLUP_SHARDS - 1
