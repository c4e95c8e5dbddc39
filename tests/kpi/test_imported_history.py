"""Imported history (`jiesu import`) in the assessment: the earlier system's sign and contact times are not
imported, so its tickets must not count as late responses against the street that led them."""
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from jiesu.kpi import services
from jiesu.units.models import Unit
from tests.importer.conftest import run_import, write_csv

HEADER = ["external_id", "created_at", "closed_at", "channel", "title", "text", "address", "lon", "lat",
          "category", "state", "reply", "street_code", "unit", "citizen_phone"]
ROWS = [
    # handled and closed in the earlier system (March 2025)
    ["H1", "2025-03-03 09:00", "2025-03-04 16:00", "电话", "", "楼下饭店油烟太大", "", "", "", "04.05.04", "已办结",
     "已督促饭店加装油烟净化器", "110101001", "", "13800000001"],
    ["H2", "2025-03-05 10:00", "2025-03-07 11:00", "电话", "", "小区门口垃圾堆积没人清运", "", "", "", "04.05.04", "已办结",
     "已清运", "110101001", "", "13800000002"],
]


@pytest.fixture
def imported(db, tmp_path):
    from jiesu.dispatch.router import invalidate
    from jiesu.units.services import build_org_tree

    build_org_tree(districts=("110101",))
    call_command("seed_reference", stdout=StringIO())
    invalidate()
    result, _lines = run_import(write_csv(tmp_path / "history.csv", HEADER, ROWS))
    assert result["imported"] == 2
    services.rebuild()  # bulk writers bypass the events (docs/kpi.md)
    yield Unit.objects.get(code="110101001")
    invalidate()


def test_imported_history_is_volume_but_not_a_late_response(imported):
    street = imported
    k = services.unit_kpis(street, date(2025, 3, 1))
    assert k.received == 2 and k.assessed == 2  # the volume and the handling speed are the source's own
    assert k.replied == 2
    # no sign or contact time came with the file: not 0 of 2 on time, but nothing to assess
    assert (k.resp_due, k.resp_on_time) == (0, 0)
    assert k.response_rate is None
    row = next(r for r in services.ranking("street", date(2025, 3, 1)).rows if r.unit_id == street.pk)
    assert row.response_rate is None and row.composite is not None
