"""`jiesu import` after audit 9: rows imported with a note (a value replaced) are listed in the report, a category
the classifier is less sure of than --min-probability is not stored, and the summary's and the stop's words (a dry
run's counts, the closing time's column as the file names it, a count of lines in the right number, the counts of
the rows written before a stop)."""
import csv

import pytest
from django.core.management.base import CommandError

from jiesu.importer.parallel import merge_reports
from jiesu.importer.services import open_report
from jiesu.tickets.models import Ticket, TicketEvent

from .conftest import read_report, run_import, write_csv
from .test_import import HEADER, numbered_rows
from .test_import_audit8 import GBK_ROW, PHONE_HEADER, mixed_file, open_rows, phone_row

NOTED_HEADER = PHONE_HEADER + ["unit"]


def noted_rows():
    """T0 clean; T1 an unusable phone; T2 an unknown unit; T3 both."""
    return [phone_row(0, "13900139000") + [""], phone_row(1, "110") + [""],
            phone_row(2, "13900139000") + ["不存在的单位"], phone_row(3, "1390013900") + ["不存在的单位"]]


# ─────────────────────────────────────────────── rows with a note, in the report

def test_rows_imported_with_a_note_are_listed_in_the_report_by_line(world, tmp_path):
    path = write_csv(tmp_path / "noted.csv", NOTED_HEADER, noted_rows())
    report = tmp_path / "r.csv"
    result, lines = run_import(path, "--report", str(report), lang="zh-hans")
    assert (result["imported"], result["notes"]) == (4, {"unusable_phone": 2, "unknown_unit": 2})
    rows = read_report(report)
    assert rows[0] == ["文本行号", "外部编号", "结果", "字段", "原因", "值"]
    assert [r[:4] + [r[5]] for r in rows[1:]] == [
        ["3", "T1", "已导入（有备注）", "citizen_phone", "110"],
        ["4", "T2", "已导入（有备注）", "unit", "不存在的单位"],
        ["5", "T3", "已导入（有备注）", "citizen_phone", "1390013900"],
        ["5", "T3", "已导入（有备注）", "unit", "不存在的单位"]]
    assert rows[1][4] == "联系电话“110”不是一个可用的号码：导入时电话留空（原值保存在受理记录中）"
    assert "被替换的值（这些行已导入，每行都列在报告中）：" in lines
    assert f"未导入的行和有备注的行的报告：{report}" in lines
    assert Ticket.objects.count() == 4


def test_the_noted_rows_in_english_with_a_chinese_header_name_their_columns(world, tmp_path):
    header = ["工单编号", "受理时间", "办结时间", "诉求内容", "事发地址", "联系电话", "承办单位"]
    path = write_csv(tmp_path / "noted.csv", header, noted_rows())
    report = tmp_path / "r.csv"
    _result, lines = run_import(path, "--report", str(report), "--dry-run")
    rows = read_report(report)
    assert rows[0] == ["text line", "external id", "result", "field", "reason", "value"]
    assert rows[1][:4] == ["3", "T1", "would be imported with a note", "联系电话"]
    assert rows[2][:4] == ["4", "T2", "would be imported with a note", "承办单位"]
    assert "values replaced (rows that would be imported; each row listed in the report):" in lines
    assert f"report of rows not imported and of rows with a replaced value: {report}" in lines


def test_a_file_without_notes_keeps_the_report_of_rows_not_imported(world, tmp_path):
    path = write_csv(tmp_path / "clean.csv", PHONE_HEADER, [phone_row(0, "13900139000")])
    report = tmp_path / "r.csv"
    _result, lines = run_import(path, "--report", str(report))
    assert read_report(report) == [["text line", "external id", "result", "field", "reason", "value"]]
    assert f"report of rows not imported: {report}" in lines


def test_merging_the_parts_reports_keeps_a_rows_notes_together_in_line_order(tmp_path):
    header = ["text line", "external id", "result", "field", "reason", "value"]
    parts = [tmp_path / "p0", tmp_path / "p1"]
    contents = [[["3", "A", "rejected", "text", "empty", ""], ["7", "C", "imported with a note", "unit", "u", "x"],
                 ["7", "C", "imported with a note", "citizen_phone", "p", "110"]],
                [["5", "B", "imported with a note", "unit", "u", "y"], ["9", "D", "already imported", "id", "a", "D"]]]
    for part, rows in zip(parts, contents):
        with open_report(part) as fh:
            csv.writer(fh).writerows([header] + rows)
    merge_reports(parts, tmp_path / "out.csv")
    merged = read_report(tmp_path / "out.csv")
    assert merged[0] == header
    assert [(r[0], r[3]) for r in merged[1:]] == [("3", "text"), ("5", "unit"), ("7", "unit"),
                                                  ("7", "citizen_phone"), ("9", "id")]


# ─────────────────────────────────────────────── --min-probability

UNSURE_HEADER = ["external_id", "created_at", "closed_at", "text", "address"]
VAGUE = ["你好", "请问一下", "谢谢你们", "有个事情想问问"]


def vague_rows():
    """Texts the classifier cannot be sure of: two closed, two open."""
    return [[f"V{i}", "2025-03-01 09:00", "2025-03-02 09:00" if i < 2 else "", t, "东城区王府井大街"]
            for i, t in enumerate(VAGUE)]


def test_a_category_below_min_probability_is_not_stored_and_the_row_is_listed(world, tmp_path):
    path = write_csv(tmp_path / "vague.csv", UNSURE_HEADER, vague_rows())
    report = tmp_path / "r.csv"
    result, lines = run_import(path, "--report", str(report), "--min-probability", "0.99", lang="zh-hans")
    assert result["imported"] == 4 and result["min_probability"] == 0.99
    assert result["classified"] == {"none": 4} and result["notes"] == {"unsure_category": 4}
    assert result["unclassified_unsure"] == 4 and result["unsure_category"] == 0
    tickets = {t.idempotency_key: t for t in Ticket.objects.all()}
    assert all(t.category_id is None for t in tickets.values())
    assert [tickets[f"import:csv:V{i}"].state for i in range(4)] == ["closed", "closed", "new", "new"]
    assert not TicketEvent.objects.filter(kind="dispatch").exists()  # no unit got a ticket by a guess
    rows = read_report(report)[1:]
    assert [r[:4] for r in rows] == [[str(i + 2), f"V{i}", "已导入（有备注）", "category"] for i in range(4)]
    assert rows[0][4].startswith("自动分类为 ") and "低于 --min-probability：导入时不填分类" in rows[0][4]
    assert rows[0][5].endswith("%）")  # the guessed category's code and name, and its probability
    intake = TicketEvent.objects.get(ticket=tickets["import:csv:V0"], kind="intake")
    assert intake.payload["notes"][0][0] == "unsure_category" and intake.payload["classified_by"] is None
    assert ("其中 4 件自动分类的把握低于 99%（--min-probability），未填分类：未办结的留待派单员派单，均列在报告中"
            in lines)


def test_min_probability_in_english_and_its_default_stores_every_category(world, tmp_path):
    path = write_csv(tmp_path / "vague.csv", UNSURE_HEADER, vague_rows())
    dry, lines = run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", "--min-probability", "0.99")
    assert ("of these, 4 left without a category: the classifier was less than 99% sure (--min-probability); open "
            "ones wait for a dispatcher, all are listed in the report") in lines
    result, _lines = run_import(path, "--report", str(tmp_path / "r.csv"))
    assert result["min_probability"] == 0 and result["classified"] == {"classifier": 4} and not result["notes"]
    assert Ticket.objects.filter(category__isnull=False).count() == 4


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_min_probability_outside_0_to_1_is_refused(world, tmp_path, value):
    path = write_csv(tmp_path / "vague.csv", UNSURE_HEADER, vague_rows())
    with pytest.raises(CommandError, match=f"--min-probability 须在 0 到 1 之间，不能是 {value}"):
        run_import(path, "--report", str(tmp_path / "r.csv"), "--min-probability", value, lang="zh-hans")


# ─────────────────────────────────────────────── the dry run's summary and the closing time's column

def test_a_dry_run_gives_no_event_or_assignment_counts(world, tmp_path):
    path = write_csv(tmp_path / "noted.csv", NOTED_HEADER, noted_rows())
    _dry, lines = run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", lang="zh-hans")
    assert not any(line.startswith("事件 ") for line in lines)
    _result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert any(line.startswith("事件 ") and "派单" in line for line in lines)


def test_the_overdue_line_names_the_closing_column_as_the_file_does(world, tmp_path):
    chinese = ["工单编号", "受理时间", "诉求内容", "事发地址", "承办单位"]
    path = write_csv(tmp_path / "open.csv", chinese, open_rows())
    _dry, lines = run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", lang="zh-hans")
    assert any(line.endswith("原系统中已办结的行须填写办结时间（办结时间 列）") for line in lines)
    english = ["external_id", "created_at", "text", "address", "unit"]
    path = write_csv(tmp_path / "open_en.csv", english, open_rows())
    _dry, lines = run_import(path, "--report", str(tmp_path / "e.csv"), "--dry-run")
    assert any(line.endswith("rows closed in the source system need their closing time (column closed_at)")
               for line in lines)
    with_column = ["工单编号", "受理时间", "结案时间", "诉求内容", "事发地址", "承办单位"]
    path = write_csv(tmp_path / "open_col.csv", with_column, [r[:2] + [""] + r[2:] for r in open_rows()])
    _dry, lines = run_import(path, "--report", str(tmp_path / "c.csv"), "--dry-run", lang="zh-hans")
    assert any(line.endswith("须填写办结时间（结案时间 列）") for line in lines)


# ─────────────────────────────────────────────── bytes that are not text

def test_the_count_of_gbk_lines_in_a_small_utf8_file_is_in_the_right_number(world, tmp_path):
    path = mixed_file(tmp_path / "one.csv", numbered_rows("S", 20), GBK_ROW)
    with pytest.raises(CommandError, match=r"line 22 looks GBK/GB18030-encoded \(1 such line\): save"):
        run_import(path, "--report", str(tmp_path / "r.csv"))
    path = mixed_file(tmp_path / "two.csv", numbered_rows("S", 20), GBK_ROW + GBK_ROW.replace("G1", "G2"))
    with pytest.raises(CommandError, match=r"line 22 looks GBK/GB18030-encoded \(2 such lines\): save"):
        run_import(path, "--report", str(tmp_path / "r.csv"))


@pytest.mark.django_db(transaction=True)
def test_a_stop_rewords_the_line_and_gives_the_written_rows_overdue_and_unsure_counts(world, tmp_path, monkeypatch):
    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 2_000)
    overdue = [[f"O{i}", "2019-01-04 08:30", "", "", "", f"第{i}条 路灯坏了一周", "东城区王府井大街", "", "", "", "",
                "", "", "", ""] for i in range(40)]
    assert len(overdue[0]) == len(HEADER)
    path = mixed_file(tmp_path / "mixed.csv", overdue, GBK_ROW)
    with pytest.raises(CommandError) as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), "--batch-size", "10", lang="zh-hans")
    said = str(caught.value)
    assert "第 42 行有字节不是 UTF-8 编码（文件开头是 UTF-8；无效的起始字节）；这一行像是 GBK/GB18030 编码" in said
    dispatched = Ticket.objects.filter(state="dispatched", warning_level=2).count()
    assert dispatched > 0 and f"；其中：{dispatched} 件未办结工单已超过办理时限" in said
    with pytest.raises(CommandError) as caught:
        run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", "--source", "dry",
                   "--min-probability", "0.999")
    assert "; of these: " in str(caught.value) and "left without a category (below --min-probability)" in str(
        caught.value)
