"""An imported open ticket's warning level and next check: the "approaching" point counted the way its limit runs
(working time for the general class, the clock for utilities), as the deadline worker counts it. docs/calendar.md."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jiesu.importer.services import run_import
from jiesu.tickets import jobs
from jiesu.tickets.models import Ticket

from .conftest import write_csv

TZ = ZoneInfo("Asia/Shanghai")
HEADER = ["external_id", "created_at", "closed_at", "title", "text", "category", "state", "street_code"]


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_open_rows_get_the_working_time_point_and_clock_limits_keep_the_clock(world, tmp_path):
    path = write_csv(tmp_path / "open.csv", HEADER, [
        # general class: 7 working days to reply, from a Friday at 16:00 (due Tuesday 15 Dec at 16:00)
        ["W1", "2026-12-04 16:00", "", "大件垃圾", "楼道里的旧沙发没人清运", "04.05.04", "open", "110101001"],
        # utilities class: 24 hours on the clock to reply, recorded at midnight
        ["C1", "2026-12-07 00:00", "", "电梯停运", "单元电梯停运一天了", "01.02.01", "open", "110101001"],
    ])
    now = at(2026, 12, 14, 9, 30)  # Monday: 36.5 + 0.5 of the 49 working hours used (75 %)
    summary = run_import(path, now=now, report=str(tmp_path / "report.csv"))
    assert summary.imported == 2
    w1 = Ticket.objects.get(idempotency_key="import:csv:W1")
    assert w1.state == "dispatched" and w1.reply_due == at(2026, 12, 15, 16, 0)
    # on the clock 80 % of the 11 days had passed on Sunday 13 Dec at 11:12: it was imported "approaching"
    assert w1.warning_level == 0 and w1.next_check_at == at(2026, 12, 14, 11, 42)
    assert jobs.scan_once(now=at(2026, 12, 14, 11, 41)) == 0
    c1 = Ticket.objects.get(idempotency_key="import:csv:C1")
    assert c1.reply_due == at(2026, 12, 8, 0, 0)
    assert c1.warning_level == 2 and c1.next_check_at is None  # long overdue as of the import's now


def test_an_open_clock_limit_row_is_approaching_on_the_clock(world, tmp_path):
    path = write_csv(tmp_path / "open.csv", HEADER, [
        ["C2", "2026-12-06 00:00", "", "电梯停运", "单元电梯停运了", "01.02.01", "open", "110101001"],  # a Sunday
    ])
    run_import(path, now=at(2026, 12, 6, 19, 0), report=str(tmp_path / "report.csv"))
    c2 = Ticket.objects.get(idempotency_key="import:csv:C2")
    assert c2.reply_due == at(2026, 12, 7, 0, 0)
    assert c2.warning_level == 0 and c2.next_check_at == at(2026, 12, 6, 0, 0) + timedelta(hours=0.8 * 24)
    run_import(path, now=at(2026, 12, 6, 19, 30), report=str(tmp_path / "report2.csv"))  # already imported: kept
    assert Ticket.objects.get(pk=c2.pk).next_check_at == at(2026, 12, 6, 19, 12)
