"""`jiesu import` records how it found each ticket's place (Ticket.place_source) as intake does: a place code of the
file is a unit chosen, coordinates are coordinates, an address or the text is the address's kind, no place is ""."""
from datetime import timedelta

from django.utils import timezone

from jiesu.tickets.models import PlaceSource, Ticket

from .conftest import read_report, run_import, write_csv
from .test_import import HEADER
from .test_import_audit8 import UNIT_HEADER
from .test_import_audit9 import NOTED_HEADER, noted_rows

EMPTY = {name: "" for name in HEADER}


def row(external_id, **values):
    """An open row of HEADER with the given columns, the others empty."""
    filled = {**EMPTY, "external_id": external_id, "created_at": "2025-03-02 10:00", "text": "楼下饭店油烟太大",
              **values}
    return [filled[name] for name in HEADER]


PLACED = [
    row("CODE", street_code="110101001"),
    row("POINT", lon="116.4039", lat="39.9155"),
    row("ADDRESS", address="东城区王府井大街"),
    row("TEXT", text="东华门街道某小区门口垃圾堆积很多天没人清运"),
    row("NOWHERE", text="油烟太大"),
]


def place_sources():
    return dict(Ticket.objects.values_list("idempotency_key", "place_source"))


def test_each_imported_row_records_how_its_place_was_found(world, tmp_path):
    result, _lines = run_import(write_csv(tmp_path / "placed.csv", HEADER, PLACED))
    assert result["imported"] == 5
    assert place_sources() == {
        "import:csv:CODE": PlaceSource.CHOSEN, "import:csv:POINT": PlaceSource.COORDINATES,
        "import:csv:ADDRESS": PlaceSource.ADDRESS, "import:csv:TEXT": PlaceSource.ADDRESS, "import:csv:NOWHERE": ""}


def test_a_row_with_a_place_has_its_units_and_a_row_without_has_none(world, tmp_path):
    run_import(write_csv(tmp_path / "placed.csv", HEADER, PLACED))
    streets = dict(Ticket.objects.values_list("idempotency_key", "street_id"))
    assert all(streets[key] is not None for key, source in place_sources().items() if source)
    assert streets["import:csv:NOWHERE"] is None


# ─────────────────────────────────────────────── the summary and the report of the same run

def test_a_dry_run_reports_a_noted_row_as_one_that_would_be_imported(world, tmp_path):
    path = write_csv(tmp_path / "noted.csv", NOTED_HEADER, noted_rows()[:2])
    report = tmp_path / "r.csv"
    run_import(path, "--report", str(report), "--dry-run", lang="zh-hans")
    assert [r[:3] for r in read_report(report)[1:]] == [["3", "T1", "将导入（有备注）"]]
    run_import(path, "--report", str(report), lang="zh-hans")
    assert [r[:3] for r in read_report(report)[1:]] == [["3", "T1", "已导入（有备注）"]]


def test_the_chinese_summary_gives_a_notes_reason_and_the_english_its_code_too(world, tmp_path):
    path = write_csv(tmp_path / "noted.csv", NOTED_HEADER, noted_rows()[:2] + [["T9", "2025-03-01 09:00"] + [""] * (len(NOTED_HEADER) - 2)])
    result, lines = run_import(path, "--report", str(tmp_path / "zh.csv"), "--dry-run", lang="zh-hans")
    assert result["notes"] == {"unusable_phone": 1} and result["reasons"] == {"empty_text": 1}
    assert "         1  联系电话“…”不是一个可用的号码：导入时电话留空（原值保存在受理记录中）" in lines
    assert "         1  诉求内容为空" in lines
    assert not any("unusable_phone" in line or "empty_text" in line for line in lines[:-1])
    _result, lines = run_import(path, "--report", str(tmp_path / "en.csv"), "--dry-run")
    assert any(line.startswith("         1  unusable_phone: Phone number “…”") for line in lines)
    assert "         1  empty_text: Description is empty" in lines


def overdue_rows():
    """O1, O2: of 2019, sent to 东华门街道 (dispatched, long overdue); N1, N2: of 2019, no unit and no category
    (--min-probability 1: left to dispatch, past the dispatch time limit); N3: an hour old, left to dispatch."""
    recent = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    return [["O1", "2019-01-04 08:30", "路灯坏了一周", "东城区王府井大街", "东华门街道"],
            ["O2", "2019-02-04 08:30", "楼下垃圾没人清运", "东城区王府井大街", "东华门街道"],
            ["N1", "2019-01-05 08:30", "你好", "", ""], ["N2", "2019-03-05 08:30", "请问一下", "", ""],
            ["N3", recent, "谢谢你们", "", ""]]


def test_overdue_tickets_left_to_dispatch_are_counted_apart(world, tmp_path):
    path = write_csv(tmp_path / "open.csv", UNIT_HEADER, overdue_rows())
    args = ("--report", str(tmp_path / "r.csv"), "--min-probability", "1")
    dry, lines = run_import(path, *args, "--dry-run", lang="zh-hans")
    assert (dry["overdue_open"], dry["overdue_undispatched"]) == (2, 2)
    assert "另有 2 件未派单工单已超过派单时限（没有可派的承办单位）" in lines
    result, lines = run_import(path, *args, lang="zh-hans")
    assert result["states"] == {"dispatched": 2, "new": 3}
    assert (result["overdue_open"], result["overdue_since"], result["overdue_undispatched"]) == (2, "2019-01-04", 2)
    assert "另有 2 件未派单工单已超过派单时限（没有可派的承办单位）" in lines
    assert sorted(Ticket.objects.filter(state="new", warning_level=2).values_list("idempotency_key", flat=True)) == [
        "import:csv:N1", "import:csv:N2"]  # what the summary counts is what the dispatch desk shows


def test_overdue_tickets_left_to_dispatch_alone_are_worded_as_of_these(world, tmp_path):
    path = write_csv(tmp_path / "open.csv", UNIT_HEADER, overdue_rows()[2:])
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), "--min-probability", "1", lang="zh-hans")
    assert (result["overdue_open"], result["overdue_undispatched"]) == (0, 2)
    assert "其中 2 件未派单工单已超过派单时限（没有可派的承办单位）" in lines
    _result, lines = run_import(write_csv(tmp_path / "more.csv", UNIT_HEADER, [["N4", "2019-01-05 08:30", "你好",
                                                                                "", ""]]),
                                "--report", str(tmp_path / "r2.csv"), "--min-probability", "1")
    assert ("of these, 1 open tickets left to dispatch (no unit to dispatch them to) are already past their dispatch "
            "time limit") in lines
