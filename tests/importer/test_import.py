"""`jiesu import`: csv and us311 end to end, the rejected-row report, idempotent re-runs, batches, COPY."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from jiesu.tickets.models import Assignment, Ticket, TicketEvent

from .conftest import read_report, run_import, us311_sample, write_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
HEADER = ["external_id", "created_at", "closed_at", "channel", "title", "text", "address", "lon", "lat",
          "category", "state", "reply", "street_code", "unit", "citizen_phone"]
GOOD = [
    # closed, placed by address, classified from the text
    ["A1", "2025-03-01 09:00:00", "2025-03-03 17:30:00", "电话", "垃圾堆积", "东华门街道某小区门口垃圾堆积很多天没人清运",
     "东城区王府井大街", "", "", "", "已办结", "已清运完毕", "", "", "13800000000"],
    # open, placed by the street code, category and unit named in the file
    ["A2", "2025-03-02 10:00", "", "web", "", "楼下饭店油烟太大", "", "", "", "04.05.04", "open", "", "110101001",
     "", ""],
    # open, coordinates in 东城区, category by name, an unknown unit (noted, routed automatically)
    ["A3", "2025/03/04 08:15:00", "", "", "路灯不亮", "胡同里的路灯坏了一周", "", "116.4039", "39.9155", "", "",
     "", "", "不存在的单位", ""],
]
BAD = [
    ["B1", "2025-03-05 10:00", "2025-03-04 09:00", "", "", "关门前就办结了", "", "", "", "", "", "", "", "", ""],
    ["B2", "2025-13-40 25:00", "", "", "", "日期不对", "", "", "", "", "", "", "", "", ""],
    ["B3", "2025-03-06 10:00", "", "", "", "   ", "", "", "", "", "", "", "", "", ""],
    ["B4", "2025-03-06 11:00", "", "", "", "只有经度", "", "116.40", "", "", "", "", "", "", ""],
    ["B5", "2025-03-06 12:00", "", "", "", "在上海", "", "121.47", "31.23", "", "", "", "", "", ""],
    ["A1", "2025-03-07 12:00", "", "", "", "同一个编号又来一次", "", "", "", "", "", "", "", "", ""],
    ["B6", "", "", "", "", "没有受理时间", "", "", "", "", "", "", "", "", ""],
]


def numbered_rows(prefix, n):
    """n good rows with the external ids prefix0 … prefix(n-1), placed by address, classified from the text."""
    return [[f"{prefix}{i}", f"2025-04-0{1 + i % 5} 10:00", "", "", "", f"第{i}条诉求 王府井大街垃圾", "东城区王府井大街",
             "", "", "", "", "", "", "", ""] for i in range(n)]


def repeat_of(external_id):
    """A later row with an external id used before."""
    return [external_id, "2025-04-09 10:00", "", "", "", "重复", "", "", "", "", "", "", "", "", ""]


def with_two_repeats():
    """P0 … P11, P3 again right after its own batch (of 2: written at the same time), P0 again much later."""
    rows = numbered_rows("P", 12)
    rows.insert(4, repeat_of("P3"))
    return rows + [repeat_of("P0")]


@pytest.fixture
def sample(tmp_path):
    return write_csv(tmp_path / "tickets.csv", HEADER, GOOD + BAD)


def by_line(report):
    out = {}
    for row in report[1:]:
        out.setdefault(int(row[0]), []).append(row)
    return out


def test_csv_import_writes_complete_tickets(world, sample, tmp_path):
    report = tmp_path / "rejected.csv"
    result, lines = run_import(sample, "--report", str(report))
    assert (result["read"], result["imported"], result["rejected"], result["already_imported"]) == (10, 3, 7, 0)
    assert result["read"] == result["imported"] + result["rejected"] + result["already_imported"]
    assert result["notes"] == {"unknown_unit": 1}
    assert any("rejected 7" in line for line in lines)

    tickets = {t.idempotency_key: t for t in Ticket.objects.select_related("category", "street", "lead_unit")}
    assert set(tickets) == {"import:csv:A1", "import:csv:A2", "import:csv:A3"}
    a1, a2, a3 = tickets["import:csv:A1"], tickets["import:csv:A2"], tickets["import:csv:A3"]

    assert a1.state == "closed" and a1.channel == "phone" and a1.reply_text == "已清运完毕"
    assert a1.created_at == datetime(2025, 3, 1, 9, 0, tzinfo=SHANGHAI)
    assert a1.closed_at == a1.replied_at == datetime(2025, 3, 3, 17, 30, tzinfo=SHANGHAI)
    assert a1.category is not None and a1.district is not None and a1.district.code == "110101"
    assert a1.lead_unit is not None and a1.dispatched_at == a1.created_at
    assert a1.citizen_phone == "13800000000"
    kinds = list(TicketEvent.objects.filter(ticket=a1).values_list("kind", "from_state", "to_state"))
    assert kinds == [("intake", "", "new"), ("dispatch", "new", "dispatched"), ("close", "dispatched", "closed")]
    intake = TicketEvent.objects.get(ticket=a1, kind="intake")
    assert intake.at == a1.created_at
    assert intake.payload["import"] == {"source": "csv", "id": "A1", "line": 2}
    assert intake.payload["classified_by"] == "classifier" and 0 < intake.payload["probability"] <= 1
    dispatch = TicketEvent.objects.get(ticket=a1, kind="dispatch")
    assert dispatch.payload["explanation"] and dispatch.payload["lead_id"] == a1.lead_unit_id
    co = list(Assignment.objects.filter(ticket=a1, role="co").values_list("unit__name", flat=True))
    assert dispatch.payload == {"lead": a1.lead_unit.name, "lead_id": a1.lead_unit_id, "co": co,
                                "category": a1.category.code, "explanation": dispatch.payload["explanation"],
                                "mode": dispatch.payload["mode"], "imported": True}
    assert TicketEvent.objects.get(ticket=a1, kind="close").at == a1.closed_at
    lead = Assignment.objects.get(ticket=a1, role="lead")
    assert (lead.unit_id, lead.state, lead.replied_at) == (a1.lead_unit_id, "done", a1.closed_at)

    assert a2.state == "dispatched" and a2.category.code == "04.05.04" and a2.street.code == "110101001"
    assert a2.title == "楼下饭店油烟太大"  # no title: the text's first line
    assert a2.reply_due is not None and a2.reply_due > a2.created_at
    assert a2.warning_level == 2 and a2.next_check_at is None  # overdue long ago: the worker has nothing to do
    assert Assignment.objects.filter(ticket=a2, role="lead", state="pending").exists()
    assert TicketEvent.objects.filter(ticket=a2).count() == 2

    assert a3.lon == pytest.approx(116.4039) and a3.street is not None and a3.state in ("dispatched", "new")
    assert TicketEvent.objects.get(ticket=a3, kind="intake").payload["notes"] == [["unknown_unit", "不存在的单位"]]
    assert a1.query_code != a2.query_code and len(a1.query_code) == 12


def test_report_names_every_rejected_row_with_its_reason(world, sample, tmp_path):
    report = tmp_path / "rejected.csv"
    run_import(sample, "--report", str(report), lang="zh-hans")
    rows = read_report(report)
    assert rows[0] == ["文本行号", "外部编号", "结果", "字段", "原因", "值"]
    lines = by_line(rows)
    assert sorted(lines) == [4, 5, 6, 7, 8, 9, 10, 11]  # the header is line 1; line 4 imported with a note
    assert lines[4][0][1:4] == ["A3", "已导入（有备注）", "unit"] and lines[4][0][5] == "不存在的单位"
    assert lines[5][0][1:] == ["B1", "未导入", "closed_at", "办结时间早于受理时间", "2025-03-04 09:00"]
    assert lines[6][0][3:5] == ["created_at", "不是有效的日期时间：“2025-13-40 25:00”"]
    assert lines[7][0][3:5] == ["text", "诉求内容为空"]
    assert lines[8][0][3:5] == ["lat", "经度和纬度须同时填写或同时留空"]
    assert lines[9][0][3:5] == ["lon", "坐标不在本市范围内"]
    assert lines[10][0][3:5] == ["external_id", "外部编号与本文件第 2 行重复"]
    assert lines[11][0][3:5] == ["created_at", "缺少受理时间"]


def test_report_in_english(world, sample, tmp_path):
    report = tmp_path / "rejected-en.csv"
    result, lines = run_import(sample, "--report", str(report), lang="en")
    rows = read_report(report)
    assert rows[0] == ["text line", "external id", "result", "field", "reason", "value"]
    assert ["5", "B1", "rejected", "closed_at", "Closed before it was created", "2025-03-04 09:00"] in rows
    assert any("closed_before_created: Closed before it was created" in line for line in lines)


def test_rerun_does_not_duplicate(world, sample, tmp_path):
    first, _ = run_import(sample, "--report", str(tmp_path / "r1.csv"))
    counts = (Ticket.objects.count(), TicketEvent.objects.count(), Assignment.objects.count())
    second, _ = run_import(sample, "--report", str(tmp_path / "r2.csv"), lang="zh-hans")
    assert (second["imported"], second["already_imported"], second["rejected"]) == (0, 3, 7)
    assert (Ticket.objects.count(), TicketEvent.objects.count(), Assignment.objects.count()) == counts
    a1 = Ticket.objects.get(idempotency_key="import:csv:A1")
    already = [r for r in read_report(tmp_path / "r2.csv") if r[1] == "A1" and r[2] == "已导入过"]
    assert already and already[0][4] == f"已导入为工单 {a1.number}"
    # another source with the same external ids is another set of tickets, only when asked for (audit 12, 9)
    third, _ = run_import(sample, "--report", str(tmp_path / "r3.csv"), "--source", "oldsys",
                          "--duplicate-other-source")
    assert third["imported"] == 3 and Ticket.objects.filter(idempotency_key="import:oldsys:A1").exists()
    assert third["other_source"] == {"rows": 3, "sources": {"csv": 3}, "example": ["A1", a1.number]}


def test_small_batches_catch_duplicates_across_batches(world, tmp_path):
    rows = numbered_rows("X", 7) + [repeat_of("X1")]
    path = write_csv(tmp_path / "batches.csv", HEADER, rows)
    result, _ = run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "3", lang="zh-hans")
    assert (result["imported"], result["rejected"]) == (7, 1)
    assert result["reasons"] == {"duplicate_in_run": 1}
    number = Ticket.objects.get(idempotency_key="import:csv:X1").number
    assert by_line(read_report(tmp_path / "r.csv"))[9][0][4] == f"外部编号与本文件前面的行重复（已导入为工单 {number}）"


def test_dry_run_writes_nothing(world, sample, tmp_path):
    result, _ = run_import(sample, "--report", str(tmp_path / "r.csv"), "--dry-run")
    assert result["dry_run"] and result["imported"] == 3 and result["rejected"] == 7
    assert Ticket.objects.count() == 0 and len(read_report(tmp_path / "r.csv")) == 9  # 7 rejected, 1 with a note


def test_bad_files_are_refused_with_a_clear_message(world, tmp_path):
    from django.core.management.base import CommandError

    path = write_csv(tmp_path / "nohead.csv", ["id", "when"], [["1", "2025-01-01"]])
    with pytest.raises(CommandError, match="missing column\\(s\\): external_id \\(工单编号\\), created_at \\(受理时间\\), "
                                           "text \\(诉求内容\\)"):
        run_import(path, "--report", str(tmp_path / "r.csv"))
    with pytest.raises(CommandError, match="not a Los Angeles"):
        run_import(path, "--format", "us311", "--report", str(tmp_path / "r.csv"))
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "missing.csv")
    with pytest.raises(CommandError, match="source"):
        run_import(write_csv(tmp_path / "ok.csv", HEADER, GOOD), "--source", "Bad Source!")


def test_la311_sample(world, tmp_path):
    """Real Los Angeles rows: the first 120 and every one closed before it was created."""
    from datetime import datetime as dt

    fmt = "%m/%d/%Y %I:%M:%S %p"

    def keep(row, i):
        return i < 120 or (row["ClosedDate"] and dt.strptime(row["ClosedDate"], fmt) < dt.strptime(row["CreatedDate"], fmt))

    header, rows = us311_sample("la_2017_sample.csv", keep)
    path = write_csv(tmp_path / "la.csv", header, rows)
    report = tmp_path / "la.rejected.csv"
    result, _ = run_import(path, "--format", "us311", "--report", str(report), lang="zh-hans")
    assert result["source"] == "la311" and result["read"] == len(rows)
    assert result["read"] == result["imported"] + result["rejected"]
    assert result["reasons"]["closed_before_created"] == 12
    assert result["reasons"]["missing_coordinates"] >= 1
    rejected = read_report(report)[1:]
    before = [r for r in rejected if r[4] == "办结时间早于受理时间"]
    assert len(before) == 12 and {r[3] for r in before} == {"ClosedDate"}
    assert "1-870332239" in {r[1] for r in before}
    assert all(" < " in r[5] for r in before)  # the value shows both times
    assert all(r[3] == "Latitude" for r in rejected if r[4] == "缺少坐标")

    t = Ticket.objects.select_related("category", "lead_unit").get(idempotency_key="import:la311:1-870704831")
    assert t.state == "closed" and t.category.code == "11.02.04"  # Homeless Encampment → 流浪乞讨救助
    assert t.lead_unit.code == "CD-CGW"  # BOS → 市城市管理委员会
    assert t.created_at == datetime(2017, 12, 31, 23, 59, 58, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert t.closed_at == datetime(2018, 4, 9, 9, 18, 35, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert t.lat == pytest.approx(34.073216645) and t.district_id is None
    assert TicketEvent.objects.filter(ticket=t).count() == 3
    intake = TicketEvent.objects.get(ticket=t, kind="intake")
    assert intake.payload["source_fields"]["agency"] == "BOS"
    assert intake.payload["classified_by"] == "mapping"


def test_nyc311_sample(world, tmp_path):
    """Real New York rows: open ones (In Progress) are dispatched, rows without coordinates refused."""
    header, rows = us311_sample("nyc_2022_sample.csv", lambda row, i: i < 150 or not row["Latitude"])
    path = write_csv(tmp_path / "nyc.csv", header, rows)
    result, _ = run_import(path, "--format", "us311", "--report", str(tmp_path / "nyc.rejected.csv"))
    missing = sum(1 for r in rows if not r[header.index("Latitude")])
    assert result["source"] == "nyc311" and result["reasons"]["missing_coordinates"] == missing
    assert result["imported"] + result["rejected"] == len(rows)
    t = Ticket.objects.select_related("lead_unit", "category").get(idempotency_key="import:nyc311:54049402")
    assert t.state == "dispatched" and t.closed_at is None and t.lead_unit.code == "CD-GAJ"  # NYPD → 市公安局
    assert t.category.code == "90.06.06028" and "Loud Music/Party" in t.text
    closed = Ticket.objects.get(idempotency_key="import:nyc311:54046813")
    assert closed.state == "closed" and "Police Department responded" in closed.reply_text


def test_database_path(world):
    """The writer matches the database: binary COPY on PostgreSQL (run this suite under scripts/with-postgres.sh)."""
    from jiesu.importer.writer import PostgresWriter, SqliteWriter, make_writer

    writer = make_writer(connection)
    expected = PostgresWriter if connection.vendor == "postgresql" else SqliteWriter
    assert isinstance(writer, expected)


@pytest.mark.django_db(transaction=True)  # run_from_argv closes the connection: the teardown's next query reopens it
def test_cli_alias(world, sample, tmp_path, capsys):
    """`jiesu import …` is `import_tickets` (run_from_argv closes the connection: read the printed summary)."""
    import json

    from jiesu.cli import main

    main(["import", sample, "--report", str(tmp_path / "r.csv"), "--no-progress", "--lang", "en"])
    result = json.loads(capsys.readouterr().out.rstrip().splitlines()[-1])
    assert (result["imported"], result["rejected"]) == (3, 7)


def test_text_with_tabs_newlines_and_backslashes_is_stored_exactly(world, tmp_path):
    """\\, tab, newline and carriage return (which COPY's text format would have to escape) come back exactly,
    and the JSON payload is stored as JSON the database can look into."""
    text = "东华门街道路灯不亮\n第二行\t制表符 C:\\路径\\r 回车\r结束"
    reply = "已修复\\已回访\t完毕"
    rows = [["E1", "2025-03-01 09:00", "2025-03-02 10:00", "", "标题\\反斜杠", text, "东城区王府井大街", "", "",
             "", "closed", reply, "", "", ""]]
    result, _ = run_import(write_csv(tmp_path / "esc.csv", HEADER, rows), "--report", str(tmp_path / "r.csv"))
    assert result["imported"] == 1
    t = Ticket.objects.get(idempotency_key="import:csv:E1")
    assert (t.title, t.text, t.reply_text) == ("标题\\反斜杠", text, reply)
    assert TicketEvent.objects.get(ticket=t, kind="close").note == reply
    assert Assignment.objects.get(ticket=t, role="lead").reply_text == reply
    assert TicketEvent.objects.filter(kind="intake", payload__import__id="E1").get().ticket_id == t.id


def test_a_nul_character_in_any_column_refuses_the_row_by_column(world, tmp_path):
    """PostgreSQL cannot store NUL in text: a NUL anywhere (the id, a name, a column past the header) refuses
    the row naming each column, shown as ␀ in the report; the other rows import on both databases."""
    header = HEADER + ["来电人"]
    good = ["N3", "2025-03-01 09:00", "", "", "", "路灯不亮", "东城区王府井大街", "", "", "", "", "", "", "", "", ""]
    rows = [["N\x001"] + good[1:],
            good[:5] + ["路灯\x00不亮"] + good[6:-1] + ["张\x00三"],
            good,
            ["N4"] + good[1:] + ["多出的一列\x00"]]
    result, _ = run_import(write_csv(tmp_path / "nul.csv", header, rows), "--report", str(tmp_path / "r.csv"),
                           lang="zh-hans")
    assert (result["imported"], result["rejected"]) == (1, 3)
    assert result["reasons"] == {"nul": 4}
    report = by_line(read_report(tmp_path / "r.csv"))
    assert [r[1:4] + r[5:] for r in report[2]] == [["N\u24001", "未导入", "external_id", "N\u24001"]]
    assert [(r[3], r[5]) for r in report[3]] == [("text", "路灯\u2400不亮"), ("来电人", "张\u2400三")]
    assert report[5][0][3] == "#17" and report[5][0][4] == "含有空字符（NUL）"
    assert Ticket.objects.filter(idempotency_key__startswith="import:csv:N").count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_import_every_row_once_and_keep_the_earlier_of_two_lines(world, tmp_path):
    """PostgreSQL writes batches on several connections at once (SQLite on one): the result is the same."""
    from jiesu.importer.writer import make_writers

    writers = make_writers(connection, 3)
    try:
        assert len(writers) == (3 if connection.vendor == "postgresql" else 1)
    finally:
        for writer in writers:
            writer.close()
    path = write_csv(tmp_path / "parallel.csv", HEADER, with_two_repeats())
    result, _ = run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2", "--writers", "3",
                           "--processes", "1")
    assert (result["imported"], result["rejected"]) == (12, 2)
    assert result["writers"] == (3 if connection.vendor == "postgresql" else 1)
    assert result["reasons"] == {"duplicate_in_run": 2}
    assert Ticket.objects.filter(idempotency_key__startswith="import:csv:P").count() == 12
    assert Ticket.objects.get(idempotency_key="import:csv:P3").title.startswith("第3条")  # the earlier line
    report = by_line(read_report(tmp_path / "r.csv"))
    assert sorted(report) == [6, 15]
    again, _ = run_import(path, "--report", str(tmp_path / "r2.csv"), "--batch-size", "2", "--writers", "3",
                          "--processes", "1")
    assert (again["imported"], again["already_imported"], again["rejected"]) == (0, 14, 0)  # all in the database now


@pytest.mark.django_db(transaction=True)
def test_a_writer_connection_that_cannot_be_opened_leaves_fewer_writers(world, monkeypatch, caplog):
    from jiesu.importer.writer import make_writers

    params = connection.get_connection_params()
    monkeypatch.setattr(connection, "get_connection_params", lambda: {**params, "host": "127.0.0.1", "port": 1})
    writers = make_writers(connection, 3)
    try:
        assert len(writers) == 1
    finally:
        for writer in writers:
            writer.close()
    if connection.vendor == "postgresql":
        assert "could not open another connection" in caplog.text


def test_batches_wait_only_for_a_batch_in_flight_that_shares_an_external_id():
    """The order of submissions and results with two writers (the writer here only records what it is given)."""
    from collections import deque
    from concurrent.futures import Future

    from jiesu.importer.services import Importer, Summary
    from jiesu.importer.writer import Batch

    log = []

    class RecordingWriter:
        in_flight = 2

        def submit(self, batch):
            log.append(("submit", tuple(batch.keys)))
            written = Future()
            written.set_result(tuple(batch.keys))
            return written

    def staged(*keys):
        batch = Batch()
        for key in keys:
            batch.add(key, None, (), ())
        return batch, [], []

    importer = Importer.__new__(Importer)
    importer._finish = lambda future, prepared, refused: log.append(("finish", future.result()))
    importer.summary = Summary()
    pending, writer = deque(), RecordingWriter()
    for keys in (("a", "b"), ("c",), ("d",), ("c", "e")):
        importer._advance(writer, pending, staged(*keys))
    assert log == [("submit", ("a", "b")), ("submit", ("c",)),
                   ("submit", ("d",)), ("finish", ("a", "b")),  # three submitted: the oldest is taken
                   ("finish", ("c",)), ("finish", ("d",)), ("submit", ("c", "e"))]  # c is in flight: all first
    assert [entry[3] for entry in pending] == [{"c", "e"}]


def test_a_dry_run_finds_an_id_repeated_in_a_later_batch(world, tmp_path):
    """A real run finds the earlier line's ticket in the database; a dry run has written none and still finds it."""
    rows = numbered_rows("D", 5) + [repeat_of("D1")]
    path = write_csv(tmp_path / "dry.csv", HEADER, rows)
    for batch_size in ("2", "10"):  # the repeat in a later batch, then in the same one
        dry, _ = run_import(path, "--report", str(tmp_path / "dry.rejected.csv"), "--batch-size", batch_size,
                            "--dry-run", lang="zh-hans")
        assert (dry["imported"], dry["rejected"], dry["reasons"]) == (5, 1, {"duplicate_in_file": 1})
        assert "dry_run_ids" in dry["timings"]  # the look-ups of the ids seen have a stage of their own
        assert by_line(read_report(tmp_path / "dry.rejected.csv"))[7][0][4] == "外部编号与本文件第 3 行重复"
    real, _ = run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "2")
    assert (real["imported"], real["rejected"]) == (dry["imported"], dry["rejected"])
    assert "dry_run_ids" not in real["timings"]


def test_a_run_tunes_the_cyclic_gc_and_leaves_it_as_it_was(world, sample, tmp_path):
    import gc

    from jiesu.core.collector import YOUNG_GC_THRESHOLD
    from jiesu.importer.services import Importer

    before = gc.get_threshold()
    during = []

    def look(position, summary):
        during.append((gc.get_threshold()[0], gc.get_freeze_count()))

    callbacks = list(gc.callbacks)
    summary = Importer(sample, "csv", report=tmp_path / "r.csv", on_tick=look).run()
    assert during and all(t == YOUNG_GC_THRESHOLD and frozen > 0 for t, frozen in during)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0 and gc.callbacks == callbacks
    assert summary.timings["gc.cyclic"] > 0  # at least the full collection before the freeze

    def fail(position, summary):
        raise RuntimeError("stopped by the test")

    with pytest.raises(RuntimeError, match="stopped by the test"):
        Importer(sample, "csv", report=tmp_path / "r2.csv", on_tick=fail).run()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0 and gc.callbacks == callbacks


def test_an_empty_catalogue_is_refused_with_what_to_run(db, tmp_path):
    from django.core.management.base import CommandError

    from jiesu.dispatch.router import invalidate

    invalidate()
    path = write_csv(tmp_path / "t.csv", HEADER, numbered_rows("E", 2))
    try:
        with pytest.raises(CommandError, match=r"category catalogue is empty.*jiesu seed_reference"):
            run_import(path, "--report", str(tmp_path / "r.csv"))
    finally:
        invalidate()
    assert Ticket.objects.count() == 0


def write_encoded(path, rows, encoding):
    """A CSV file of HEADER and rows in the given encoding."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return str(path)


def test_a_gbk_file_as_excel_saves_it_on_a_chinese_windows_is_read(world, tmp_path):
    path = write_encoded(tmp_path / "gbk.csv", GOOD, "gbk")
    result, _ = run_import(path, "--report", str(tmp_path / "r.csv"))
    assert (result["imported"], result["rejected"]) == (3, 0)
    assert Ticket.objects.get(idempotency_key="import:csv:A1").text == "东华门街道某小区门口垃圾堆积很多天没人清运"


def test_a_file_that_turns_unreadable_part_way_stops_there_and_a_rerun_of_the_mended_file_completes_it(
        world, tmp_path, monkeypatch):
    from django.core.management.base import CommandError

    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 10_000)  # the encoding is chosen from the first 10 kB: UTF-8
    rows = numbered_rows("U", 150)  # ≈ 17 kB
    last = "U999,2025-03-05 09:00:00,,电话,噪音,楼上装修噪音太大,,,,,,,110101001,,\n"
    path = tmp_path / "mixed.csv"
    write_encoded(path, rows, "utf-8")
    with open(path, "ab") as fh:  # one more row, saved as GBK
        fh.write(last.encode("gbk"))
    with pytest.raises(CommandError, match=r"mixed.csv: line 152: bytes that are not UTF-8 text.*; line 152 looks "
                                           r"GBK/GB18030-encoded; .*; the rows before it are written: 150 rows "
                                           r"imported in whole batches \(0 already imported, 0 rejected\); of these: 150 open tickets "
                                           r"already past their time limit[^;]*; a re-run "
                                           r"of the mended file skips them; report: .*r1.csv$"):
        run_import(str(path), "--report", str(tmp_path / "r1.csv"), "--batch-size", "20")
    written = Ticket.objects.filter(idempotency_key__startswith="import:csv:U").count()
    assert written == 150  # every row before the line (the header is line 1)
    write_encoded(path, rows, "utf-8")
    with open(path, "ab") as fh:  # mended: the last row in UTF-8 too
        fh.write(last.encode("utf-8"))
    again, _ = run_import(str(path), "--report", str(tmp_path / "r2.csv"))
    assert (again["imported"], again["already_imported"]) == (151 - written, written)
    assert Ticket.objects.filter(idempotency_key__startswith="import:csv:U").count() == 151


def test_a_file_that_is_no_text_is_refused_by_name(world, tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00\x81" * 100)
    with pytest.raises(CommandError, match="neither UTF-8 nor GBK/GB18030 text"):
        run_import(str(path), "--report", str(tmp_path / "r.csv"))


CHINESE_HEADER = ["工单编号", "受理时间", "办结时间", "来源渠道", "诉求标题", "诉求内容", "事发地址", "经度", "纬度",
                  "问题分类", "工单状态", "答复内容", "街乡编码", "承办单位", "联系电话"]


def test_a_header_in_chinese_as_12345_exports_name_the_columns_is_read(world, tmp_path):
    assert len(CHINESE_HEADER) == len(HEADER)
    bad = ["B1", "2025-02-30 25:61", "", "电话", "", "门口垃圾没人清运", "", "", "", "", "", "", "", "", ""]
    path = write_csv(tmp_path / "zh.csv", CHINESE_HEADER, GOOD + [bad])
    result, _ = run_import(path, "--report", str(tmp_path / "r.csv"))
    assert (result["imported"], result["rejected"]) == (3, 1)
    a1 = Ticket.objects.get(idempotency_key="import:csv:A1")
    assert (a1.title, a1.text, a1.state) == ("垃圾堆积", "东华门街道某小区门口垃圾堆积很多天没人清运", "closed")
    report = by_line(read_report(tmp_path / "r.csv"))
    assert report[5][0][3] == "受理时间"  # the report names the column as the file does


def test_one_field_in_two_columns_is_refused_by_name(world, tmp_path):
    from django.core.management.base import CommandError

    path = write_csv(tmp_path / "twice.csv", HEADER + ["内容"], [row + ["x"] for row in GOOD])
    with pytest.raises(CommandError, match="one field in several columns: text \\(text, 内容\\)"):
        run_import(path, "--report", str(tmp_path / "r.csv"))


def test_closed_history_imported_with_its_category_teaches_the_desk(world, tmp_path, settings):
    """The source system's category is a person's: such closed tickets are training examples; those the
    classifier categorised at import, and open ones, are not (jiesu.dispatch.training)."""
    from jiesu.dispatch import training

    history = [
        ["H1", "2025-03-01 09:00", "2025-03-02 10:00", "", "油烟", "楼下饭店油烟太大", "东城区王府井大街", "", "",
         "04.05.04", "已办结", "已处理", "", "", ""],
        ["H2", "2025-03-01 09:00", "2025-03-02 10:00", "", "油烟", "楼下饭店油烟太大", "东城区王府井大街", "", "",
         "", "已办结", "已处理", "", "", ""],
        ["H3", "2025-03-01 09:00", "", "", "油烟", "楼下饭店油烟太大", "东城区王府井大街", "", "", "04.05.04", "",
         "", "", "", ""],
    ]
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(tmp_path / "desk.npz")}
    result, lines = run_import(write_csv(tmp_path / "history.csv", HEADER, history))
    assert result["imported"] == 3 and result["classified"] == {"classifier": 1, "file": 2}
    assert result["training_examples"] == 1
    said = next(line for line in lines if "the dispatcher's desk learns from the 1 closed with the source's" in line)
    assert said.endswith(f"(or now: jiesu dispatch retrain --model {tmp_path / 'desk.npz'})")
    assert list(training.confirmed_tickets().values_list("idempotency_key", flat=True)) == ["import:csv:H1"]
    assert [(e.title, e.label) for e in training.confirmed_examples()] == [("油烟", "04.05.04")]
