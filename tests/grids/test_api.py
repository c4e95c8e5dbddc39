"""The grid API (/api/v1/grids): a mobile app's whole round, scoping over HTTP, errors naming the field."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.accounts.models import ApiToken
from jiesu.grids.models import Patrol, PatrolReport
from jiesu.tickets.models import Ticket

from .conftest import PNG, box

API = "/api/v1/grids"


def as_user(client, user):
    token = ApiToken.objects.create(user=user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.key}"
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_every_grid_endpoint_is_in_the_openapi_document(gw, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    grid_paths = {p for p in paths if p.startswith(API)}
    for needed in ("/", "/import", "/export", "/validate", "/duties", "/patrols", "/patrols/{patrol_id}/points",
                   "/patrols/{patrol_id}/stop", "/reports", "/tickets/{ticket_id}/escalate",
                   "/tickets/{ticket_id}/self-handle", "/tickets/{ticket_id}/route", "/tickets/{ticket_id}/ladder",
                   "/assessment", "/map", "/{code}", "/{code}/redraw", "/{code}/members", "/{code}/info",
                   "/{code}/places", "/{code}/care", "/{code}/versions"):
        assert API + needed in grid_paths, needed


def test_a_workers_round_over_the_api(gw, client):
    c = as_user(client, gw.w1)
    assert [g["code"] for g in c.get(API + "/").json()] == [gw.g1.code, gw.g2.code]
    started = post(c, API + "/patrols", {"grid": gw.g1.code})
    assert started.status_code == 201
    pid = started.json()["id"]
    assert c.get(API + "/patrols/current").json()["id"] == pid
    points = [{"lon": 116.385, "lat": 39.911 + i * 0.002} for i in range(5)]
    assert post(c, f"{API}/patrols/{pid}/points", {"points": points}).json() == {"recorded": 5}
    filed = c.post(API + "/reports", {
        "text": "路口暴露垃圾", "category": gw.trash.code, "lon": "116.385", "lat": "39.915", "patrol": str(pid),
        "idempotency_key": "app-1", "photos": SimpleUploadedFile("a.png", PNG, content_type="image/png")})
    assert filed.status_code == 201, filed.content
    body = filed.json()
    assert (body["grid"], body["duty_level"], body["state"], body["lead_unit"]) == (gw.g1.code, "grid", "dispatched",
                                                                                    gw.g1.name)
    ticket = Ticket.objects.get(pk=body["ticket_id"])
    assert ticket.channel == "patrol" and ticket.attachments.count() == 1
    retried = c.post(API + "/reports", {"text": "路口暴露垃圾", "category": gw.trash.code, "lon": "116.385",
                                        "lat": "39.915", "idempotency_key": "app-1"})
    assert retried.status_code == 200 and Ticket.objects.count() == 1
    stopped = c.post(f"{API}/patrols/{pid}/stop").json()
    assert stopped["points"] == 5 and stopped["distance_m"] > 800 and stopped["visited_share"] > 0
    assert c.get(API + "/patrols/current").status_code == 204
    ladder = c.get(f"{API}/tickets/{ticket.pk}/ladder").json()
    assert [(s["level"], s["outcome"]) for s in ladder] == [("grid", "")]
    handled = c.post(f"{API}/tickets/{ticket.pk}/self-handle", {
        "note": "已清理", "after_photos": SimpleUploadedFile("b.png", PNG, content_type="image/png")})
    assert handled.status_code == 200 and handled.json()["state"] == "closed"
    assert PatrolReport.objects.get().self_handled


def test_bad_input_names_the_field(gw, client):
    c = as_user(client, gw.w1)
    r = c.post(API + "/reports", {"text": "x", "category": gw.noise.code, "lon": "116.385", "lat": "39.915",
                                  "self_handled": "true"})
    assert r.status_code == 400 and r.json()["field"] == "self_handled"
    r = c.post(API + "/reports", {"text": "x", "category": gw.trash.code, "lon": "116.385", "lat": "39.905"})
    assert r.status_code == 400 and r.json()["field"] == "lon" and gw.g3.name in r.json()["message"]
    r = post(c, API + "/patrols", {"grid": gw.g3.code})
    assert r.status_code == 403
    r = post(c, API + "/patrols", {"grid": "nope"})
    assert r.status_code == 404 and r.json()["field"] == "grid"
    assert not Patrol.objects.exists() and not Ticket.objects.exists()


def test_scoping_over_http(gw, client):
    w1 = as_user(client, gw.w1)
    assert w1.get(f"{API}/{gw.g3.code}").status_code == 404
    assert w1.get(f"{API}/{gw.g2.code}").status_code == 200
    b = as_user(client.__class__(), gw.street_b_staff)
    assert [g["code"] for g in b.get(API + "/").json()] == [gw.gb.code]
    assert b.get(f"{API}/{gw.g1.code}").status_code == 404
    assert b.get(API + "/export", {"street": gw.street.code}).status_code == 404
    assert b.get(API + "/assessment", {"street": gw.street.code}).status_code == 404
    dept = as_user(client.__class__(), gw.dept_staff)
    assert dept.get(API + "/").json() == []


def test_import_validate_export_redraw_over_http(gw, client):
    c = as_user(client, gw.street_staff)
    exported = c.get(API + "/export", {"street": gw.street.code}).json()
    assert len(exported["features"]) == 5
    exported["features"][3]["geometry"] = box(116.389, 39.90, 116.40, 39.91)  # 004 overlaps 003
    r = post(c, API + "/import", {"geojson": exported, "dry_run": True})
    assert r.status_code == 200 and len(r.json()["rejected"]) == 4 and r.json()["dry_run"]
    checks = c.get(API + "/validate", {"street": gw.street.code}).json()
    assert [c_["ok"] for c_ in checks] == [True, True]
    redrawn = post(c, f"{API}/{gw.g5.code}/redraw", {"geometry": box(116.40, 39.90, 116.42, 39.92), "note": "复核"})
    assert redrawn.status_code == 200 and redrawn.json()["version"] == 2
    assert [v["version"] for v in c.get(f"{API}/{gw.g5.code}/versions").json()] == [2, 1]
    bad = post(c, f"{API}/{gw.g5.code}/redraw", {"geometry": box(116.40, 39.90, 116.41, 39.92)})
    assert bad.status_code == 400 and bad.json()["field"] == "geometry" and "空隙" in bad.json()["message"] or \
        "gap" in bad.json()["message"]


def test_people_information_and_duties_over_http(gw, client):
    c = as_user(client, gw.street_staff)
    member = post(c, f"{API}/{gw.g4.code}/members", {"username": "w2", "post": "worker", "employment": "part_time"})
    assert member.status_code == 201 and member.json()["employment"] == "part_time"
    assert c.put(f"{API}/{gw.g4.code}/info", json.dumps({"population": 800}),
                 content_type="application/json").json()["population"] == 800
    assert post(c, f"{API}/{gw.g4.code}/places", {"kind": "market", "name": "东华门菜市场"}).status_code == 201
    assert post(c, f"{API}/{gw.g4.code}/care", {"kind": "elderly_alone", "name": "赵大爷",
                                                "phone": "13711112222"}).status_code == 201
    detail = c.get(f"{API}/{gw.g4.code}").json()
    assert detail["care_subjects"][0]["name"] == "赵大爷" and detail["info"]["population"] == 800
    district = as_user(client.__class__(), gw.district_staff)
    masked = district.get(f"{API}/{gw.g4.code}").json()["care_subjects"][0]
    assert masked["name"] == "赵**" and masked["phone"] == "137****2222"
    line = post(c, API + "/duties", {"street": gw.street.code, "gbt_code": "06028", "level": "grid",
                                     "self_handle": True})
    assert line.status_code == 201
    resolved = c.get(API + "/duties/resolve", {"street": gw.street.code, "category": gw.noise.code}).json()
    assert (resolved["level"], resolved["self_handle"]) == ("grid", True)
    city = post(c, API + "/duties", {"gbt_code": "06028", "level": "grid"})
    assert city.status_code == 403
    assert c.delete(f"{API}/duties/{line.json()['id']}").status_code == 204


def test_escalate_route_assessment_and_map_over_http(gw, client):
    from jiesu.tickets import services as tickets

    t, _ = tickets.create_ticket(gw.call_taker, tickets.IntakeData(
        text="门口暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.915))
    d = as_user(client, gw.dispatcher)
    assert d.get(f"{API}/tickets/{t.pk}/grid-first").json()["unit"] == gw.g1.code
    assert d.post(f"{API}/tickets/{t.pk}/route").json()["lead_unit"] == gw.g1.name
    w = as_user(client.__class__(), gw.w1)
    r = post(w, f"{API}/tickets/{t.pk}/escalate", {"reason": ""})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = post(w, f"{API}/tickets/{t.pk}/escalate", {"reason": "需社区协调"})
    assert r.status_code == 200 and r.json()["lead_unit"] == gw.c1.name
    s = as_user(client.__class__(), gw.street_staff)
    rows = s.get(API + "/assessment", {"street": gw.street.code}).json()
    g1 = next(r for r in rows["grids"] if r["grid_code"] == gw.g1.code)
    assert g1["citizen_tickets"] == 1 and g1["discovery_rate"] == 0
    drawing = s.get(API + "/map", {"street": gw.street.code, "measure": "open_tickets"}).json()
    shapes = {g["code"]: g for g in drawing["grids"]}
    assert shapes[gw.g1.code]["value"] == 1 and shapes[gw.g2.code]["value"] == 0
    assert shapes[gw.g1.code]["fill"] != shapes[gw.g2.code]["fill"]
    bad = s.get(API + "/assessment", {"street": gw.street.code, "start": "2026-03-02T00:00:00+08:00",
                                      "end": "2026-03-01T00:00:00+08:00"})
    assert bad.status_code == 400 and bad.json()["field"] == "start"


@pytest.mark.parametrize("url", ["/", "/patrols", "/reports"])
def test_anonymous_requests_are_refused(gw, client, url):
    assert client.get(API + url).status_code == 401
