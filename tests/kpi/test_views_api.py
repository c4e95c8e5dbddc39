"""Pages and API: rankings public to staff, a unit's page and drill-down only for itself (and its district),
exports (CSV, xlsx) and the printable report."""
import io
import json
import zipfile

import pytest

from jiesu.kpi.models import KpiVersion
from tests.kpi.helpers import handled


@pytest.fixture
def graded(world):
    handled(world)
    handled(world, resolved="partly", satisfied="basically")
    handled(world, unit=world.street_b, staff=world.street_b_staff, street_code=world.street_b.code)
    return world


def login(client, user):
    client.force_login(user)
    return client


def test_street_sees_the_public_ranking_with_both_streets_but_links_only_its_own(client, graded):
    w = graded
    page = login(client, w.street_staff).get("/kpi/?group=street").content.decode()
    assert w.street.name in page and w.street_b.name in page
    assert f"/kpi/units/{w.street.pk}/" in page
    assert f"/kpi/units/{w.street_b.pk}/" not in page
    assert "这个数是怎么算的" in page  # the explanations, in Chinese first


def test_street_may_not_open_another_streets_page_or_api(client, graded):
    w = graded
    login(client, w.street_staff)
    assert client.get(f"/kpi/units/{w.street_b.pk}/").status_code == 403
    assert client.get(f"/api/v1/kpi/units/{w.street_b.pk}").status_code == 403
    own = client.get(f"/kpi/units/{w.street.pk}/")
    assert own.status_code == 200
    body = own.content.decode()
    assert f"street={w.street.pk}" in body  # drill-down to the ticket search, scoped by the search
    assert w.street_b.name not in body


def test_district_sees_its_streets_and_city_roles_see_all(client, graded):
    w = graded
    assert login(client, w.district_staff).get(f"/kpi/units/{w.street.pk}/").status_code == 200
    assert client.get(f"/kpi/units/{w.street_b.pk}/").status_code == 403
    assert login(client, w.supervisor).get(f"/kpi/units/{w.street_b.pk}/").status_code == 200
    assert login(client, w.dispatcher).get(f"/api/v1/kpi/units/{w.street_b.pk}").status_code == 200


def test_citizens_see_no_rankings(client, graded):
    login(client, graded.citizen)
    assert client.get("/kpi/").status_code == 403
    assert client.get("/api/v1/kpi/rankings").status_code == 403


def test_api_ranking_names_version_and_explains(client, graded):
    w = graded
    data = login(client, w.street_staff).get("/api/v1/kpi/rankings?group=street").json()
    assert data["version"] == 1
    assert {r["code"] for r in data["rows"]} == {w.street.code, w.street_b.code}
    top = data["rows"][0]
    assert top["rank"] == 1 and top["composite"] is not None
    mine = next(r for r in data["rows"] if r["code"] == w.street.code)
    assert mine["valid_callbacks"] == 2
    assert mine["resolution_rate"] == pytest.approx(0.75)  # (1 + 0.5·1) ÷ 2
    assert "0.5" in data["explanations"]["resolution"]


def test_api_bad_input_names_the_field(client, graded):
    login(client, graded.supervisor)
    bad_group = client.get("/api/v1/kpi/rankings?group=village")
    assert bad_group.status_code == 400 and bad_group.json()["field"] == "group"
    bad_month = client.get("/api/v1/kpi/rankings?month=2026-13")
    assert bad_month.status_code == 400 and bad_month.json()["field"] == "month"


def test_csv_and_xlsx_exports(client, graded):
    w = graded
    login(client, w.supervisor)
    csv_text = client.get("/kpi/export.csv?group=street").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert len(lines) == 3 and w.street.name in csv_text
    xlsx = client.get("/kpi/export.xlsx?group=street")
    assert xlsx["Content-Disposition"].endswith('.xlsx"')
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        strings = book.read("xl/sharedStrings.xml").decode()
        assert w.street.name in strings and w.street_b.name in strings
        assert "xl/worksheets/sheet2.xml" in book.namelist()  # how each number is computed


def test_printable_report_has_all_four_groups_and_print_css(client, graded):
    page = login(client, graded.supervisor).get("/kpi/report/").content.decode()
    for label in ("区", "街道乡镇", "市级部门", "公共服务企业"):
        assert label in page
    assert "kpi/kpi.css" in page


def test_bad_month_on_a_page_is_reported_and_replaced(client, graded):
    response = login(client, graded.supervisor).get("/kpi/?month=13-2026")
    assert response.status_code == 200
    assert "不是月份" in response.content.decode()


def test_the_city_endpoint(client, graded):
    data = login(client, graded.supervisor).get("/api/v1/kpi/city").json()
    assert data["kpis"]["received"] == 3 and data["kpis"]["valid_callbacks"] == 3
    assert KpiVersion.objects.count() == 1


def test_admin_refuses_to_edit_a_past_version_and_saves_a_new_one(client, world):
    from django.utils import timezone

    from jiesu.accounts.models import User

    admin_user = User.objects.create_superuser("root", password="pw", role="admin")
    login(client, admin_user)
    old = KpiVersion.objects.get(number=1)
    form = {"valid_from": old.valid_from.isoformat(), "partly_weight": "0.6", "basic_weight": "0.8",
            "speed_reference_hours": "49", "recurring_weight": "1", "exclude_consultation": "on",
            "exclude_merged": "on", "exclude_unreasonable": "on", "note": "",
            "weights-TOTAL_FORMS": "0", "weights-INITIAL_FORMS": "0", "weights-MIN_NUM_FORMS": "0",
            "weights-MAX_NUM_FORMS": "4"}
    refused = client.post(f"/admin/kpi/kpiversion/{old.pk}/change/", form)
    assert refused.status_code == 200
    assert "frozen" in refused.content.decode() or "不能修改" in refused.content.decode()
    assert KpiVersion.objects.get(number=1).partly_weight == 0.5
    form.update({"valid_from": timezone.localdate().replace(day=1).isoformat(), "_saveasnew": "1"})
    client.post(f"/admin/kpi/kpiversion/{old.pk}/change/", form)
    assert KpiVersion.objects.count() == 2
    assert KpiVersion.objects.get(number=2).partly_weight == 0.6
