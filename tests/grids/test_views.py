"""Grid pages through the Django test client: who reaches what, forms that change things, bad input kept."""
import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.grids import services
from jiesu.grids.models import Patrol, PatrolReport
from jiesu.tickets.models import Ticket

from .conftest import PNG


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["w1", "community_staff", "street_staff", "district_staff", "supervisor", "admin"])
def test_grid_pages_render_for_every_role_that_has_them(gw, client, name):
    c = logged_in(client, getattr(gw, name))
    for url in ("/grids/", "/grids/reports/", f"/grids/{gw.g1.code}/"):
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
    if name != "w1":
        assert c.get("/grids/map/").status_code == 200
        assert c.get("/grids/duties/").status_code == 200


def test_pages_are_chinese_by_default(gw, client):
    body = logged_in(client, gw.w1).get("/grids/patrol/").content.decode()
    assert "巡查上报" in body and "开始巡查" in body and "自处置" in body


def test_other_roles_and_territories_are_kept_out(gw, client):
    assert client.get("/grids/").status_code == 302  # to the login page
    c = logged_in(client, gw.citizen)
    assert c.get("/grids/").status_code == 403
    c = logged_in(client, gw.street_b_staff)
    assert c.get(f"/grids/{gw.g1.code}/").status_code == 404
    assert c.get(f"/grids/map/?street={gw.street.code}").status_code == 404
    assert c.get(f"/grids/assessment/?street={gw.street.code}").status_code == 404
    c = logged_in(client, gw.w1)
    assert c.get(f"/grids/{gw.g3.code}/").status_code == 404
    assert c.get("/grids/patrol/").status_code == 200
    c = logged_in(client, gw.street_staff)
    assert c.get("/grids/patrol/").status_code == 403


def test_patrol_start_report_and_stop_through_the_page(gw, client):
    c = logged_in(client, gw.w1)
    c.post("/grids/patrol/start/", {"grid": gw.g1.code})
    patrol = Patrol.objects.get()
    r = c.post(f"/grids/patrol/{patrol.pk}/points/", '{"points": [{"lon": 116.385, "lat": 39.911}, '
                                                     '{"lon": 116.385, "lat": 39.919}]}', content_type="application/json")
    assert r.json() == {"recorded": 2}
    r = c.post(f"/grids/patrol/{patrol.pk}/points/", "not json", content_type="application/json")
    assert r.status_code == 400
    r = c.post("/grids/patrol/report/", {
        "category": gw.trash.code, "text": "路边暴露垃圾", "lon": "116.385", "lat": "39.915", "grid": gw.g1.code,
        "report_key": "k1", "photos": SimpleUploadedFile("a.png", PNG, content_type="image/png")}, follow=True)
    assert "已提交" in r.content.decode()
    rep = PatrolReport.objects.get()
    assert rep.patrol == patrol and rep.ticket.attachments.count() == 1
    c.post(f"/grids/patrol/{patrol.pk}/stop/")
    patrol.refresh_from_db()
    assert patrol.ended_at is not None and patrol.distance_m > 800


def test_a_refused_report_keeps_nothing_and_says_why(gw, client):
    c = logged_in(client, gw.w1)
    r = c.post("/grids/patrol/report/", {"category": gw.noise.code, "text": "噪声", "lon": "116.385",
                                         "lat": "39.915", "self_handled": "on"}, follow=True)
    assert "不允许自处置" in r.content.decode()
    assert not Ticket.objects.exists()


def test_the_community_sees_the_workers_reports(gw, client):
    services.file_report(gw.w1, services.ReportData(text="暴露垃圾一堆", title="东华门大街暴露垃圾",
                                                    category_code=gw.trash.code, lon=116.385, lat=39.915))
    body = logged_in(client, gw.community_staff).get("/grids/reports/").content.decode()
    assert "东华门大街暴露垃圾" in body
    body = logged_in(client, gw.street_b_staff).get("/grids/reports/").content.decode()
    assert "东华门大街暴露垃圾" not in body


def test_ticket_ladder_page_escalates(gw, client):
    rep, _ = services.file_report(gw.w1, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                             lon=116.385, lat=39.915))
    c = logged_in(client, gw.w1)
    body = c.get(f"/grids/tickets/{rep.ticket_id}/").content.decode()
    assert gw.c1.name in body  # "pass up to" the community
    c.post(f"/grids/tickets/{rep.ticket_id}/escalate/", {"reason": "需社区协调"})
    rep.ticket.refresh_from_db()
    assert rep.ticket.lead_unit == gw.c1
    assert logged_in(client, gw.w2).get(f"/grids/tickets/{rep.ticket_id}/").status_code == 404


def test_grid_page_forms(gw, client):
    c = logged_in(client, gw.street_staff)
    c.post(f"/grids/{gw.g4.code}/", {"what": "member", "username": "w2", "post": "leader", "employment": "part_time"})
    c.post(f"/grids/{gw.g4.code}/", {"what": "info", "population": "900", "households": "300", "buildings": "8"})
    c.post(f"/grids/{gw.g4.code}/", {"what": "care", "kind": "disabled", "name": "钱多多", "phone": "13611112222"})
    body = c.get(f"/grids/{gw.g4.code}/").content.decode()
    assert "网格长" in body and "兼职" in body and "900" in body and "钱多多" in body
    body = logged_in(client, gw.district_staff).get(f"/grids/{gw.g4.code}/").content.decode()
    assert "钱**" in body and "钱多多" not in body and "136****2222" in body


def test_duties_page_edits_the_streets_list(gw, client):
    c = logged_in(client, gw.street_staff)
    c.post(f"/grids/duties/?street={gw.street.code}", {"street": gw.street.code, "level": "grid",
                                                         "gbt_code": "06028", "self_handle": "on"})
    assert services.duty_for(gw.street.pk, gw.noise)[:2] == ("grid", True)
    r = c.post(f"/grids/duties/?street={gw.street.code}", {"street": gw.street.code, "level": "grid",
                                                             "gbt_code": "123"}, follow=True)
    assert "5 位" in r.content.decode()


def test_map_and_assessment_export(gw, client):
    services.file_report(gw.w1, services.ReportData(text="暴露垃圾", category_code=gw.trash.code,
                                                    lon=116.385, lat=39.915))
    c = logged_in(client, gw.street_staff)
    body = c.get("/grids/map/?measure=discovery_rate").content.decode()
    assert f'href="/grids/{gw.g1.code}/"' in body and "<svg" in body
    r = c.get("/grids/assessment/?format=csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert {row["grid_code"] for row in rows} >= {gw.g1.code, gw.g5.code}


def test_import_page_reports_problems(gw, client):
    c = logged_in(client, gw.street_staff)
    exported = c.get(f"/grids/export/?street={gw.street.code}").content
    assert exported.count(b'"Feature"') == 5
    r = c.post("/grids/import/", {"file": SimpleUploadedFile("g.geojson", exported), "dry_run": "on"})
    assert r.status_code == 200 and "未变 5 个" in r.content.decode()
    r = c.post("/grids/import/", {"file": SimpleUploadedFile("g.geojson", b"{not json")})
    assert "GeoJSON" in r.content.decode()
    r = c.get(f"/grids/import/?street={gw.street.code}&check=1")
    assert r.status_code == 200 and "110101001001" in r.content.decode()
