"""An import's foreign keys: checked by the database row by row, or once per batch by the writer (PostgreSQL)."""
import pytest
from django.db import connection

from jiesu.importer.services import ImportError_, Importer
from jiesu.importer.writer import choose_key_checks
from jiesu.tickets.models import Assignment, Ticket, TicketEvent
from jiesu.units.models import Unit

from .conftest import run_import, write_csv
from .test_import import GOOD, HEADER, numbered_rows

BATCH_WHERE_POSSIBLE = "batch" if connection.vendor == "postgresql" else "row"  # with-postgres.sh grants the right


def test_auto_checks_per_batch_only_where_every_condition_holds():
    assert choose_key_checks("auto", "postgresql", False, True, []) == ("batch", "")
    assert choose_key_checks("auto", "sqlite", False, False, []) == ("row", "sqlite checks them itself")
    assert choose_key_checks("auto", "postgresql", True, True, []) == (
        "row", "the import runs inside a caller's transaction")
    assert choose_key_checks("auto", "postgresql", False, False, []) == (
        "row", "the database role may not set session_replication_role")
    mode, why = choose_key_checks("auto", "postgresql", False, True, ["tickets_ticket.audit"])
    assert mode == "row" and why.endswith(": tickets_ticket.audit")
    assert choose_key_checks("row", "postgresql", False, True, []) == ("row", "asked for")
    assert choose_key_checks("batch", "postgresql", False, True, []) == ("batch", "")
    with pytest.raises(ValueError, match="cannot be checked per batch: the database role may not set"):
        choose_key_checks("batch", "postgresql", False, False, [])
    with pytest.raises(ValueError, match="one of auto, batch, row"):
        choose_key_checks("sometimes", "postgresql", False, True, [])


@pytest.mark.django_db(transaction=True)
def test_an_unknown_way_of_checking_is_refused_by_name(world, tmp_path):
    with pytest.raises(ImportError_, match="key checks must be one of auto, batch, row, not 'sometimes'"):
        Importer(write_csv(tmp_path / "t.csv", HEADER, GOOD), "csv", report=tmp_path / "r.csv",
                 key_checks="sometimes", lang="en").run()
    assert not Ticket.objects.exists()


def dangling():
    """{column: rows whose foreign key names no row}, over every foreign key of the three tables written."""
    out = {}
    with connection.cursor() as cursor:
        for model in (Ticket, TicketEvent, Assignment):
            for f in model._meta.concrete_fields:
                if not f.many_to_one:
                    continue
                target = f.related_model._meta
                cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}" r WHERE r."{f.column}" IS NOT NULL '
                               f'AND NOT EXISTS (SELECT 1 FROM "{target.db_table}" t '
                               f'WHERE t."{f.target_field.column}" = r."{f.column}")')
                out[f"{model._meta.db_table}.{f.column}"] = cursor.fetchone()[0]
    return out


def written(source):
    """What a run wrote, without its own ids, codes and keys: comparable between runs."""
    tickets = Ticket.objects.filter(idempotency_key__startswith=f"import:{source}:").order_by("idempotency_key")
    return [(t.idempotency_key.split(":")[-1], t.title, t.state, t.category_id, t.district_id, t.street_id,
             t.lead_unit_id, t.created_at, t.reply_due,
             sorted(t.events.values_list("kind", "at")), sorted(t.assignments.values_list("unit_id", "role", "state")))
            for t in tickets]


@pytest.mark.django_db(transaction=True)
def test_checks_per_batch_write_what_checks_per_row_write_and_every_key_holds(world, tmp_path):
    rows = GOOD + numbered_rows("K", 6)
    path = write_csv(tmp_path / "keys.csv", HEADER, rows)
    batch, lines = run_import(path, "--source", "perbatch", "--batch-size", "2", "--report", str(tmp_path / "a.csv"))
    assert batch["key_checks"] == BATCH_WHERE_POSSIBLE and batch["imported"] == len(rows)
    assert any(f"foreign keys checked per {BATCH_WHERE_POSSIBLE}" in line for line in lines)
    row, _ = run_import(path, "--source", "perrow", "--duplicate-other-source", "--batch-size", "2",
                        "--key-checks", "row", "--report", str(tmp_path / "b.csv"))
    assert (row["key_checks"], row["key_checks_reason"]) == ("row", "asked for")
    assert written("perbatch") == written("perrow") and len(written("perrow")) == len(rows)
    assert Assignment.objects.count() > len(rows) and TicketEvent.objects.count() > 2 * len(rows)
    assert set(dangling().values()) == {0}
    with connection.cursor() as cursor:  # the writers' setting lasted their transactions only
        cursor.execute("SHOW session_replication_role" if connection.vendor == "postgresql" else "SELECT 'origin'")
        assert cursor.fetchone()[0] == "origin"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("checks", ["auto", "row"])
def test_a_unit_deleted_during_the_import_stops_the_batch_that_names_it(world, tmp_path, settings, checks):
    from jiesu.dispatch.router import reference

    settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 3600}  # the run keeps the unit it loaded
    doomed = Unit.objects.create(code="X-TEMP-01", name="临时专班", kind="department")
    assert doomed.id in reference().table.units
    with connection.cursor() as cursor:  # behind the reference data's back, as another session would
        cursor.execute("DELETE FROM units_unit WHERE id = %s", [doomed.id])
    header = ["external_id", "created_at", "text", "unit"]
    path = write_csv(tmp_path / "doomed.csv", header, [["D1", "2025-03-01 09:00", "小区门口垃圾堆积", ""],
                                                        ["D2", "2025-03-01 10:00", "楼下饭店油烟太大", "X-TEMP-01"]])
    importer = Importer(path, "csv", report=tmp_path / "r.csv", batch_size=1, writers=1, key_checks=checks, lang="en")
    with pytest.raises(ImportError_, match="refers to a row deleted during the import") as failure:
        importer.run()
    if importer.summary.key_checks == "batch":
        assert f"units_unit has no row with id {doomed.id}" in str(failure.value)
    assert importer.summary.key_checks == (BATCH_WHERE_POSSIBLE if checks == "auto" else "row")
    assert list(Ticket.objects.values_list("idempotency_key", flat=True)) == ["import:csv:D1"]  # the batch before
    assert not Assignment.objects.filter(unit_id=doomed.id).exists() and set(dangling().values()) == {0}


@pytest.mark.django_db(transaction=True)
def test_a_trigger_on_the_ticket_table_keeps_the_checks_per_row(world, tmp_path):
    if connection.vendor != "postgresql":
        with pytest.raises(ImportError_, match="cannot be checked per batch: sqlite checks them itself"):
            Importer(write_csv(tmp_path / "t.csv", HEADER, GOOD), "csv", report=tmp_path / "r.csv",
                     key_checks="batch", lang="en").run()
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION jiesu_test_audit() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RETURN NEW; END $$")
        cursor.execute("CREATE TRIGGER audit AFTER INSERT ON tickets_ticket FOR EACH ROW "
                       "EXECUTE FUNCTION jiesu_test_audit()")
    try:
        result, _ = run_import(write_csv(tmp_path / "t.csv", HEADER, GOOD), "--report", str(tmp_path / "r.csv"))
        assert result["key_checks"] == "row" and result["imported"] == len(GOOD)
        assert result["key_checks_reason"] == "the tables have triggers or rules of their own: tickets_ticket.audit"
        with pytest.raises(ImportError_, match="cannot be checked per batch: the tables have triggers"):
            Importer(write_csv(tmp_path / "u.csv", HEADER, GOOD), "csv", report=tmp_path / "r2.csv", source="again",
                     duplicate_other_source=True, key_checks="batch", lang="en").run()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER audit ON tickets_ticket")
            cursor.execute("DROP FUNCTION jiesu_test_audit()")
