"""bench/import.py's account of the server's share of an import: WAL written, the ticket tables' shape, and each
table's and index's cost measured on scratch copies (PostgreSQL; SQLite has no server to measure)."""
import importlib.util
from pathlib import Path

import pytest
from django.db import connection

from jiesu.tickets.models import Ticket

from .conftest import run_import, write_csv
from .test_import import HEADER, numbered_rows


def bench_module():
    path = Path(__file__).resolve().parents[2] / "bench" / "import.py"
    spec = importlib.util.spec_from_file_location("bench_import", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.django_db(transaction=True)
def test_the_server_share_is_measured_per_table_and_index_on_postgresql_only(world, tmp_path):
    bench = bench_module()
    position = bench.wal_position(connection)
    summary, _ = run_import(write_csv(tmp_path / "t.csv", HEADER, numbered_rows("B", 30)), "--report",
                            str(tmp_path / "r.csv"))
    assert summary["imported"] == 30
    if connection.vendor != "postgresql":
        assert position is None
        return
    assert bench.wal_since(connection, position) > 0
    shapes = bench.table_shapes(connection, summary["imported"])
    assert [line.split(":")[0] for line in shapes] == list(bench.TICKET_TABLES)
    assert shapes[0].startswith("tickets_ticket: 1.00 rows per ticket")
    lines = bench.server_breakdown(connection, tickets=20)
    assert "the first 20 imported tickets' rows" in lines[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_index WHERE indrelid = 'tickets_ticket'::regclass")
        ticket_indexes = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'bench_scratch_%'")
        assert cursor.fetchone()[0] == 0  # the scratch copies are gone
    ticket_lines = lines[lines.index(next(x for x in lines if x.startswith("tickets_ticket:"))) + 1:]
    assert len([x for x in ticket_lines[:ticket_indexes] if "btree (" in x]) == ticket_indexes
    assert any("btree (idempotency_key)" in x for x in ticket_lines)
    assert Ticket.objects.count() == 30  # the import's own tables untouched
