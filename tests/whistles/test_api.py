"""The whistle API: every action, errors that name the field, scoping."""
import pytest
from django.test import Client

from jiesu.accounts.models import ApiToken
from whistles.conftest import contacted_ticket

BASE = "/api/v1/whistles"


def client_for(user):
    token = ApiToken.objects.create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.key}")


def post(c, path, body):
    return c.post(BASE + path, body, content_type="application/json")


def test_whole_way_through_the_api(world):
    ticket = contacted_ticket(world)
    street, dept, dept2 = client_for(world.street_staff), client_for(world.dept_staff), client_for(world.dept2_staff)
    deputy, chief, district = client_for(world.deputy), client_for(world.chief), client_for(world.district_staff)
    r = street.get(BASE + "/suggestions", {"tickets": str(ticket.pk)})
    assert r.status_code == 200
    suggested = {s["unit"]["name"]: s for s in r.json()}
    assert suggested[world.dept2.name]["duty"] is True
    r = post(street, "", {"title": "占道经营", "description": "需联合执法", "level": "key",
                          "tickets": [ticket.number],
                          "summons": [{"unit": world.dept.pk, "form": "written"}, {"unit": world.dept2.pk}]})
    assert r.status_code == 201, r.content
    w = r.json()
    assert w["state"] == "approval" and w["approval_chain"] == ["科室申请", "分管副职签字"]
    assert w["no_duty_units"] == [world.dept.name]
    pk = w["id"]
    assert dept.get(f"{BASE}/{pk}").status_code == 404        # not yet summoned
    assert post(street, f"/{pk}/approve", {"approved": True}).json()["state"] == "approval"
    assert post(deputy, f"/{pk}/approve", {"approved": True, "note": "同意"}).json()["state"] == "active"
    w = dept.get(f"{BASE}/{pk}").json()
    s1, s2 = w["summons"]
    r = post(dept, f"/{pk}/summons/{s1['id']}/check-in", {"person": "黄磊"})
    assert r.status_code == 200 and r.json()["summons"][0]["status"] == "on_time"
    r = post(dept2, f"/{pk}/summons/{s2['id']}/check-in", {"person": "周"})
    assert r.status_code == 400 and r.json()["field"] == "lon"       # on site without location
    post(dept2, f"/{pk}/summons/{s2['id']}/check-in", {"person": "周", "lon": 116.4, "lat": 39.9})
    r = post(street, f"/{pk}/tasks", {"unit": world.dept2.pk, "title": "取缔摊点", "criterion": "无摊点"})
    assert r.status_code == 201
    tid = r.json()["tasks"][0]["id"]
    r = post(street, f"/{pk}/close", {"result": "x"})
    assert r.status_code == 409
    post(dept2, f"/{pk}/tasks/{tid}/progress", {"text": "已清理", "done": True})
    post(street, f"/{pk}/tasks/{tid}/acceptance", {"accept": True})
    r = post(street, f"/{pk}/close", {"result": "经联合执法已取缔"})
    assert r.json()["state"] == "closed"
    ticket.refresh_from_db()
    assert ticket.state == "replied"
    r = post(street, f"/{pk}/ratings", {"unit": world.dept2.pk, "timeliness": 5, "effort": 4, "result": 5})
    assert r.status_code == 201
    r = post(street, f"/{pk}/ratings", {"unit": world.dept2.pk, "timeliness": 5, "effort": 4, "result": 5})
    assert r.status_code == 409
    r = post(district, f"/{pk}/ratings", {"unit": world.street.pk, "timeliness": 9, "effort": 4, "result": 5})
    assert r.status_code == 400 and r.json()["field"] == "timeliness"
    assert post(district, f"/{pk}/ratings", {"unit": world.street.pk, "timeliness": 4, "effort": 4,
                                             "result": 5}).status_code == 201
    events = [e["kind"] for e in street.get(f"{BASE}/{pk}/events").json()]
    assert events[:3] == ["raise", "approval", "approval"] and "close" in events and events.count("rate") == 2
    rollup = {r["unit"]: r for r in street.get(BASE + "/ratings").json()}
    assert rollup[world.dept2.name]["score"] == round(14 / 3, 2)
    s = street.get(BASE + "/stats").json()
    assert s["summary"]["closed"] == 1 and s["summary"]["tickets_closed_by_whistles"] == 1
    assert [w["id"] for w in dept.get(BASE + "/summoned", {"open_only": False}).json()] == [pk]
    assert len(street.get(BASE + "/levels").json()) == 4


def test_refusals_name_the_field_and_scoping(world):
    street, other = client_for(world.street_staff), client_for(world.street_b_staff)
    r = post(street, "", {"title": "", "description": "d", "summons": [{"unit": world.dept.pk}]})
    assert r.status_code == 400 and r.json()["field"] == "title"
    r = post(street, "", {"title": "t", "description": "d", "summons": [{"unit": world.dept.pk, "form": "x"}]})
    assert r.json()["field"] == "summons"
    r = post(street, "", {"title": "t", "description": "d", "summons": [{"unit": world.dept.pk}]})
    pk = r.json()["id"]
    assert other.get(f"{BASE}/{pk}").status_code == 404
    assert other.get(BASE).json() == []
    assert post(other, f"/{pk}/close", {"result": "x"}).status_code == 404
    r = post(client_for(world.dept_staff), f"/{pk}/tasks", {"unit": world.dept.pk, "title": "t", "criterion": "c"})
    assert r.status_code == 403
    r = post(street, f"/{pk}/report-to-district", {"unit": world.dept.pk, "reason": "拒不报到"})
    assert r.json()["escalated"] is True
    r = post(street, f"/{pk}/supervise", {"unit": world.dept.pk, "text": "请到场"})
    assert r.status_code == 200
    assert Client().get(BASE).status_code == 401


def test_evidence_attachments_notices_and_own_report_deadline(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    street, dept = client_for(world.street_staff), client_for(world.dept_staff)
    r = post(street, "", {"title": "积水", "description": "下凹桥积水", "summons": [
        {"unit": world.dept.pk, "form": "written", "due": "2099-03-02T10:00"}]})
    w = r.json()
    assert w["summons"][0]["report_due"] == "2099-03-02T02:00:00Z"      # 10:00 Beijing time
    tid = post(street, f"/{w['id']}/tasks", {"unit": world.dept.pk, "title": "排水", "criterion": "无积水"}).json()[
        "tasks"][0]["id"]
    photo = SimpleUploadedFile("done.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    r = dept.post(f"{BASE}/{w['id']}/tasks/{tid}/evidence", {"text": "已排水", "done": "true", "files": [photo]})
    assert r.status_code == 200, r.content
    task = r.json()["tasks"][0]
    assert task["state"] == "done" and task["evidence"] == 1
    r = dept.post(f"{BASE}/{w['id']}/tasks/{tid}/evidence", {"text": ""})
    assert r.status_code in (400, 409)
    scene = SimpleUploadedFile("scene.png", b"\x89PNG\r\n\x1a\n" + b"1" * 64, content_type="image/png")
    assert dept.post(f"{BASE}/{w['id']}/attachments", {"files": [scene]}).status_code == 403
    scene.seek(0)
    r = street.post(f"{BASE}/{w['id']}/attachments", {"files": [scene]})
    assert r.status_code == 200 and r.json()["attachments"] == ["scene.png"]
    post(street, f"/{w['id']}/supervise", {"unit": world.dept.pk, "text": "请今日完成"})
    notices = dept.get(BASE + "/notices").json()
    assert [(n["kind"], n["text"], n["number"]) for n in notices if n["kind"] == "supervise"] == [
        ("supervise", "请今日完成", w["number"])]
    assert [n["kind"] for n in notices].count("summoned") == 1   # told when summoned, with its own deadline
    assert street.get(BASE + "/notices").json() == []
