"""Several deadline workers at once never warn twice about the same ticket."""
from datetime import timedelta

import pytest

from jiesu.tickets import jobs, services
from jiesu.tickets.models import Notice, TicketEvent
from tests.threads import at_once
from tests.tickets.helpers import new_ticket


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_mark_each_ticket_once(world):
    tickets = [new_ticket(world) for _ in range(40)]
    for t in tickets:
        services.dispatch(world.dispatcher, t, world.street.pk)
    later = max(t.reply_due for t in tickets) + timedelta(hours=1)
    results, errors = at_once(lambda: jobs.scan_once(now=later, batch=7), 3)
    assert errors == []
    assert sum(results) == 40
    assert TicketEvent.objects.filter(kind="overdue").count() == 40
    assert Notice.objects.filter(kind="overdue").count() == 40
