"""`jiesu import --processes N`: the file split by external id over processes, their reports and summaries merged."""
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.db import connection

from jiesu.importer.parallel import merge_reports, merge_summaries
from jiesu.importer.services import Importer, part_of
from jiesu.tickets.models import Ticket, TicketEvent

from .conftest import read_report, run_import, us311_sample, write_csv
from .test_import import BAD, GOOD, HEADER, by_line, with_two_repeats

ROOT = Path(__file__).resolve().parents[2]


def test_an_external_id_is_in_the_same_part_in_every_process():
    ids = [f"H{i:09d}" for i in range(2000)] + ["", "编号-1", " padded "]
    parts = [part_of(i, 4) for i in ids]
    assert set(parts) == {0, 1, 2, 3}
    assert all(480 <= n <= 530 for n in Counter(parts[:2000]).values())  # evenly spread
    code = ("import sys; from jiesu.importer.services import part_of; "
            "print(','.join(str(part_of(i, 4)) for i in sys.stdin.read().split('\\n')))")
    other = subprocess.run([sys.executable, "-c", code], input="\n".join(ids), capture_output=True, text=True,
                           cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "123"}, check=True)
    assert [int(p) for p in other.stdout.strip().split(",")] == parts  # not Python's salted hash


def test_the_parts_of_a_file_import_together_what_one_run_imports(world, tmp_path):
    """Each part run on its own (as the processes do), the reports and summaries merged: the same as one run."""
    path = write_csv(tmp_path / "tickets.csv", HEADER, GOOD + BAD)
    summaries, reports = [], []
    for k in range(3):
        reports.append(tmp_path / f"r.csv.part{k}")
        summaries.append(Importer(path, "csv", report=reports[-1], part=(k, 3)).run())
    assert sum(s.read for s in summaries) == 10 and sum(1 for s in summaries if s.read) >= 2
    merged = merge_summaries(summaries)
    assert (merged.read, merged.imported, merged.rejected, merged.already) == (10, 3, 7, 0)
    assert merged.reasons == Counter({"closed_before_created": 1, "bad_date": 1, "empty_text": 1,
                                      "half_coordinates": 1, "outside_city": 1, "duplicate_in_file": 1,
                                      "missing_created": 1})
    assert merged.first_id == min(Ticket.objects.values_list("id", flat=True))
    merge_reports(reports, tmp_path / "r.csv")
    rows = read_report(tmp_path / "r.csv")
    assert rows[0] == ["文本行号", "外部编号", "结果", "字段", "原因", "值"]
    assert [int(r[0]) for r in rows[1:]] == [4, 5, 6, 7, 8, 9, 10, 11]  # one report, in line order (4: a note)
    assert by_line(rows)[10][0][3:5] == ["external_id", "外部编号与本文件第 2 行重复"]  # A1 twice: one part


DUPLICATED = with_two_repeats()


@pytest.mark.django_db(transaction=True)
def test_processes_import_every_row_once_and_keep_the_earlier_of_two_lines(world, tmp_path):
    """PostgreSQL runs three processes (SQLite one): the tickets, the report and a re-run are as with one."""
    parts, writers = (3, 6) if connection.vendor == "postgresql" else (1, 1)
    path = write_csv(tmp_path / "parallel.csv", HEADER, DUPLICATED)
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2", "--processes", "3",
                               "--writers", "2")
    assert (result["processes"], result["writers"]) == (parts, writers)
    checks = "batch" if connection.vendor == "postgresql" else "row"  # scripts/with-postgres.sh grants the right
    assert result["key_checks"] == checks
    processes, writers_words = ("process" if parts == 1 else "processes"), ("writer" if writers == 1 else "writers")
    assert any(f"({parts} {processes}, {writers} {writers_words}, foreign keys checked per {checks}" in line
               for line in lines)
    assert (result["read"], result["imported"], result["rejected"]) == (14, 12, 2)
    # in the same batch of a part ("in file") or in a later one ("in run"): both the later line
    assert sum(result["reasons"].values()) == 2 and set(result["reasons"]) <= {"duplicate_in_file", "duplicate_in_run"}
    assert result["events"] == TicketEvent.objects.count() == 24  # intake and dispatch each
    assert Ticket.objects.filter(idempotency_key__startswith="import:csv:P").count() == 12
    assert Ticket.objects.get(idempotency_key="import:csv:P3").title.startswith("第3条")  # the earlier line
    assert sorted(by_line(read_report(tmp_path / "r.csv"))) == [6, 15]
    assert not list(tmp_path.glob("*.part*"))  # the parts' reports are merged and removed
    again, _ = run_import(path, "--report", str(tmp_path / "r2.csv"), "--batch-size", "2", "--processes", "3")
    assert again["imported"] == 0 and again["already_imported"] >= 12  # all in the database now
    assert again["already_imported"] + again["rejected"] == 14
    assert set(again["reasons"]) <= {"already_imported", "duplicate_in_file"}


@pytest.mark.django_db(transaction=True)
def test_a_failing_process_stops_the_run_and_a_rerun_completes_it(world, tmp_path, monkeypatch):
    """A process that fails (here: made to, in part 2 of 2) stops the others; what was written stays, once."""
    path = write_csv(tmp_path / "fail.csv", HEADER, DUPLICATED)
    stage = Importer._stage

    def failing_stage(self, items):
        if self.part is not None and self.part[0] == 1 or connection.vendor != "postgresql":
            raise OSError("disk on fire")
        return stage(self, items)

    monkeypatch.setattr(Importer, "_stage", failing_stage)
    failure = RuntimeError if connection.vendor == "postgresql" else OSError
    with pytest.raises(failure, match="disk on fire"):
        run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2", "--processes", "2")
    assert not list(tmp_path.glob("*.part*"))
    written = Ticket.objects.count()
    assert written < 12
    monkeypatch.setattr(Importer, "_stage", stage)
    again, _ = run_import(path, "--report", str(tmp_path / "r2.csv"), "--processes", "2")
    assert again["imported"] == 12 - written and again["already_imported"] >= written
    assert again["read"] == 14 == again["imported"] + again["already_imported"] + again["rejected"]
    assert Ticket.objects.count() == 12


@pytest.mark.django_db(transaction=True)
def test_a_bad_file_is_refused_with_the_same_message_by_any_number_of_processes(world, tmp_path):
    path = write_csv(tmp_path / "bad.csv", ["external_id", "text"], [["Z1", "缺少受理时间列"]])
    for processes in ("1", "2"):
        with pytest.raises(CommandError, match="missing column\\(s\\): created_at"):
            run_import(path, "--report", str(tmp_path / "r.csv"), "--processes", processes)
    with pytest.raises(CommandError, match="--processes must be at least 1"):
        run_import(path, "--processes", "0")


@pytest.mark.django_db(transaction=True)
def test_the_progress_bar_follows_the_processes_to_the_end_of_the_file(world, tmp_path, capsys):
    from io import StringIO

    from django.core.management import call_command

    path = write_csv(tmp_path / "progress.csv", HEADER, DUPLICATED)
    call_command("import_tickets", path, "--report", str(tmp_path / "r.csv"), "--processes", "2", "--lang", "en",
                 stdout=StringIO())
    err = capsys.readouterr().err
    assert "progress.csv: 100%" in err and "imported 12" in err


@pytest.mark.django_db(transaction=True)
def test_real_311_rows_split_over_processes_give_the_report_of_one_process(world, tmp_path):
    """Los Angeles rows (the external id in SRNumber): a dry run in 3 processes says, line for line, what one
    process says; the real run in 3 processes imports what they said."""
    header, rows = us311_sample("la_2017_sample.csv", lambda row, i: i < 300)
    again = list(rows[5])  # the same SRNumber again at the end, every other column changed where it can be
    again[header.index("Address")] = "somewhere else"
    again[header.index("CreatedDate")] = rows[7][header.index("CreatedDate")]
    path = write_csv(tmp_path / "la.csv", header, rows + [again])

    def run(name, *args):
        return run_import(path, "--format", "us311", "--report", str(tmp_path / name), "--batch-size", "40", *args)[0]

    one, three = run("one.csv", "--processes", "1", "--dry-run"), run("three.csv", "--processes", "3", "--dry-run")
    assert three["processes"] == (3 if connection.vendor == "postgresql" else 1)
    assert one["imported"] > 200 and one["reasons"]["duplicate_in_file"] == 1  # SRNumber repeated, in a dry run
    for key in ("read", "imported", "rejected", "reasons", "notes", "states", "classified", "routing"):
        assert three[key] == one[key], key
    assert read_report(tmp_path / "three.csv") == read_report(tmp_path / "one.csv")
    written = run("real.csv", "--processes", "3")
    assert (written["imported"], written["rejected"]) == (one["imported"], one["rejected"])
    assert Ticket.objects.filter(idempotency_key__startswith="import:la311:").count() == one["imported"]
    assert TicketEvent.objects.count() == written["events"] > one["imported"]


@pytest.mark.django_db(transaction=True)
def test_writers_default_to_two_for_one_process_and_one_for_each_of_several(world, tmp_path):
    path = write_csv(tmp_path / "writers.csv", HEADER, DUPLICATED)
    split = connection.vendor == "postgresql"
    alone, _ = run_import(path, "--report", str(tmp_path / "r1.csv"), "--processes", "1", "--dry-run")
    several, _ = run_import(path, "--report", str(tmp_path / "r2.csv"), "--processes", "3", "--dry-run")
    assert (alone["processes"], alone["writers"]) == ((1, 2) if split else (1, 1))
    assert (several["processes"], several["writers"]) == ((3, 3) if split else (1, 1))
