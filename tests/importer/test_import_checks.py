"""`jiesu import`: reply times checked like the other times, open rows with a reply, bad bytes named by their
line, and the command's clear refusals (an unwritable report, a directory, an interrupt)."""
import signal
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management.base import CommandError

from jiesu.tickets.models import Assignment, Ticket, TicketEvent

from .conftest import read_report, run_import, write_csv
from .test_import import HEADER, by_line, numbered_rows, write_encoded

SHANGHAI = ZoneInfo("Asia/Shanghai")
REPLY_HEADER = ["external_id", "created_at", "closed_at", "text", "category", "street_code", "unit", "reply",
                "replied_at"]
OIL = ("楼下饭店油烟太大", "04.05.04", "110101001")  # text, category, street: routed to a handling unit


def reply_row(external_id, closed="", reply="", replied="", unit=""):
    return [external_id, "2025-03-01 10:00", closed, *OIL, unit, reply, replied]


def test_reply_times_are_checked_like_the_other_times(world, tmp_path):
    rows = [
        reply_row("R1", "2025-03-02 10:00", "已答复", "2099-01-01 00:00"),  # in the future
        reply_row("R2", "2025-03-02 10:00", "已答复", "2020-01-01 00:00"),  # before the creation
        reply_row("R3", "2025-03-02 10:00", "已答复", "2025-03-05 10:00"),  # after the closing
        reply_row("R4", "2025-03-02 10:00", "已答复", "2025-03-02 09:00"),  # fine
        reply_row("R5", "", "", "2025-03-01 12:00"),  # open: a reply time without a reply
        reply_row("R6", "", "已联系市民，明天处理", ""),  # open: a reply without its time
    ]
    report = tmp_path / "r.csv"
    result, _ = run_import(write_csv(tmp_path / "rep.csv", REPLY_HEADER, rows), "--report", str(report),
                           lang="zh-hans")
    assert (result["imported"], result["rejected"]) == (1, 5)
    assert result["reasons"] == {"replied_in_future": 1, "replied_before_created": 1, "replied_after_closed": 1,
                                 "replied_without_reply": 1, "reply_without_time": 1}
    lines = by_line(read_report(report))
    assert lines[2][0][1:] == ["R1", "未导入", "replied_at", "答复时间晚于当前时间", "2099-01-01 00:00"]
    assert lines[3][0][3:] == ["replied_at", "答复时间早于受理时间", "2020-01-01 00:00"]
    assert lines[4][0][3:] == ["replied_at", "答复时间晚于办结时间", "2025-03-05 10:00"]
    assert lines[6][0][3:] == ["reply", "未办结工单填写了答复时间，但没有答复内容", ""]
    assert lines[7][0][3:] == ["replied_at", "未办结工单有答复内容，但缺少答复时间", ""]
    r4 = Ticket.objects.get(idempotency_key="import:csv:R4")
    assert (r4.state, r4.replied_at) == ("closed", datetime(2025, 3, 2, 9, 0, tzinfo=SHANGHAI))


def test_reply_reasons_in_english(world, tmp_path):
    rows = [reply_row("R1", "2025-03-02 10:00", "已答复", "2020-01-01 00:00")]
    report = tmp_path / "r.csv"
    run_import(write_csv(tmp_path / "rep.csv", REPLY_HEADER, rows), "--report", str(report), lang="en")
    assert read_report(report)[1][3:5] == ["replied_at", "Replied before it was created"]


def test_an_open_row_with_a_reply_is_replied_awaiting_callback(world, tmp_path):
    """已反馈待回访: the lead unit replied, the hotline's callback is next; no deadline runs."""
    rows = [reply_row("O1", "", "已联系饭店整改", "2025-03-03 15:00")]
    result, _ = run_import(write_csv(tmp_path / "open.csv", REPLY_HEADER, rows), "--report", str(tmp_path / "r.csv"))
    assert (result["imported"], result["rejected"], result["states"]) == (1, 0, {"replied": 1})
    t = Ticket.objects.get(idempotency_key="import:csv:O1")
    replied = datetime(2025, 3, 3, 15, 0, tzinfo=SHANGHAI)
    assert (t.state, t.reply_text, t.replied_at, t.closed_at) == ("replied", "已联系饭店整改", replied, None)
    assert t.lead_unit is not None and t.dispatched_at == t.created_at and t.reply_due is not None
    assert (t.warning_level, t.next_check_at) == (0, None)  # replied: no deadline runs (as tickets.services.reply)
    events = list(TicketEvent.objects.filter(ticket=t).order_by("at", "id").values_list("kind", "from_state",
                                                                                          "to_state", "at", "note"))
    assert [e[:3] for e in events] == [("intake", "", "new"), ("dispatch", "new", "dispatched"),
                                       ("reply", "dispatched", "replied")]
    assert events[2][3:] == (replied, "已联系饭店整改")
    lead = Assignment.objects.get(ticket=t, role="lead")
    assert (lead.unit_id, lead.state, lead.replied_at, lead.reply_text) == (t.lead_unit_id, "replied", replied,
                                                                           "已联系饭店整改")
    assert set(Assignment.objects.filter(ticket=t).exclude(role="lead").values_list("state", flat=True)) <= {"done"}
    from jiesu.tickets import services
    from jiesu.tickets.queries import callback_queue
    from jiesu.units.models import Unit
    from jiesu.accounts.models import Role, User

    assert list(callback_queue()) == [t]  # the callback agents see it, and their callback works on it
    agent = User.objects.create_user("cb", password="pw", role=Role.CALLBACK_AGENT,
                                     unit=Unit.objects.get(code="HC"))
    services.record_callback(agent, t, True, "unresolved", "dissatisfied")  # 重办: back to the lead unit
    t.refresh_from_db()
    assert (t.state, t.lead_unit_id, t.rehandle_round) == ("dispatched", lead.unit_id, 1)
    assert Assignment.objects.filter(ticket=t, role="lead", active=True, state="pending").count() == 1


def test_an_open_row_with_a_reply_but_no_handling_unit_is_refused(world, tmp_path):
    """The reply must be a unit's: a row the hotline centre would keep (待派单) cannot carry one."""
    rows = [reply_row("O2", "", "已答复市民", "2025-03-03 15:00", unit="HC")]
    report = tmp_path / "r.csv"
    result, _ = run_import(write_csv(tmp_path / "open.csv", REPLY_HEADER, rows), "--report", str(report),
                           "--dry-run")
    assert (result["imported"], result["rejected"], result["reasons"]) == (0, 1, {"reply_without_unit": 1})
    result, _ = run_import(write_csv(tmp_path / "open.csv", REPLY_HEADER, rows), "--report", str(report),
                           lang="zh-hans")
    assert (result["imported"], result["rejected"], result["reasons"]) == (0, 1, {"reply_without_unit": 1})
    assert read_report(report)[1][1:5] == ["O2", "未导入", "unit", "有答复内容，但没有承办单位：请填写答复的承办单位"]
    assert Ticket.objects.count() == 0


def test_bad_bytes_mid_file_are_named_by_their_line_and_every_row_before_is_imported(world, tmp_path, monkeypatch):
    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 2_000)  # the encoding is chosen from the first 2 kB: UTF-8
    monkeypatch.setattr(formats, "CHUNK_BYTES", 4_096, raising=False)  # read 4 kB at a time
    rows = numbered_rows("M", 300)  # ≈ 30 kB, 1 header line + 300
    path = tmp_path / "mixed.csv"
    write_encoded(path, rows[:200], "utf-8")
    with open(path, "ab") as fh:
        fh.write("G1,2025-03-05 09:00:00,,电话,噪音,楼上装修噪音太大,,,,,,,110101001,,\n".encode("gbk"))  # line 202
        fh.write("\n".join(",".join(r) for r in rows[200:]).encode("utf-8"))
    with pytest.raises(CommandError, match=r"mixed.csv: line 202: bytes that are not UTF-8 text"):
        run_import(str(path), "--report", str(tmp_path / "r.csv"), "--batch-size", "50")
    assert Ticket.objects.filter(idempotency_key__startswith="import:csv:M").count() == 200  # lines 2–201


def test_bad_bytes_on_the_first_data_line_and_crlf_lines(world, tmp_path, monkeypatch):
    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 100)  # the encoding is chosen from the first 100 bytes: UTF-8
    monkeypatch.setattr(formats, "CHUNK_BYTES", 64, raising=False)  # lines cut across reads, \r\n among them
    text = ("\r\n".join(",".join(r) for r in [HEADER] + numbered_rows("C", 3)) + "\r\n").encode("utf-8")
    path = tmp_path / "crlf.csv"
    path.write_bytes(text + "坏".encode("gbk") + b",2025-04-01 10:00,,,,x,,,,,,,,,\r\n")
    with pytest.raises(CommandError, match=r"crlf.csv: line 5: bytes that are not UTF-8 text"):
        run_import(str(path), "--report", str(tmp_path / "r.csv"))
    assert Ticket.objects.count() == 3
    path.write_bytes(text)
    result, _ = run_import(str(path), "--report", str(tmp_path / "r2.csv"))
    assert (result["read"], result["already_imported"]) == (3, 3)  # \r\n lines: the same rows, the same numbers


def test_an_unwritable_report_is_refused_before_anything_is_written(world, tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("W", 3))
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(CommandError, match=rf"--report {blocker}/x.rep: {blocker} is a file, not a directory"):
        run_import(path, "--report", str(blocker / "x.rep"))
    with pytest.raises(CommandError, match=rf"--report {tmp_path}: is a directory"):
        run_import(path, "--report", str(tmp_path))
    assert Ticket.objects.count() == 0


def test_a_directory_is_named_as_one(world, tmp_path):
    with pytest.raises(CommandError, match=rf"{tmp_path}: is a directory, not a file"):
        run_import(str(tmp_path), "--report", str(tmp_path / "r.csv"))
    with pytest.raises(CommandError, match="no such file"):
        run_import(str(tmp_path / "absent.csv"), "--report", str(tmp_path / "r.csv"))


def test_an_interrupt_says_what_was_written_and_exits_130(world, tmp_path, monkeypatch):
    """Ctrl-C: the batches in flight are finished (each is one transaction), then one line and exit code 130."""
    from jiesu.importer.services import Importer

    stage, calls = Importer._stage, []

    def interrupted_at_the_third(self, items):
        calls.append(len(items))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return stage(self, items)

    monkeypatch.setattr(Importer, "_stage", interrupted_at_the_third)
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("K", 10))
    with pytest.raises(CommandError) as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2")
    message = str(caught.value)
    assert caught.value.returncode == 130
    assert message.startswith(f"{path}: interrupted: 4 rows imported in whole batches")
    assert "a re-run of the same command continues" in message and "\n" not in message
    assert Ticket.objects.count() == 4
    monkeypatch.setattr(Importer, "_stage", stage)
    again, _ = run_import(path, "--report", str(tmp_path / "r2.csv"), "--batch-size", "2")
    assert (again["imported"], again["already_imported"]) == (6, 4)


def test_an_interrupt_while_waiting_for_the_writer_counts_the_batch_it_waited_for(world, tmp_path, monkeypatch):
    from concurrent.futures import wait

    from jiesu.importer import services

    calls = []

    def interrupted_once(futures):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # as if Ctrl-C came while this batch's result was awaited
        return wait(futures)

    monkeypatch.setattr(services, "wait", interrupted_once, raising=False)
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("J", 10))
    with pytest.raises(CommandError, match=r"interrupted: 6 rows imported in whole batches") as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2")
    # batch 2 was awaited, batch 3 already handed to the writer: both are finished and counted, none after
    assert caught.value.returncode == 130 and Ticket.objects.count() == 6


def test_sigint_is_turned_into_the_interrupt(world, tmp_path, monkeypatch):
    """A real SIGINT (the signal Ctrl-C sends) during the run, not only a KeyboardInterrupt raised by a test."""
    import os

    from jiesu.importer.services import Importer

    stage, calls = Importer._stage, []

    def signalled(self, items):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return stage(self, items)

    monkeypatch.setattr(Importer, "_stage", signalled)
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("S", 6))
    with pytest.raises(CommandError, match="interrupted") as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2")
    assert caught.value.returncode == 130
    assert Ticket.objects.count() in (2, 4)  # the batch staged when the signal came is written, or not, whole


@pytest.mark.parametrize("where", ["submit", "finish"])
def test_sigint_while_a_batch_changes_hands_still_counts_it(world, tmp_path, monkeypatch, where):
    """The two moments a batch is between the importer's queue and the writer (handed over; taken off and
    counted): a real SIGINT there is raised after, so the line's count is what the database holds."""
    import os

    from jiesu.importer import services, writer

    calls = []
    if where == "submit":
        submit = writer.BackgroundWriter.submit

        def signalled(self, batch):
            future = submit(self, batch)
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGINT)  # the batch is with the writer, not yet in the queue
            return future

        monkeypatch.setattr(writer.BackgroundWriter, "submit", signalled)
    else:
        finish = services.Importer._finish

        def signalled(self, *args):
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGINT)  # the batch is off the queue, not yet counted
            return finish(self, *args)

        monkeypatch.setattr(services.Importer, "_finish", signalled)
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("H", 10))
    with pytest.raises(CommandError, match="interrupted") as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2")
    written = Ticket.objects.count()
    assert caught.value.returncode == 130 and 4 <= written < 10
    assert f"interrupted: {written} rows imported in whole batches" in str(caught.value)


def test_an_open_311_row_keeps_its_resolution_in_the_intake_event_not_as_a_reply(world, tmp_path):
    header = ["Unique Key", "Created Date", "Closed Date", "Agency", "Complaint Type", "Descriptor", "Status",
              "Resolution Description", "Latitude", "Longitude"]
    rows = [["N1", "03/01/2025 10:00:00 AM", "", "NYPD", "Noise - Residential", "Loud Music/Party", "In Progress",
             "The Police Department responded and is working on it.", "40.71", "-74.00"]]
    result, _ = run_import(write_csv(tmp_path / "nyc.csv", header, rows), "--format", "us311",
                           "--report", str(tmp_path / "r.csv"))
    assert result["imported"] == 1
    t = Ticket.objects.get()
    assert t.state in ("dispatched", "new") and (t.reply_text, t.replied_at) == ("", None)
    intake = TicketEvent.objects.get(ticket=t, kind="intake")
    assert intake.payload["source_fields"]["resolution"] == "The Police Department responded and is working on it."


def test_reader_lines_match_the_csv_modules_own_numbering(tmp_path, monkeypatch):
    """Lines ended by \\n, \\r\\n or a lone \\r, quoted newlines, a BOM: the same rows and line numbers as csv over
    a text file opened with newline=''."""
    import csv

    from jiesu.importer import formats

    monkeypatch.setattr(formats, "CHUNK_BYTES", 7, raising=False)
    text = '\ufeffa,b\r\n1,"x\r\ny"\r2,z\n\n3,"q\rr"\r\n4,w'
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode("utf-8"))
    reader = formats.Reader(str(path))
    got = list(reader)
    reader.close()
    with open(path, encoding="utf-8-sig", newline="") as fh:
        plain = csv.reader(fh)
        next(plain)
        want, last = [], plain.line_num
        for values in plain:
            if values:
                want.append((last + 1, values))
            last = plain.line_num
    assert reader.header == ["a", "b"] and got == want
    assert [line for line, _ in got] == [2, 4, 6, 8]


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_during_a_run_in_several_processes_stops_each_cleanly(world, tmp_path, monkeypatch):
    """PostgreSQL: the processes ignore SIGINT, the parent stops each; what they wrote is what the line says
    (SQLite: one process, stopped by the signal itself)."""
    import os
    import threading
    import time

    from django.db import connection

    from jiesu.importer.services import Importer

    stage = Importer._stage

    def slow_stage(self, items):
        time.sleep(0.4)
        return stage(self, items)

    monkeypatch.setattr(Importer, "_stage", slow_stage)
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("Q", 40))
    timer = threading.Timer(2.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(CommandError) as caught:
            run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2", "--processes", "2")
    finally:
        timer.cancel()
    assert caught.value.returncode == 130
    written = Ticket.objects.count()
    assert 0 < written < 40
    assert f"interrupted: {written} rows imported in whole batches" in str(caught.value)
    assert not list(tmp_path.glob("*.part*"))
    monkeypatch.setattr(Importer, "_stage", stage)
    again, _ = run_import(path, "--report", str(tmp_path / "r2.csv"), "--processes", "2")
    assert (again["imported"], again["already_imported"]) == (40 - written, written)
    assert connection.vendor in ("sqlite", "postgresql")


def test_the_encoding_is_chosen_from_the_text_after_an_ascii_start(tmp_path, monkeypatch):
    """A GBK file whose first rows are ASCII (more than the sample) is still GBK: the sample starts at the first
    byte that is not ASCII."""
    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 100)
    ascii_rows = "".join(f"A{i},2025-03-01 10:00,street lamp {i}\n" for i in range(20))  # ≈ 700 bytes
    path = tmp_path / "gbk.csv"
    path.write_bytes(("external_id,created_at,text\n" + ascii_rows + "B1,2025-03-01 10:00,路灯不亮\n").encode("gbk"))
    reader = formats.Reader(str(path))
    rows = list(reader)
    reader.close()
    assert reader.encoding == "gb18030" and rows[-1] == (22, ["B1", "2025-03-01 10:00", "路灯不亮"])
