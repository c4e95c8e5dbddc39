"""Audit 12's import findings: a file not separated by commas (1), a place code the org tree lacks (2), rows
imported without a place (3), an export imported again under another --source (9), the report's text lines (11),
what Excel does to an export (14), the reasons block's heading (17)."""
import pytest
from django.core.management.base import CommandError

from jiesu.importer import formats as F
from jiesu.tickets.models import Ticket
from jiesu.units.models import Unit

from .conftest import read_report, run_import, write_csv
from .test_import import HEADER
from .test_import_place_source import row

CLOSED = {"state": "closed", "closed_at": "2025-03-03 10:00"}
CHINESE_HEADER = ["工单编号", "受理时间", "诉求内容"]


def lines_of(report, external_id):
    return [line for line in read_report(report) if line[1] == external_id]


@pytest.mark.parametrize("separator, words", [(";", "其中有分号"), ("\t", "其中有制表符"), ("|", "其中有竖线（|）")])
def test_a_header_of_one_column_holding_another_separator_says_the_file_is_not_comma_separated(
        world, tmp_path, separator, words):
    path = tmp_path / "semi.csv"
    path.write_text(separator.join(CHINESE_HEADER) + "\n" + separator.join(["A1", "2025-03-02 10:00", "油烟"]) + "\n",
                    encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert f"表头只有一列，{words}：文件不是逗号分隔的" in str(refused.value)
    assert "缺少列" not in str(refused.value)


def test_an_unknown_place_code_falls_back_to_its_district_and_the_note_says_what_was_found(world, tmp_path):
    rows = [row("ZONE", street_code="110101400", **CLOSED), row("NOWHERE", street_code="999999999", **CLOSED),
            row("BYADDRESS", street_code="999999999", address="东城区王府井大街", **CLOSED)]
    report = tmp_path / "r.csv"
    result, _lines = run_import(write_csv(tmp_path / "codes.csv", HEADER, rows), "--report", str(report),
                                lang="zh-hans")
    assert result["imported"] == 3
    assert Ticket.objects.get(idempotency_key="import:csv:ZONE").district == Unit.objects.get(code="110101")
    assert lines_of(report, "ZONE")[0][4] == "未识别街乡编码“110101400”：按区划代码前 6 位定位到东城区"
    assert lines_of(report, "NOWHERE")[0][4] == "未识别区划代码“999999999”：该行没有坐标或地址，未能定位"
    assert lines_of(report, "BYADDRESS")[0][4] == "未识别区划代码“999999999”：已按坐标或地址定位"
    assert result["notes"] == {"place_code_district": 1, "unknown_place_nothing": 1, "unknown_place": 1}


def test_rows_without_a_place_are_counted_said_and_listed_in_the_report(world, tmp_path):
    rows = [row("MARS", address="火星基地3号", **CLOSED), row("NOTHING", text="油烟太大", **CLOSED),
            row("PLACED", address="东城区王府井大街", **CLOSED)]
    report = tmp_path / "r.csv"
    result, lines = run_import(write_csv(tmp_path / "p.csv", HEADER, rows), "--report", str(report), lang="zh-hans")
    assert result["no_place"] == {"address": 1, "nothing": 1}
    assert ("其中 2 件未能定位（地名库中找不到地址 1、没有区划代码、地址或坐标 1），不计入任何区、街道的统计；请核对地址（每行都列在报告中）"
            in lines)
    mars = lines_of(report, "MARS")
    assert [line[2:] for line in mars] == [["已导入（未能定位）", "address", "导入时未能定位：地名库中找不到该地址：不计入任何区、街道的统计",
                                            "火星基地3号"]]
    assert lines_of(report, "PLACED") == []
    assert f"未导入的行、有备注的行和未能定位的行的报告：{report}" in lines


def test_an_export_imported_before_under_another_source_is_refused_naming_how_many_and_an_example(world, tmp_path):
    path = write_csv(tmp_path / "export.csv", HEADER, [row("E1", **CLOSED), row("E2", **CLOSED)])
    run_import(path, "--report", str(tmp_path / "r1.csv"))
    e1 = Ticket.objects.get(idempotency_key="import:csv:E1")
    dry, lines = run_import(path, "--report", str(tmp_path / "r2.csv"), "--source", "old12345", "--dry-run",
                            lang="zh-hans")
    assert dry["other_source"] == {"rows": 2, "sources": {"csv": 2}, "example": ["E1", e1.number]}
    assert (f"警告：2 行的工单编号已由来源 csv 导入（如 E1 → {e1.number}）：正式导入时将拒绝该文件，除非加 --duplicate-other-source"
            in lines)
    with pytest.raises(CommandError) as refused:
        run_import(path, "--report", str(tmp_path / "r3.csv"), "--source", "old12345", lang="zh-hans")
    assert f"2 行的工单编号已由来源 csv 导入（如 E1 → {e1.number}）：同一文件请用相同的 --source" in str(refused.value)
    assert Ticket.objects.count() == 2
    again, _lines = run_import(path, "--report", str(tmp_path / "r4.csv"))  # the same source: no other source
    assert again["other_source"]["rows"] == 0 and again["already_imported"] == 2


def test_the_report_counts_text_lines_and_the_summary_says_so(world, tmp_path):
    rows = [row("MULTI", text="第一行\n第二行\n第三行", **CLOSED), row("BAD", created_at="2025-13-40 25:00")]
    report = tmp_path / "r.csv"
    _result, lines = run_import(write_csv(tmp_path / "m.csv", HEADER, rows), "--report", str(report), lang="zh-hans")
    assert read_report(report)[0][0] == "文本行号"
    assert lines_of(report, "BAD")[0][0] == "5"  # the header, MULTI's three lines: Excel's row 3
    assert any(line.startswith("（报告的文本行号及原因中的“第 N 行”按文件的文本行计") for line in lines)


def test_excel_scientific_ids_stop_the_file_before_they_are_imported(world, tmp_path):
    rows = [row("X1", **CLOSED), row("2.02501E+14", **CLOSED), row("2.02501E+14", **CLOSED)]
    with pytest.raises(CommandError) as refused:
        run_import(write_csv(tmp_path / "x.csv", HEADER, rows), "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert "第 3 行：外部编号“2.02501E+14”像是被 Excel 改成了科学计数法" in str(refused.value)
    assert not Ticket.objects.filter(idempotency_key__startswith="import:csv:2.").exists()


def test_excel_serial_dates_and_a_lost_leading_zero_are_named_as_excels_doing(world, tmp_path):
    rows = [row("SERIAL", created_at="45662.376"), row("ZERO", citizen_phone="1065123456", **CLOSED),
            row("BADPHONE", citizen_phone="12", **CLOSED)]
    report = tmp_path / "r.csv"
    result, _lines = run_import(write_csv(tmp_path / "e.csv", HEADER, rows), "--report", str(report), lang="zh-hans")
    assert result["reasons"] == {"excel_serial_date": 1}
    assert lines_of(report, "SERIAL")[0][4].startswith("不是有效的日期时间：“45662.376”像是 Excel 的日期序号")
    assert lines_of(report, "ZERO")[0][4].startswith("联系电话“1065123456”像是丢了开头的 0")
    assert result["notes"] == {"phone_lost_zero": 1, "unusable_phone": 1}


def test_the_excel_checks_are_pure_and_narrow():
    assert F.bad_time("45662.376") == "excel_serial_date" and F.bad_time("2025-13-40") == "bad_date"
    assert F.bad_time("12345") == "bad_date"  # outside 1954–2119
    assert F.lost_leading_zero("1065123456") and not F.lost_leading_zero("13912345678x")
    assert F.SCIENTIFIC_NOTATION.match("2.02501E+14") and not F.SCIENTIFIC_NOTATION.match("BJ12345-00001")


def test_the_reasons_heading_names_rows_imported_before_too(world, tmp_path):
    path = write_csv(tmp_path / "h.csv", HEADER, [row("H1", **CLOSED)])
    run_import(path, "--report", str(tmp_path / "r1.csv"))
    _result, lines = run_import(path, "--report", str(tmp_path / "r2.csv"))
    assert "why rows were not imported or were imported before (rows may have several):" in lines


def test_every_part_of_a_split_file_stops_at_the_same_scientific_id(world, tmp_path):
    """Parts (PostgreSQL's processes) each read every row: all stop at the id Excel changed, not only its owner."""
    from jiesu.importer.services import Importer, StoppedPartWay

    rows = [row(f"S{i}", **CLOSED) for i in range(6)] + [row("2.02501E+14", **CLOSED), row("AFTER", **CLOSED)]
    path = write_csv(tmp_path / "split.csv", HEADER, rows)
    for k in range(3):
        with pytest.raises(StoppedPartWay, match="scientific notation"):
            Importer(path, "csv", report=tmp_path / f"r{k}.csv", part=(k, 3), lang="en").run()
    assert Ticket.objects.count() == 6 and not Ticket.objects.filter(idempotency_key="import:csv:AFTER").exists()


def test_a_clean_run_does_not_explain_the_line_numbers_of_an_empty_report(world, tmp_path):
    _result, lines = run_import(write_csv(tmp_path / "c.csv", HEADER, [row("C1", address="东城区王府井大街",
                                                                         **CLOSED)]), lang="zh-hans")
    assert not any("文本行号" in line for line in lines)
