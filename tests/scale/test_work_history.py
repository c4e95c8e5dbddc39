"""The work list (/work/) of a territory's head and of the city's supervisor at city volume: the imported history
still being handled (an earlier system's dispatched tickets, years past their dispatch time) is not read to list
today's tickets (docs/benchmarks.md, third pass: 147,000 such tickets at 1 M, a street head's list statement 0.99 s,
its page 5.2 s)."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.tickets import queries, services
from jiesu.tickets.models import Assignment, AssignmentRole, State, Ticket, new_query_code
from tests.scale.conftest import planned_as_at_city_volume
from tests.tickets.helpers import new_ticket
from tests.tickets.test_emergency_poll_audit import work_of

pytestmark = pytest.mark.django_db


def imported_history(world, n):
    """`n` imported tickets still dispatched to the street, a year past their dispatch time, as bench/pages.py's
    import leaves 15 % of its rows; written as the import writes them (not updated after: the test database runs
    without autovacuum, and an updated row's old index entries would stay to be read)."""
    model = new_ticket(world)
    year_ago = timezone.now() - timedelta(days=365)
    fields = {f.attname: getattr(model, f.attname) for f in Ticket._meta.concrete_fields if f.attname != "id"}
    made = Ticket.objects.bulk_create([
        Ticket(**{**fields, "state": State.DISPATCHED, "dispatch_due": year_ago, "query_code": new_query_code(),
                  "idempotency_key": f"{queries.IMPORT_KEY_PREFIX}csv:h{model.pk}-{i}"}) for i in range(n)])
    Assignment.objects.bulk_create([Assignment(ticket_id=t.pk, unit=world.street, role=AssignmentRole.LEAD,
                                               dispatched_at=year_ago) for t in made])
    with connection.cursor() as sql:  # the planner's statistics, as autovacuum keeps them on a server
        sql.execute("ANALYZE" if connection.vendor == "postgresql" else "ANALYZE main")


def list_work(user, now):
    """What the database works for the list's first page of today's tickets, and that page."""
    page = []
    with planned_as_at_city_volume():
        work = work_of(lambda: page.extend(queries.worklist(user, queries.WorkFilters(), now)[:20]))
    return work, page


@pytest.mark.parametrize("who", ["street head", "city supervisor"])
def test_the_imported_history_is_not_read_for_todays_work_list(world, who):
    """Before the handled tickets had indexes of their own (ticket_handling_due, ticket_handling_live) and the list
    asked for today's tickets as ranges of them (queries.not_import_history_q), PostgreSQL read every ticket being
    handled to leave the imported history out: 122 -> 1,570 rows read for 1,500 more (street head), 70 -> 1,569
    (city supervisor). On both databases: today's ticket alone listed, the history's count exact."""
    user = (User.objects.create_user("head", password="pw", role=Role.SUPERVISOR, unit=world.street)
            if who == "street head" else world.supervisor)
    today = new_ticket(world)
    services.dispatch(world.dispatcher, today, world.street.pk)
    now = timezone.now()
    imported_history(world, 50)
    few, page = list_work(user, now)
    assert [a.ticket_id for a in page] == [today.pk]
    imported_history(world, 1500)
    many, page = list_work(user, now)
    assert [a.ticket_id for a in page] == [today.pk]
    if connection.vendor == "postgresql":  # SQLite's planner takes no partial index under an IN of parameters, and
        assert many <= 1.2 * few + 100, (few, many)  # still reads them (34 -> 950 hundred steps): docs/benchmarks.md
    history = queries.worklist(user, queries.WorkFilters(view="history"), now)
    assert history.count() == 1550 and queries.worklist_counts(user, queries.WorkFilters(), now) == {
        "current": 1, "history": 1550}
