"""The pages through Django's test client (fast): every page renders for its role, actions go through the
services, refusals keep the input, scoping gives the friendly 403 page."""
import pytest
from django.urls import reverse

from jiesu.tickets import services
from jiesu.tickets.models import Ticket, TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, replied_ticket


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        return client
    return login


def test_home_sends_each_role_to_its_page(world, as_user):
    expected = {world.call_taker: "intake", world.dispatcher: "dispatch_queue", world.street_staff: "worklist",
                world.callback_agent: "callback_queue", world.citizen: "my_tickets", world.supervisor: "worklist"}
    for user, name in expected.items():
        response = as_user(user).get("/")
        assert response.status_code == 302 and response.url == reverse(name), user


def test_anonymous_goes_to_login(client, db):
    assert client.get("/").url == "/login/"
    assert client.get("/work/").status_code == 302
    assert client.get("/login/").status_code == 200


def test_every_page_renders_for_its_role(world, as_user):
    t = new_ticket(world)
    r = replied_ticket(world)
    pages = [
        (world.call_taker, "/intake/"), (world.dispatcher, "/dispatch/"), (world.dispatcher, "/arbitration/"),
        (world.street_staff, "/work/"), (world.callback_agent, "/callbacks/"), (world.dispatcher, "/tickets/"),
        (world.supervisor, "/work/"), (world.citizen, "/my/"), (world.street_staff, f"/tickets/{r.pk}/"),
        (world.dispatcher, f"/tickets/{t.pk}/"), (world.callback_agent, f"/tickets/{r.pk}/"),
    ]
    for user, url in pages:
        response = as_user(user).get(url)
        assert response.status_code == 200, (user, url, response.status_code)
        assert "接诉" in response.content.decode()


def test_navigation_matches_the_role(world, as_user):
    html = as_user(world.dispatcher).get("/dispatch/").content.decode()
    assert reverse("dispatch_queue") in html and reverse("arbitration_queue") in html
    assert reverse("intake") not in html


def test_roles_are_enforced(world, as_user):
    assert as_user(world.street_staff).get("/dispatch/").status_code == 403
    assert as_user(world.call_taker).get("/callbacks/").status_code == 403
    assert as_user(world.citizen).get("/tickets/").status_code == 403


def test_dispatch_through_the_page(world, as_user):
    t = new_ticket(world)
    client = as_user(world.dispatcher)
    response = client.post(f"/tickets/{t.pk}/act/dispatch/", {
        "category": world.category.code, "lead_unit": world.street.pk, "co_units": [world.dept.pk],
        "note": "请尽快处理", "next": "/dispatch/"})
    assert response.status_code == 302 and response.url == "/dispatch/"
    t.refresh_from_db()
    assert t.state == "dispatched" and t.lead_unit == world.street
    assert set(t.assignments.filter(active=True).values_list("unit_id", flat=True)) == {
        world.street.pk, world.dept.pk, world.district.pk}


def test_refused_action_keeps_the_input(world, as_user):
    t = new_ticket(world)
    client = as_user(world.dispatcher)
    response = client.post(f"/tickets/{t.pk}/act/dispatch/", {"lead_unit": "", "note": "我写的备注", "next": "/dispatch/"},
                           follow=True)
    html = response.content.decode()
    assert "我写的备注" in html  # kept
    assert 'class="field-error"' in html
    t.refresh_from_db()
    assert t.state == "new"


def test_detail_scoping_gives_friendly_403(world, as_user):
    t = new_ticket(world)
    response = as_user(world.street_b_staff).get(f"/tickets/{t.pk}/")
    assert response.status_code == 403
    assert "403" in response.content.decode()


def test_reveal_writes_an_event(world, as_user):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    client = as_user(world.street_staff)
    html = client.get(f"/tickets/{t.pk}/").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    response = client.post(f"/tickets/{t.pk}/reveal/")
    assert "13812345678" in response.content.decode()
    assert TicketEvent.objects.filter(ticket=t, kind="contact_revealed", actor=world.street_staff).exists()
    # another street's staff cannot
    assert as_user(world.street_b_staff).post(f"/tickets/{t.pk}/reveal/").status_code == 403


def test_intake_errors_name_the_field_and_write_nothing(world, as_user):
    client = as_user(world.call_taker)
    before = Ticket.objects.count()
    response = client.post("/intake/", {"channel": "phone", "text": "", "citizen_name": "李四"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "李四" in html and "field-error" in html
    response = client.post("/intake/", {"channel": "phone", "text": "路灯不亮", "lon": "121.47", "lat": "31.23"})
    assert response.status_code == 400 and "路灯不亮" in response.content.decode()
    assert Ticket.objects.count() == before


def test_intake_with_an_oversized_or_fake_photo_writes_nothing(world, as_user, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from jiesu.tickets.models import Attachment

    settings.JIESU = {**settings.JIESU, "ATTACHMENT_MAX_BYTES": 1000}
    client = as_user(world.call_taker)
    data = {"channel": "phone", "text": "井盖破损有人受伤风险", "street": world.street.code,
            "category": world.category.code, "citizen_name": "赵六"}
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * 2000, content_type="image/png")
    response = client.post("/intake/", {**data, "attachments": [big]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "big.png" in html and "井盖破损有人受伤风险" in html  # the message names the file; the text is kept
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"0" * 100, content_type="image/png")
    assert client.post("/intake/", {**data, "attachments": [fake]}).status_code == 400
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0 and Attachment.objects.count() == 0


def test_photo_added_on_the_ticket_page_by_the_assigned_unit(world, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    client = as_user(world.street_staff)
    assert 'id="act-attach"' in client.get(f"/tickets/{t.pk}/").content.decode()
    photo = SimpleUploadedFile("after.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")
    response = client.post(f"/tickets/{t.pk}/act/attach/", {"photo": photo, "next": f"/tickets/{t.pk}/"})
    assert response.status_code == 302
    assert t.attachments.get().name == "after.png"
    assert t.events.filter(kind="attachment", actor=world.street_staff).count() == 1
    client.post(f"/tickets/{t.pk}/act/attach/", {"next": f"/tickets/{t.pk}/"})
    assert "请选择一张照片" in client.get(f"/tickets/{t.pk}/").content.decode()
    assert t.attachments.count() == 1


def test_intake_success_and_double_submit(world, as_user):
    client = as_user(world.call_taker)
    data = {"channel": "phone", "text": "小区门口占道经营", "street": world.street.code, "category": world.category.code,
            "citizen_name": "王五", "citizen_phone": "13900001111", "intake_key": "k1"}
    response = client.post("/intake/", data)
    assert response.status_code == 302
    ticket = Ticket.objects.get(text="小区门口占道经营")
    assert response.url == reverse("ticket_detail", args=[ticket.pk])
    client.cookies.pop("messages")  # a double click: the browser drops the first response with its messages
    again = client.post("/intake/", data, follow=True)  # the same form sent twice: one ticket, its code told again
    assert again.redirect_chain[-1][0] == response.url
    told = again.content.decode()
    assert told.count(f"请告知诉求人查询码：{ticket.query_code}") == 1 and "未重复创建" in told
    assert Ticket.objects.filter(text="小区门口占道经营").count() == 1
    nextcall = {**data, "text": "小区门口井盖丢失", "citizen_phone": "13900002222"}  # the page brought back whole
    assert client.post("/intake/", nextcall).url != response.url  # with the key of the request recorded: recorded
    assert client.post("/intake/", nextcall).status_code == 302
    assert Ticket.objects.filter(text="小区门口井盖丢失").count() == 1  # and itself once
    assert client.post("/intake/", {**data, "intake_key": "x" * 81}).status_code == 302  # not a key: a new one
    page = client.get(response.url).content.decode()
    assert ticket.query_code in page


def test_pickers(world, as_user):
    client = as_user(world.call_taker)
    html = client.get("/pick/units/", {"pq": "东华门", "kinds": "street,community", "value": "code"}).content.decode()
    assert world.street.code in html
    html = client.get("/pick/categories/", {"pq": "占道"}).content.decode()
    assert world.category.code in html


def test_search_filters(world, as_user):
    t = new_ticket(world)
    other = new_ticket(world, text="另一件事：噪音扰民", street_code=world.street_b.code)
    services.dispatch(world.dispatcher, other, world.street_b.pk)
    client = as_user(world.dispatcher)
    html = client.get("/tickets/", {"q": "噪音"}).content.decode()
    assert "噪音扰民" in html and t.title not in html
    html = client.get("/tickets/", {"street": world.street.pk}).content.decode()
    assert t.title in html and "噪音扰民" not in html
    assert client.get("/tickets/", {"number": t.number}).url == reverse("ticket_detail", args=[t.pk])
    # a street user only sees its own territory, once dispatched
    html = as_user(world.street_b_staff).get("/tickets/").content.decode()
    assert "噪音扰民" in html and t.title not in html


def test_worklist_filters_and_overdue(world, as_user):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    client = as_user(world.street_staff)
    html = client.get("/work/").content.decode()
    assert t.number in html
    assert t.number not in client.get("/work/", {"overdue": "on"}).content.decode()
    Ticket.objects.filter(pk=t.pk).update(reply_due=t.created_at)
    html = client.get("/work/", {"overdue": "on"}).content.decode()
    assert t.number in html and "row-overdue" in html
    assert t.number not in client.get("/work/", {"role": "co"}).content.decode()


def test_public_tracking_shows_nothing_personal(world, client):
    t = new_ticket(world)
    html = client.get("/track/", {"code": t.query_code}).content.decode()
    assert t.number in html
    assert "张三" not in html and "13812345678" not in html and "138****5678" not in html
    assert t.text not in html
    assert "field-error" in client.get("/track/", {"code": "NOPE"}).content.decode()


def test_language_switch_to_english(world, as_user):
    client = as_user(world.dispatcher)
    client.post("/i18n/setlang/", {"language": "en", "next": "/dispatch/"})
    html = client.get("/dispatch/").content.decode()
    assert "Awaiting dispatch" in html and 'lang="en"' in html


def test_return_and_arbitration_through_the_pages(world, as_user):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    client = as_user(world.street_staff)
    html = client.get(f"/tickets/{t.pk}/").content.decode()
    assert 'id="act-return"' in html and 'id="act-sign"' in html
    client.post(f"/tickets/{t.pk}/act/return/", {"reason": "属于劳动保障事项", "suggested_unit": world.dept.pk})
    t.refresh_from_db()
    assert t.state == "returned"
    client = as_user(world.dispatcher)
    html = client.get("/arbitration/").content.decode()
    assert "属于劳动保障事项" in html and world.dept.name in html
    response = client.post(f"/tickets/{t.pk}/act/arbitrate/", {"decision": "uphold", "lead_unit": world.dept.pk,
                                                               "note": "改派人社局", "next": "/arbitration/"})
    assert response.url == "/arbitration/"
    t.refresh_from_db()
    assert t.state == "dispatched" and t.lead_unit == world.dept


def test_extension_through_the_pages(world, as_user):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.sign(world.street_staff, t)
    client = as_user(world.street_staff)
    client.post(f"/tickets/{t.pk}/act/request_extension/", {"working_days": "3", "reason": "需协调多部门"})
    html = client.get(f"/tickets/{t.pk}/").content.decode()
    assert 'id="act-request_extension"' not in html  # one pending at a time
    client = as_user(world.dispatcher)
    assert "需协调多部门" in client.get("/arbitration/").content.decode()
    old_due = Ticket.objects.get(pk=t.pk).reply_due
    client.post(f"/tickets/{t.pk}/act/decide_extension/", {"decision": "approve", "note": "同意"})
    assert Ticket.objects.get(pk=t.pk).reply_due > old_due


def test_callback_not_reached_and_citizen_view(world, as_user):
    t = replied_ticket(world)
    client = as_user(world.callback_agent)
    client.post(f"/tickets/{t.pk}/act/callback/", {"reached": "0", "note": "无人接听"})
    t.refresh_from_db()
    assert t.state == "replied" and t.callback_attempts == 1
    Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    html = as_user(world.citizen).get(f"/tickets/{t.pk}/").content.decode()
    assert "已清理占道摊点" in html  # the reply
    assert 'class="timeline"' not in html and "无人接听" not in html  # no internal notes


def test_ticket_admin_is_read_only(world, client, django_user_model):
    t = new_ticket(world)
    admin = django_user_model.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    assert client.get("/admin/tickets/ticket/").status_code == 200
    response = client.get(f"/admin/tickets/ticket/{t.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="_save"' not in html and "intake" in html  # events shown, nothing to save
    assert "138****5678" in html and "13812345678" not in html and "张*" in html  # the citizen masked
    assert client.post(f"/admin/tickets/ticket/{t.pk}/change/", {"title": "改"}).status_code == 403
    assert client.get(f"/admin/tickets/ticket/{t.pk}/delete/").status_code == 403
    assert client.get("/admin/tickets/ticket/add/").status_code == 403
    assert client.get("/admin/tickets/ticketevent/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get(f"/admin/accounts/user/{world.street_staff.pk}/change/").status_code == 200
    assert client.get("/admin/accounts/apitoken/").status_code == 200
    html = client.get("/tickets/").content.decode()
    assert 'href="/admin/"' in html  # the admin link in the navigation
