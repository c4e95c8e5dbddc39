"""An imported ticket without a place keeps why in its intake event ("no_place"), and the ticket's page shows it by
位置 — for whoever sees the ticket: a 311 row abroad, coordinates in no street's area, an address not found, nothing
to locate; a ticket imported before the reason was kept says it was not located at import."""
import pytest
from django.test import Client

from jiesu.accounts.models import Role, User
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.units.models import Unit

from .conftest import run_import, us311_sample, write_csv
from .test_import import HEADER
from .test_import_place_source import row

ROWS = [
    row("ADDRESS", address="火星路99号", text="油烟太大", state="closed", closed_at="2025-03-03 10:00", unit="CD-SCJG",
        reply="已核查"),
    row("NOTHING", text="油烟太大", state="closed", closed_at="2025-03-03 10:00"),
    row("PLACED", address="东城区王府井大街", state="closed", closed_at="2025-03-03 10:00"),
]
WHY_ZH = {"ADDRESS": "导入时未能定位：地名库中找不到该地址",
          "NOTHING": "导入时未能定位：没有区划代码、地址或坐标，诉求内容中也未提到地点"}


def intake_payload(key):
    return TicketEvent.objects.get(ticket__idempotency_key=key, kind="intake").payload


def place_line(user, ticket, lang):
    """The 位置 line of the ticket's page as `user` reads it in `lang`."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang  # the pages speak Chinese whatever the browser asks
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    start = page.index("<dt>位置</dt>" if lang == "zh-hans" else "<dt>Place</dt>")
    return page[start:page.index("</dd>", start)]


@pytest.fixture
def call_taker(world):
    return User.objects.create_user("ct", password="pw", role=Role.CALL_TAKER, unit=Unit.objects.get(code="HC"))


def test_a_row_without_a_place_keeps_why_and_a_placed_one_nothing(world, tmp_path):
    result, _lines = run_import(write_csv(tmp_path / "places.csv", HEADER, ROWS))
    assert result["imported"] == 3 and result["notes"] == {}  # a reason, not a replaced value: not in the report
    assert intake_payload("import:csv:ADDRESS")["no_place"] == "address"
    assert intake_payload("import:csv:NOTHING")["no_place"] == "nothing"
    assert "no_place" not in intake_payload("import:csv:PLACED")


def test_the_ticket_page_shows_why_an_imported_ticket_has_no_place(world, tmp_path, call_taker):
    run_import(write_csv(tmp_path / "places.csv", HEADER, ROWS))
    tickets = {t.idempotency_key.rsplit(":", 1)[1]: t for t in Ticket.objects.all()}
    assert tickets["ADDRESS"].state == "closed" and tickets["ADDRESS"].street_id is None
    for key, why in WHY_ZH.items():
        line = place_line(call_taker, tickets[key], "zh-hans")
        assert "—" in line and why in line
    assert "Not located at import: the address was not found in the gazetteer" in place_line(
        call_taker, tickets["ADDRESS"], "en")
    placed = place_line(call_taker, tickets["PLACED"], "zh-hans")
    assert "东城区" in placed and "导入时" not in placed


def test_a_ticket_imported_before_the_reason_was_kept_says_it_was_not_located(world, tmp_path, call_taker):
    run_import(write_csv(tmp_path / "places.csv", HEADER, ROWS[1:2]))
    event = TicketEvent.objects.get(kind="intake")
    event.payload = {key: value for key, value in event.payload.items() if key != "no_place"}
    event.save(update_fields=["payload"])
    line = place_line(call_taker, event.ticket, "zh-hans")
    assert "导入时未能定位" in line and "地址" not in line


def test_a_311_row_abroad_says_it_is_from_another_country(world, tmp_path, call_taker):
    header, rows = us311_sample("la_2017_sample.csv", lambda r, i: i < 5 and r["Latitude"])
    run_import(write_csv(tmp_path / "la.csv", header, rows), "--format", "us311")
    ticket = Ticket.objects.filter(district__isnull=True).first()
    assert intake_payload(ticket.idempotency_key)["no_place"] == "foreign"
    assert "从外国的 311 系统导入：保留其坐标，无所属区和街乡" in place_line(call_taker, ticket, "zh-hans")


def test_a_ticket_of_the_intake_without_a_place_says_intake_kept_no_reason(world, tmp_path, call_taker):
    run_import(write_csv(tmp_path / "places.csv", HEADER, ROWS[1:2]))
    ticket = Ticket.objects.get()
    TicketEvent.objects.filter(ticket=ticket, kind="intake").update(payload={"channel": "phone"})
    line = place_line(call_taker, ticket, "zh-hans")
    assert "—" in line and "导入" not in line and "受理时未能定位，未记录原因" in line


def test_the_lead_units_staff_read_the_reason_and_others_get_no_page(world, tmp_path):
    run_import(write_csv(tmp_path / "places.csv", HEADER, ROWS[:1]))
    ticket = Ticket.objects.get()
    assert ticket.lead_unit.code == "CD-SCJG"
    staff = User.objects.create_user("scjg", password="pw", role=Role.UNIT_STAFF, unit=ticket.lead_unit)
    assert WHY_ZH["ADDRESS"] in place_line(staff, ticket, "zh-hans")
    other = User.objects.create_user("rsj", password="pw", role=Role.UNIT_STAFF, unit=Unit.objects.get(code="CD-RSJ"))
    client = Client()
    client.force_login(other)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 403
