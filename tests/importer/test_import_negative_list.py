"""An open row is dispatched as it is imported: never to a unit the negative list (负面清单) bars for its category.
A closed row is history (the unit did handle it) and keeps its unit."""
from jiesu.categories.models import Duty
from jiesu.tickets.models import Ticket, TicketEvent

from .conftest import run_import, write_csv

HEADER = ["external_id", "created_at", "closed_at", "text", "category", "street_code", "unit"]
PROPERTY_DEED = "01.06.06"  # 不动产登记与房产证: the seeded catalogue bars the street (所在街道) from it
DONGHUAMEN = "110101001"


def test_an_open_row_to_a_barred_unit_is_routed_instead_with_a_note(world, tmp_path):
    barring = Duty.objects.get(category__code=PROPERTY_DEED, negative=True, unit_kind="street")
    rows = [["N1", "2025-03-01 09:00", "", "办房产证排队太久", PROPERTY_DEED, DONGHUAMEN, DONGHUAMEN],
            ["N2", "2025-03-01 09:00", "2025-03-02 09:00", "办房产证排队太久", PROPERTY_DEED, DONGHUAMEN, DONGHUAMEN]]
    path = write_csv(tmp_path / "neg.csv", HEADER, rows)
    result, lines = run_import(path, "--report", str(tmp_path / "r.csv"), lang="zh-hans")
    assert (result["imported"], result["notes"]) == (2, {"barred_unit": 1})
    assert any(line.strip().startswith("1  承办单位 … 在负面清单中不得接收该类诉求") for line in lines)
    tickets = {t.idempotency_key: t for t in Ticket.objects.select_related("lead_unit")}
    open_one, closed_one = tickets["import:csv:N1"], tickets["import:csv:N2"]
    assert open_one.lead_unit is not None and open_one.lead_unit.code != DONGHUAMEN
    assert closed_one.lead_unit.code == DONGHUAMEN
    intake = TicketEvent.objects.get(ticket=open_one, kind="intake")
    assert intake.payload["notes"] == [["barred_unit", f"东华门街道（#{barring.pk}）"]]


def test_swapped_coordinates_are_called_so_in_the_report(world, tmp_path):
    from .conftest import read_report

    header = ["external_id", "created_at", "text", "lon", "lat"]
    path = write_csv(tmp_path / "swapped.csv", header, [["S1", "2025-03-01 09:00", "路灯不亮", "39.9155", "116.4039"]])
    report = tmp_path / "r.csv"
    result, _lines = run_import(path, "--report", str(report), lang="zh-hans")
    assert result["reasons"] == {"coordinates_swapped": 1}
    assert read_report(report)[1][3:5] == ["lon", "经纬度可能填反了（经度约 116，纬度约 40）"]
