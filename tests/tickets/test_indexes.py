"""The ticket tables carry no index another one already serves: every write (and a bulk import) pays for each."""
import pytest
from django.db import IntegrityError, connection, transaction

from jiesu.tickets.models import Assignment, Ticket, TicketEvent

pytestmark = pytest.mark.django_db

TABLES = [Ticket._meta.db_table, TicketEvent._meta.db_table, Assignment._meta.db_table]


def _indexes(table):
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: tuple(c["columns"]) for name, c in found.items()
            if (c["index"] or c["unique"]) and not c["primary_key"] and c["columns"]}


@pytest.mark.parametrize("table", TABLES)
def test_no_index_is_the_leading_part_of_another(table):
    indexes = _indexes(table)
    redundant = [(name, columns, other) for name, columns in indexes.items() for other in indexes.values()
                 if len(other) > len(columns) and other[:len(columns)] == columns]
    assert redundant == []


@pytest.mark.parametrize("table", TABLES)
def test_no_column_has_two_indexes(table):
    """On PostgreSQL a CharField(unique=True) or (db_index=True) also gets a LIKE-pattern index: none here. A partial
    index holds other rows than a whole one on the same columns (ticket_handling_live: the key of the tickets being
    handled that were not imported), so it is told apart by its condition."""
    partial = {index.name: str(index.condition) for model in (Ticket, TicketEvent, Assignment)
               for index in model._meta.indexes if index.condition is not None}
    by_columns = {}
    for name, columns in _indexes(table).items():
        by_columns.setdefault((columns, partial.get(name)), []).append(name)
    assert {columns: names for columns, names in by_columns.items() if len(names) > 1} == {}


def test_the_columns_served_by_a_composite_index_are_still_indexed_first():
    leading = {columns[0] for columns in _indexes(Ticket._meta.db_table).values()}
    assert {"state", "street_id", "district_id", "lead_unit_id", "query_code", "idempotency_key"} <= leading
    assert "unit_id" in {columns[0] for columns in _indexes(Assignment._meta.db_table).values()}
    assert "kind" in {columns[0] for columns in _indexes(TicketEvent._meta.db_table).values()}


@pytest.mark.parametrize("field", ["query_code", "idempotency_key"])
def test_unique_keys_are_still_unique(field):
    from django.utils import timezone

    values = {"query_code": "Q", "idempotency_key": "K"}
    Ticket.objects.create(title="一", text="一", created_at=timezone.now(), **{field: values[field]})
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.create(title="二", text="二", created_at=timezone.now(), **{field: values[field]})


def _plan(queryset):
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: make the planner show its index
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return " ".join(str(part) for row in cursor.fetchall() for part in row)


@pytest.mark.parametrize("lookup, index", [
    ({"next_check_at__lte": "2026-12-04T00:00:00+00:00"}, "ticket_next_check_at_set"),
    ({"citizen_user_id__in": [1, 2]}, "ticket_citizen_user_set"),
    ({"parent_id": 7}, "ticket_parent_set"),
    ({"grid_id": 7}, "ticket_grid_set"),
])
def test_lookups_by_value_use_the_partial_indexes(lookup, index):
    """An optional field's index holds only the rows where it is set; a look-up by value still finds it."""
    with transaction.atomic():
        assert index in _plan(Ticket.objects.filter(**lookup).order_by().values("id"))



def test_the_same_callers_recent_tickets_are_found_by_the_phone_index():
    """With a month of tickets (here 2,000, analysed), the look-up at every intake (duplicates.same_caller) goes
    by the phone, not through every recent ticket by date (on an empty table the two cost the planner the same)."""
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    Ticket.objects.bulk_create([Ticket(title="路灯", text="路灯不亮", created_at=now - timedelta(minutes=20 * i),
                                       citizen_phone=f"139{i:08d}", query_code=f"Q{i:07d}") for i in range(2000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lookup = Ticket.objects.filter(citizen_phone__gt="", citizen_phone__in=["13900000007", "139-0000-0007"],
                                   created_at__gte=now - timedelta(days=30))
    with transaction.atomic():
        assert "ticket_phone_created" in _plan(lookup.order_by().values("id"))
    assert lookup.count() == 1
