"""The test database on PostgreSQL has autovacuum off (tests/conftest.py, docs/ci.md): statistics it gathered from
one test's committed rows misled the plans of the tests after it."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import no_autovacuum_on_postgresql


@pytest.mark.django_db
def test_every_table_of_the_test_database_has_autovacuum_off_on_postgresql():
    if connection.vendor == "sqlite":  # no autovacuum of statistics there: nothing is asked of the database
        with CaptureQueriesContext(connection) as asked:
            no_autovacuum_on_postgresql()
        assert asked.captured_queries == []
        return
    with connection.cursor() as sql:
        sql.execute("SELECT relname, reloptions FROM pg_class WHERE relkind = 'r'"
                    " AND relnamespace = 'public'::regnamespace")
        tables = dict(sql.fetchall())
    assert {"tickets_ticket", "units_unit", "tickets_assignment"} <= set(tables)
    left_on = sorted(name for name, options in tables.items() if "autovacuum_enabled=off" not in (options or []))
    assert left_on == []
