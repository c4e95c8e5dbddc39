"""The REST API: idempotent create, bad input, scoping, masking, lifecycle over HTTP."""
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiesu.accounts.models import ApiToken
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.tickets import services
from jiesu.tickets.models import Attachment, Ticket, TicketEvent
from tests.tickets.helpers import new_ticket


def client_for(client, user):
    token = ApiToken.objects.create(user=user, name="test")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token.key}"
    return client


def post(client, url, body, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


BODY = {"text": "王府井大街路灯不亮，晚上很黑", "citizen_name": "李四", "citizen_phone": "13900001111",
        "category": "01.01.01", "street": "110101001"}


def test_create_is_idempotent(world, client):
    c = client_for(client, world.call_taker)
    first = post(c, "/api/v1/tickets", BODY, HTTP_IDEMPOTENCY_KEY="call-42")
    again = post(c, "/api/v1/tickets", BODY, HTTP_IDEMPOTENCY_KEY="call-42")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Ticket.objects.count() == 1
    other = post(c, "/api/v1/tickets", BODY, HTTP_IDEMPOTENCY_KEY="call-43")
    assert other.status_code == 201 and Ticket.objects.count() == 2


def test_create_places_ticket_and_sets_dispatch_deadline(world, client):
    c = client_for(client, world.call_taker)
    body = post(c, "/api/v1/tickets", BODY).json()
    assert body["street"] == "110101001" and body["district"] == "110101"
    assert body["dispatch_due"] is not None
    assert body["citizen_phone"] == "139****1111"
    assert body["created_at"].endswith("+08:00") and body["dispatch_due"].endswith("+08:00")  # one time zone


def test_a_repeat_from_another_system_is_flagged_for_the_dispatcher(world, client):
    """No call-taker saw the intake panel: the same caller's repeat is flagged on the ticket all the same."""
    c = client_for(client, world.citizen)
    first = post(c, "/api/v1/tickets", {**BODY, "channel": "app"}).json()
    again = post(c, "/api/v1/tickets", {**BODY, "channel": "app", "text": "王府井大街路灯还是不亮，晚上很黑"}).json()
    event = TicketEvent.objects.get(ticket_id=again["id"], kind="duplicate_proposed")
    assert event.payload["reason"] == "same_caller" and event.payload["parent"] == first["id"]
    assert event.actor.username == "system"  # a citizen may not look at others' tickets: the system flags it
    assert not TicketEvent.objects.filter(ticket_id=first["id"], kind="duplicate_proposed").exists()


def test_a_failed_same_caller_check_does_not_fail_the_intake(world, client, monkeypatch):
    from jiesu.dispatch import duplicates

    def broken(user, ticket):
        raise RuntimeError("index damaged")

    monkeypatch.setattr(duplicates, "flag_repeats", broken)
    response = post(client_for(client, world.call_taker), "/api/v1/tickets", BODY)
    assert response.status_code == 201 and Ticket.objects.filter(pk=response.json()["id"]).exists()


@pytest.mark.parametrize("body,field", [
    ({**BODY, "text": "  "}, "text"),
    ({k: v for k, v in BODY.items() if k != "text"}, "text"),
    ({**BODY, "lon": 116.4}, "lat"),
    ({**BODY, "category": "99.99"}, "category"),
    ({**BODY, "citizen_phone": "abc"}, "citizen_phone"),
    ({**BODY, "channel": "fax"}, "channel"),
    ({**BODY, "lat": "north"}, "lat"),
])
def test_bad_input_names_the_field_and_writes_nothing(world, client, body, field):
    c = client_for(client, world.call_taker)
    response = post(c, "/api/v1/tickets", body)
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field
    assert response.json()["message"]
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0


def test_oversized_or_wrong_image_is_rejected_and_nothing_stored(world, client, settings):
    settings.JIESU = {**settings.JIESU, "ATTACHMENT_MAX_BYTES": 1000}
    ticket = new_ticket(world)
    c = client_for(client, world.call_taker)
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"0" * 2000, content_type="image/jpeg")
    response = c.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": big})
    assert response.status_code == 400 and response.json()["field"] == "attachments"
    exe = SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream")
    assert c.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": exe}).status_code == 400
    assert Attachment.objects.count() == 0
    ok = SimpleUploadedFile("photo.png", b"\x89PNG" + b"0" * 100, content_type="image/png")
    assert c.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": ok}).status_code == 201
    assert Attachment.objects.count() == 1


def test_attachment_by_api_checks_content_who_and_state(world, client):
    from tests.tickets.helpers import replied_ticket

    ticket = new_ticket(world)
    renamed = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"0" * 100, content_type="image/png")
    response = client_for(client, world.call_taker).post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": renamed})
    assert response.status_code == 400 and response.json()["field"] == "attachments"
    png = SimpleUploadedFile("p.png", b"\x89PNG" + b"0" * 100, content_type="image/png")
    assert client_for(client, world.dept_staff).post(  # not assigned to this ticket
        f"/api/v1/tickets/{ticket.pk}/attachments", {"file": png}).status_code == 403
    closed = replied_ticket(world)
    services.record_callback(world.callback_agent, closed, True, "resolved", "satisfied")
    png.seek(0)
    response = client_for(client, world.street_staff).post(f"/api/v1/tickets/{closed.pk}/attachments", {"file": png})
    assert response.status_code == 409
    assert Attachment.objects.count() == 0 and not TicketEvent.objects.filter(kind="attachment").exists()


def test_street_cannot_read_another_streets_ticket(world, client):
    ticket = new_ticket(world)
    other = client_for(client, world.street_b_staff)
    assert other.get(f"/api/v1/tickets/{ticket.pk}").status_code == 403
    assert other.get("/api/v1/tickets").json()["count"] == 0
    assert other.get(f"/api/v1/tickets/{ticket.pk}/events").status_code == 403


def test_unauthenticated_is_refused(world, client):
    response = post(client, "/api/v1/tickets", BODY)
    assert response.status_code == 401
    assert Ticket.objects.count() == 0


def test_full_lifecycle_over_http(world, client):
    ct = client_for(client, world.call_taker)
    tid = post(ct, "/api/v1/tickets", BODY).json()["id"]
    from django.test import Client

    def as_(user):
        return client_for(Client(), user)

    r = post(as_(world.dispatcher), f"/api/v1/tickets/{tid}/dispatch", {"lead_unit": world.street.pk,
                                                                         "co_units": [world.dept.pk]})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    street = as_(world.street_staff)
    assert "sign" in street.get(f"/api/v1/tickets/{tid}").json()["actions"]
    assert post(street, f"/api/v1/tickets/{tid}/sign", {}).json()["state"] == "signed"
    assert post(street, f"/api/v1/tickets/{tid}/contact", {"note": "电话联系"}).json()["state"] == "contacted"
    bad = post(street, f"/api/v1/tickets/{tid}/reply", {"text": "已修复"})
    assert bad.status_code == 400 and bad.json()["field"] == "self_resolved"
    assert post(street, f"/api/v1/tickets/{tid}/reply", {"text": "已修复", "self_resolved": True}).json()["state"] \
        == "replied"
    wrong = post(street, f"/api/v1/tickets/{tid}/callback", {"reached": True})
    assert wrong.status_code == 403
    cb = post(as_(world.callback_agent), f"/api/v1/tickets/{tid}/callback",
              {"reached": True, "resolved": "resolved", "satisfied": "satisfied"})
    assert cb.json()["state"] == "closed"
    kinds = [e["kind"] for e in as_(world.supervisor).get(f"/api/v1/tickets/{tid}/events").json()]
    assert kinds == ["intake", "dispatch", "sign", "contact", "reply", "callback"]


def test_conflict_is_409(world, client):
    ticket = new_ticket(world)
    street = client_for(client, world.street_staff)
    from django.test import Client

    post(client_for(Client(), world.dispatcher), f"/api/v1/tickets/{ticket.pk}/dispatch",
         {"lead_unit": world.street.pk})
    response = post(street, f"/api/v1/tickets/{ticket.pk}/reply", {"text": "x", "self_resolved": True})
    assert response.status_code == 409 and response.json()["error"] == "conflict"


def test_contact_reveal_is_recorded(world, client):
    ticket = new_ticket(world)
    from django.test import Client

    post(client_for(Client(), world.dispatcher), f"/api/v1/tickets/{ticket.pk}/dispatch",
         {"lead_unit": world.street.pk, "co_units": [world.dept.pk]})
    street = client_for(client, world.street_staff)
    assert street.get(f"/api/v1/tickets/{ticket.pk}").json()["citizen_phone"] == "138****5678"
    assert street.get(f"/api/v1/tickets/{ticket.pk}/contact").json() == {"name": "张三", "phone": "13812345678",
                                                                          "phone_stored": "13812345678"}
    assert ticket.events.filter(kind="contact_revealed", actor=world.street_staff).count() == 1
    co = client_for(Client(), world.dept_staff)
    assert co.get(f"/api/v1/tickets/{ticket.pk}").json()["citizen_name"] == "张*"
    assert co.get(f"/api/v1/tickets/{ticket.pk}/contact").status_code == 403
    assert ticket.events.filter(kind="contact_revealed").count() == 1


def test_openapi_is_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/tickets" in spec["paths"] and "/api/v1/tickets/{ticket_id}/callback" in spec["paths"]


def test_token_use_is_recorded_once_a_minute_not_on_every_request(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(client, world.call_taker)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert c.get("/api/v1/tickets").status_code == 200
    writes = [q["sql"] for q in queries.captured_queries if "accounts_apitoken" in q["sql"] and "UPDATE" in q["sql"]]
    assert len(writes) == 1
    assert ApiToken.objects.get().last_used_at is not None


def test_api_dispatch_and_redispatch_are_logged_like_the_desks(world, client):
    ticket = new_ticket(world)
    dispatcher = client_for(client, world.dispatcher)
    r = post(dispatcher, f"/api/v1/tickets/{ticket.pk}/dispatch", {"lead_unit": world.dept.pk,
                                                                  "co_units": [world.street.pk], "note": "按职责"})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    row = DispatchSuggestion.objects.get(ticket=ticket)
    assert (row.source, row.by, row.lead_unit_id, row.co_units) == ("api", world.dispatcher, world.dept.pk,
                                                                    [world.street.pk])
    post(client_for(Client(), world.dept_staff), f"/api/v1/tickets/{ticket.pk}/return", {"reason": "不属于本单位职责"})
    r = post(dispatcher, f"/api/v1/tickets/{ticket.pk}/arbitrate", {"uphold": True, "lead_unit": world.street.pk})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    rows = list(DispatchSuggestion.objects.filter(ticket=ticket).order_by("pk"))
    assert [(x.source, x.lead_unit_id) for x in rows] == [("api", world.dept.pk), ("api", world.street.pk)]


def test_api_dispatch_errors_are_unchanged_and_log_nothing(world, client):
    ticket = new_ticket(world)
    bad = post(client_for(client, world.dispatcher), f"/api/v1/tickets/{ticket.pk}/dispatch", {"lead_unit": 999999})
    assert bad.status_code == 400 and bad.json()["field"] == "lead_unit"
    refused = post(client_for(Client(), world.call_taker), f"/api/v1/tickets/{ticket.pk}/dispatch",
                   {"lead_unit": world.street.pk})
    assert refused.status_code == 403
    post(client_for(Client(), world.dispatcher), f"/api/v1/tickets/{ticket.pk}/dispatch",
         {"lead_unit": world.street.pk})
    again = post(client_for(Client(), world.dispatcher), f"/api/v1/tickets/{ticket.pk}/dispatch",
                 {"lead_unit": world.street.pk})
    assert again.status_code == 409
    assert DispatchSuggestion.objects.filter(ticket=ticket).count() == 1


def test_api_arbitration_that_rejects_or_requeues_logs_no_dispatch(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    services.return_ticket(world.dept_staff, ticket, "不属于本单位职责")
    r = post(client_for(client, world.dispatcher), f"/api/v1/tickets/{ticket.pk}/arbitrate", {"uphold": False})
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    services.return_ticket(world.dept_staff, ticket, "确实不属于本单位职责")
    r = post(client_for(Client(), world.dispatcher), f"/api/v1/tickets/{ticket.pk}/arbitrate", {"uphold": True})
    assert r.status_code == 200 and r.json()["state"] == "new"
    assert not DispatchSuggestion.objects.exists()


def test_a_citizen_reads_the_steps_of_their_own_history_and_no_internal_flag(world, client):
    """A citizen typing someone else's phone used to read the same-caller flag naming that person's ticket."""
    other = new_ticket(world, citizen_phone="13319171388")
    citizen = client_for(client, world.citizen)
    r = post(citizen, "/api/v1/tickets", {"text": "东华门大街有人占道经营，堵塞人行道", "street": world.street.code,
                                          "citizen_name": "孙明", "citizen_phone": "13319171388"})
    assert r.status_code == 201
    mine = Ticket.objects.get(pk=r.json()["id"])
    assert mine.events.filter(kind="duplicate_proposed").exists()  # flagged for the dispatcher
    assert r.json()["emergency"] is None
    fire = post(citizen, "/api/v1/tickets", {"text": "楼下饭馆着火了，冒黑烟", "street": world.street.code},
                HTTP_ACCEPT_LANGUAGE="en")
    assert fire.json()["emergency"] == {"number": "119",
                                        "label": "This reads like an emergency: call 119 (fire and rescue) now."}
    history = citizen.get(f"/api/v1/tickets/{mine.pk}/events").json()
    assert [e["kind"] for e in history] == ["intake"]
    assert other.number not in json.dumps(history) and all(e["actor"] is None for e in history)
    staff = client_for(Client(), world.dispatcher).get(f"/api/v1/tickets/{mine.pk}/events").json()
    assert "duplicate_proposed" in [e["kind"] for e in staff]


def test_a_citizens_history_shows_the_callback_that_closed_it(world, client):
    citizen = client_for(client, world.citizen)
    r = post(citizen, "/api/v1/tickets", {"text": "小区门口路灯不亮", "street": world.street.code})
    ticket = Ticket.objects.get(pk=r.json()["id"])
    services.dispatch(world.dispatcher, ticket, world.street.pk, category_code=world.category.code)
    services.sign(world.street_staff, ticket)
    services.contact(world.street_staff, ticket)
    services.reply(world.street_staff, ticket, "已修复路灯", True)
    services.record_callback(world.callback_agent, ticket, True, "resolved", "satisfied", note="内部备注")
    history = citizen.get(f"/api/v1/tickets/{ticket.pk}/events").json()
    assert [e["kind"] for e in history][-1] == "callback" and history[-1]["to_state"] == "closed"
    assert "内部备注" not in json.dumps(history)


def test_intake_checks_the_datum_and_the_numbers_as_the_dispatch_api_does(world, client):
    staff = client_for(client, world.call_taker)
    for body, field in (({"coord_system": "xyz"}, "coord_system"), ({"lon": "NaN", "lat": 39.9}, "lon"),
                        ({"lon": 116.4}, "lat")):
        r = post(staff, "/api/v1/tickets", {"text": "小区门口路灯不亮", **body})
        assert r.status_code in (400, 422) and r.json()["field"] == field, (body, r.json())
    assert Ticket.objects.count() == 0
