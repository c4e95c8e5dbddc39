"""`jiesu import` after audit 8: a phone number never costs a historical ticket (the intake's rule, one rule), the
summary warns of unsure categories and of open tickets that arrive overdue, a stop at bytes that are not text says
what was written and what the line looks like, a file of a header alone is refused, a 311 header read as csv points
at --format us311, and the report is its owner's alone (0600)."""
import stat
from datetime import timedelta

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from jiesu.core.params import phone_digits, phone_number
from jiesu.importer.parallel import merge_reports
from jiesu.tickets.models import Ticket, TicketEvent

from .conftest import run_import, write_csv
from .test_import import GOOD, HEADER, numbered_rows

PHONE_HEADER = ["external_id", "created_at", "closed_at", "text", "address", "citizen_phone"]


def phone_row(i, phone):
    return [f"T{i}", "2025-03-01 09:00", "2025-03-02 09:00", f"第{i}条 王府井大街垃圾没人清运", "东城区王府井大街", phone]


# ─────────────────────────────────────────────── the phone rule (jiesu.core.params: the intake's, the importer's)

@pytest.mark.parametrize("typed, stored", [
    ("13900139000", "13900139000"), ("１３９００１３９０００", "13900139000"), ("139-0013-9000", "13900139000"),
    ("(010)65123456", "01065123456"), ("（010）6512 3456", "01065123456"), ("010-65123456转8021", "01065123456,8021"),
    ("139-0013-9000 转 8", "13900139000,8"), ("010-65123456 分机 12", "01065123456,12"),
    ("010 6512 3456 ext. 7", "01065123456,7"), ("010-65123456-8021", "01065123456,8021"),
    ("(010)65123456-8021", "01065123456,8021"), ("65123456-8021", "65123456,8021"), ("010-6512-3456", "01065123456"), ("+86 139-1111-3333", "13911113333"), ("+86 10 6512 3456", "01065123456"),
    ("0086-13911113333", "13911113333"), ("65123456", "65123456"), ("4008123123", "4008123123"),
    ("+1 213 555 0100", "+12135550100"), ("0044 20 7946 0958", "+442079460958"), ("+44 20 7946 0958", "+442079460958"),
    ("－", ""),
    ("无", ""), ("不详", ""), ("未知", ""), ("空", ""), ("-", ""), ("", ""), ("  ", ""), (None, ""),
])
def test_a_usable_number_is_stored_as_the_callers_digits_and_no_number_as_empty(typed, stored):
    assert phone_number(typed) == stored
    assert phone_digits(typed) == stored  # the key the intake stores and the same-caller look-up compares


@pytest.mark.parametrize("typed", ["1390013900", "139001390001", "12345", "110", "12345678901", "13900139000；13800138000",
                                   "13900139000/13800138000", "abc", "010-6512", "+86 139"])
def test_a_mobile_with_a_digit_too_few_or_many_a_service_number_or_two_numbers_are_no_usable_number(typed):
    assert phone_number(typed) is None


def test_the_intake_takes_and_refuses_what_the_importer_does(world):
    from jiesu.tickets.services import DomainError, IntakeData, validate_intake

    validate_intake(IntakeData(text="路灯坏了", citizen_phone="(010)6512 3456转8021"))
    validate_intake(IntakeData(text="路灯坏了", citizen_phone="１３９００１３９０００"))
    with pytest.raises(DomainError):
        validate_intake(IntakeData(text="路灯坏了", citizen_phone="1390013900"))


# ─────────────────────────────────────────────── the importer: notes, not rejections

def test_a_phone_that_cannot_be_used_is_a_note_and_the_ticket_is_imported(world, tmp_path):
    phones = ["13900139000", "１３９００１３９０００", "010-65123456转8021", "(010)65123456", "无", "不详", "",
              "13900139000；13800138000", "110", "1390013900"]
    path = write_csv(tmp_path / "phones.csv", PHONE_HEADER, [phone_row(i, p) for i, p in enumerate(phones)])
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert (result["imported"], result["rejected"]) == (10, 0)
    assert result["notes"] == {"unusable_phone": 2, "first_phone_kept": 1}
    assert "         2  联系电话“…”不是一个可用的号码：导入时电话留空（原值保存在受理记录中）" in lines  # the code: in the JSON
    assert "         1  联系电话“…”不止一个号码：导入第一个可用的号码（原值保存在受理记录中）" in lines
    stored = dict(Ticket.objects.values_list("idempotency_key", "citizen_phone"))
    assert [stored[f"import:csv:T{i}"] for i in range(10)] == [
        "13900139000", "13900139000", "01065123456,8021", "01065123456", "", "", "", "13900139000", "", ""]
    intake = TicketEvent.objects.get(ticket__idempotency_key="import:csv:T7", kind="intake")
    assert intake.payload["notes"] == [["first_phone_kept", "13900139000；13800138000"]]  # the whole value


def test_the_phone_note_in_english(world, tmp_path):
    path = write_csv(tmp_path / "phones.csv", PHONE_HEADER, [phone_row(1, "110")])
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), "--dry-run")
    assert result["notes"] == {"unusable_phone": 1} and result["imported"] == 1
    assert any("unusable_phone: Phone number “…” is not one usable number: imported without it" in line
               for line in lines)


# ─────────────────────────────────────────────── the summary's warnings

UNIT_HEADER = ["external_id", "created_at", "text", "address", "unit"]


def open_rows():
    """Two open rows of 2019 and 2020 sent to 东华门街道 (long overdue), one of an hour ago (not yet), one closed."""
    recent = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    return [["O1", "2020-05-06 10:00", "楼下垃圾没人清运", "东城区王府井大街", "东华门街道"],
            ["O2", "2019-01-04 08:30", "路灯坏了一周", "东城区王府井大街", "东华门街道"],
            ["O3", recent, "门口有人占道经营", "东城区王府井大街", "东华门街道"]]


def test_open_tickets_that_arrive_overdue_are_counted_with_the_earliest(world, tmp_path):
    path = write_csv(tmp_path / "open.csv", UNIT_HEADER, open_rows())
    dry, lines = run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", lang="zh-hans")
    assert (dry["overdue_open"], dry["overdue_since"]) == (2, "2019-01-04")
    assert ("其中 2 件未办结工单将派给承办单位，已超过办理时限（最早 2019-01-04 受理）；原系统中已办结的行须填写办结时间（closed_at 列）"
            in lines)
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert (result["states"], result["overdue_open"], result["overdue_since"]) == ({"dispatched": 3}, 2, "2019-01-04")
    assert "其中 2 件未办结工单已派给承办单位，已超过办理时限（最早 2019-01-04 受理）" in lines
    assert sorted(Ticket.objects.filter(warning_level=2).values_list("idempotency_key", flat=True)) == [
        "import:csv:O1", "import:csv:O2"]  # what the summary counts is what the work lists show
    again, lines = run_import(path, "--report", str(tmp_path / "r2.csv"), lang="en")
    assert again["overdue_open"] == 0 and not any("past their time limit" in line for line in lines)


def test_the_overdue_warning_in_english(world, tmp_path):
    path = write_csv(tmp_path / "open.csv", UNIT_HEADER, open_rows()[1:])
    _result, lines = run_import(path, "--report", str(tmp_path / "r.csv"))
    assert ("of these, 1 open tickets were dispatched to handling units already past their time limit (the earliest "
            "created 2019-01-04)") in lines


def test_categories_classified_with_less_than_half_certainty_are_counted_as_stored(world, tmp_path):
    texts = ["你好", "请问一下", "谢谢你们", "有个事情想问问", "楼下垃圾堆积很多天没人清运", "胡同里的路灯坏了一周"]
    rows = [[f"C{i}", "2025-03-01 09:00", "2025-03-02 09:00", t, "东城区王府井大街", ""] for i, t in enumerate(texts)]
    rows.append(["C9", "2025-03-01 09:00", "2025-03-02 09:00", "你好", "东城区王府井大街", ""])
    header = PHONE_HEADER[:-1] + ["category"]
    path = write_csv(tmp_path / "c.csv", header, [r[:5] + [r[5] if r[0] != "C9" else "04.05.04"] for r in rows])
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    probabilities = [e.payload.get("probability") for e in TicketEvent.objects.filter(kind="intake")]
    unsure = sum(1 for p in probabilities if p is not None and p < 0.5)
    assert result["classified"] == {"classifier": 6, "file": 1}
    assert result["unsure_category"] == unsure > 0 and result["unsure_below"] == 0.5
    assert f"其中 {unsure} 件按内容自动分类的把握低于 50%，请抽查" in lines
    _result, lines = run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", "--source", "again")
    assert f"of these, {unsure} classified from the text with less than 50% certainty: check a sample" in lines


# ─────────────────────────────────────────────── bytes that are not text: what was written, what the line looks like

def mixed_file(path, rows, bad_line_text, good_encoding="utf-8", bad_encoding="gbk"):
    with open(path, "wb") as fh:
        fh.write((",".join(HEADER) + "\n").encode(good_encoding))
        for row in rows:
            fh.write((",".join(row) + "\n").encode(good_encoding))
        fh.write(bad_line_text.encode(bad_encoding))
    return str(path)


GBK_ROW = "G1,2025-03-05 09:00:00,,电话,噪音,楼上装修噪音太大,,,,,,,110101001,,\n"


@pytest.mark.django_db(transaction=True)
def test_a_stop_at_a_gbk_line_says_what_was_written_the_report_and_the_lines_encoding(world, tmp_path, monkeypatch):
    """In any number of processes (PostgreSQL: 2; SQLite: 1), the counts are the whole run's."""
    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 2_000)  # the encoding is chosen from the first 2 kB: UTF-8
    rows = numbered_rows("M", 120) + [numbered_rows("M", 1)[0]]  # M0 twice: one rejected row before the stop
    path = mixed_file(tmp_path / "big_mixed.csv", rows, GBK_ROW)
    report = tmp_path / "r.csv"
    with pytest.raises(CommandError) as caught:
        run_import(path, "--report", str(report), "--batch-size", "50", "--processes", "2", lang="zh-hans")
    assert str(caught.value) == (
        f"{path}：第 123 行有字节不是 UTF-8 编码（文件开头是 UTF-8；无效的起始字节）；这一行像是 GBK/GB18030 编码；"
        f"请将整个文件另存为 UTF-8 CSV；此前的行已写入：已按完整批次导入 120 行（此前已导入 0，拒绝 1）；"
        f"其中：120 件未办结工单已超过办理时限、120 件自动分类的把握低于 50%；修正文件后再次运行会跳过它们；"
        f"报告：{report}")
    assert Ticket.objects.filter(idempotency_key__startswith="import:csv:M").count() == 120
    assert len(report.read_text(encoding="utf-8-sig").splitlines()) == 2  # the header and the repeated M0
    with pytest.raises(CommandError, match=r"line 123 looks GBK/GB18030-encoded; save the whole file as UTF-8 CSV; "
                                           r"a dry run, nothing was written \(121 rows checked\); of these: 120 open tickets "
                                           r"already past their time limit, 120 classified with less than 50% "
                                           r"certainty; report: "):
        run_import(path, "--report", str(tmp_path / "d.csv"), "--dry-run", "--source", "dry")


def test_a_utf8_line_in_a_gbk_file_is_named_as_utf8(world, tmp_path, monkeypatch):
    from jiesu.importer import formats

    monkeypatch.setattr(formats, "SNIFF_BYTES", 2_000)
    euro = "E1,2025-03-05 09:00:00,,电话,噪音,收费5€,,,,,,,110101001,,\n"  # "€" in UTF-8 is no GB18030 before a comma
    path = mixed_file(tmp_path / "gbk.csv", numbered_rows("K", 60), euro, good_encoding="gbk", bad_encoding="utf-8")
    with pytest.raises(CommandError, match=r"line 62: bytes that are not GBK/GB18030 text, as the file's start was "
                                           r"\(.*\); line 62 looks UTF-8-encoded; save the whole file as UTF-8 CSV; the "
                                           r"rows before it are written: 60 rows imported"):
        run_import(path, "--report", str(tmp_path / "r.csv"))


def test_a_small_utf8_file_with_a_gbk_line_is_refused_naming_that_line(world, tmp_path):
    path = mixed_file(tmp_path / "mixed.csv", numbered_rows("S", 20), GBK_ROW)
    with pytest.raises(CommandError) as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert str(caught.value) == (f"{path}：大部分是 UTF-8 文本，但第 22 行像是 GBK/GB18030 编码（这样的行共 1 行）："
                                 "请将整个文件另存为 UTF-8 CSV")
    with pytest.raises(CommandError, match="mostly UTF-8 text, but line 22 looks GBK/GB18030-encoded"):
        run_import(path, "--report", str(tmp_path / "r.csv"))
    assert not (tmp_path / "r.csv").exists()


# ─────────────────────────────────────────────── a header alone; a 311 file as csv; the report's mode

def test_a_file_of_a_header_alone_is_refused_and_writes_no_report(world, tmp_path):
    path = write_csv(tmp_path / "head.csv", HEADER, [])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n\n")  # blank lines are no rows
    with pytest.raises(CommandError) as caught:
        run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert str(caught.value) == f"{path}：文件只有表头，没有数据行"
    with pytest.raises(CommandError, match="the file has only a header, no data rows"):
        run_import(path, "--report", str(tmp_path / "r.csv"))
    assert not (tmp_path / "r.csv").exists()


def test_a_311_header_read_as_csv_points_at_the_us311_format(world, tmp_path):
    la = write_csv(tmp_path / "la.csv", ["SRNumber", "CreatedDate", "ClosedDate", "RequestType", "Owner"],
                   [["1-1", "01/01/2017 10:00:00 AM", "", "Bulky Items", "BOS"]])
    with pytest.raises(CommandError) as caught:
        run_import(la, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert str(caught.value) == (f"{la}：缺少列：external_id (工单编号), created_at (受理时间), text (诉求内容)；"
                                 "表头是洛杉矶或纽约市 311 导出文件的：请用 --format us311")
    nyc = write_csv(tmp_path / "nyc.csv", ["Unique Key", "Created Date"], [["1", "x"]])
    with pytest.raises(CommandError, match="the header is a Los Angeles or New York City 311 export's: use --format "
                                           "us311"):
        run_import(nyc, "--report", str(tmp_path / "r.csv"))
    other = write_csv(tmp_path / "other.csv", ["id", "when"], [["1", "x"]])
    with pytest.raises(CommandError) as caught:
        run_import(other, "--report", str(tmp_path / "r.csv"))
    assert "us311" not in str(caught.value)


def mode_of(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_report_is_readable_by_its_owner_only(world, tmp_path):
    path = write_csv(tmp_path / "t.csv", HEADER, GOOD)
    fresh, old = tmp_path / "new" / "r.csv", tmp_path / "old.csv"
    old.write_text("was here")
    old.chmod(0o644)
    for report in (fresh, old):
        run_import(path, "--report", str(report), "--dry-run")
        assert mode_of(report) == 0o600
    parts = [tmp_path / "m.part0", tmp_path / "m.part1"]
    for part in parts:
        part.write_text("行号\n", encoding="utf-8-sig")
    merge_reports(parts, tmp_path / "merged.csv")  # the report of several processes
    assert mode_of(tmp_path / "merged.csv") == 0o600
