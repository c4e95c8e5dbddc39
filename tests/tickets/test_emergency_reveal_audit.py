"""Audit of the dispatcher's reveal of a citizen's name and number to call back an emergency that did not come by
phone (tickets.emergencies.may_reveal_to_call_back / may_reveal_number, the page's and the API's reveal, the event
each writes) and of the hotline's Notice 「非来电紧急诉求」."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone, translation

from jiesu.tickets import emergencies, services
from jiesu.tickets.models import Notice, NoticeKind, State, Ticket

from .helpers import new_ticket
from .test_api import client_for

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"
STALL = "东华门大街有人占道经营，堵塞人行道"


def gas_by_app(world, **kw):
    return new_ticket(world, text=GAS, channel="app", **kw)


def reveals(ticket):
    return ticket.events.filter(kind="contact_revealed")


def page_reveal(client, user, ticket):
    client.force_login(user)
    return client.post(f"/tickets/{ticket.pk}/reveal/")


def api_reveal(client, user, ticket):
    return client_for(client, user).get(f"/api/v1/tickets/{ticket.pk}/contact")


# ── the dispatcher may reveal, once per reveal, naming who and why ──────────────────────────────────────────────

@pytest.mark.parametrize("channel", ["app", "web", "api", "patrol", "sensor"])
def test_a_dispatcher_may_reveal_a_non_phone_emergency_awaiting_dispatch(world, channel):
    gas = new_ticket(world, text=GAS, channel=channel)
    assert gas.state == State.NEW
    assert emergencies.may_reveal_to_call_back(world.dispatcher, gas)
    assert services.reveal_contact(world.dispatcher, gas) == {"name": "张三", "phone": "13812345678"}


def test_each_page_reveal_writes_one_event_naming_the_dispatcher_and_the_call_back(world, client):
    gas = gas_by_app(world)
    answer = page_reveal(client, world.dispatcher, gas)
    assert answer.status_code == 200 and "13812345678" in answer.content.decode()
    [event] = reveals(gas)
    assert (event.actor, event.actor_unit_id) == (world.dispatcher, world.hc.pk)
    assert event.payload == {"basis": "call_back", "line": "119"}
    assert page_reveal(client, world.dispatcher, gas).status_code == 200
    assert reveals(gas).count() == 2


def test_each_api_reveal_writes_one_event_naming_the_dispatcher_and_the_call_back(world, client):
    gas = gas_by_app(world)
    assert api_reveal(client, world.dispatcher, gas).json()["phone_stored"] == "13812345678"
    [event] = reveals(gas)
    assert event.actor == world.dispatcher and event.payload == {"basis": "call_back", "line": "119"}


def test_a_call_takers_reveal_names_their_role_as_why(world):
    gas = gas_by_app(world)
    services.reveal_contact(world.call_taker, gas)
    [event] = reveals(gas)
    assert event.actor == world.call_taker and event.payload == {"basis": "role"}


# ── refused: no longer awaiting dispatch, no longer an emergency, by phone ──────────────────────────────────────

def refused_everywhere(client, user, ticket):
    assert not emergencies.may_reveal_number(user, ticket)
    assert page_reveal(client, user, ticket).status_code == 403
    assert api_reveal(client, user, ticket).status_code == 403
    assert not reveals(ticket).exists()


def test_refused_once_dispatched(world, client):
    gas = gas_by_app(world)
    services.dispatch(world.dispatcher, gas, world.street.pk)
    gas.refresh_from_db()
    refused_everywhere(client, world.dispatcher, gas)


def test_refused_once_merged(world, client):
    parent = gas_by_app(world)
    gas = gas_by_app(world)
    services.merge(world.dispatcher, gas, parent, confirm=True)
    gas.refresh_from_db()
    assert gas.state == State.MERGED
    refused_everywhere(client, world.dispatcher, gas)


def test_refused_once_closed(world, client):
    gas = gas_by_app(world)
    services.close_special(world.dispatcher, gas, "emergency", "已转119")
    gas.refresh_from_db()
    assert gas.state == State.CLOSED
    refused_everywhere(client, world.dispatcher, gas)


def test_refused_once_the_text_no_longer_reads_as_an_emergency(world, client):
    gas = gas_by_app(world)
    assert emergencies.may_reveal_number(world.dispatcher, gas)
    gas.title, gas.text = STALL, STALL  # the text corrected: the rule is read again, nothing is stored
    gas.save()
    refused_everywhere(client, world.dispatcher, gas)


def test_refused_for_an_earlier_systems_backlog_but_not_for_a_recent_import(world, client):
    old, recent = gas_by_app(world), gas_by_app(world)
    for ticket, key, overdue in ((old, "import:la311:1", timedelta(days=30)), (recent, "import:la311:2", timedelta())):
        Ticket.objects.filter(pk=ticket.pk).update(channel="import", idempotency_key=key,
                                                   dispatch_due=timezone.now() - overdue)
        ticket.refresh_from_db()
    refused_everywhere(client, world.dispatcher, old)
    assert services.reveal_contact(world.dispatcher, recent)["phone"] == "13812345678"


def test_refused_for_a_phone_call(world, client):
    refused_everywhere(client, world.dispatcher, new_ticket(world, text=GAS, channel="phone"))


# ── refused: the citizen's protection (保密, 举报, 匿名), as scoping.may_reveal_contact's and the dispatch's ──────

@pytest.mark.parametrize("protection", [{"confidential": True}, {"request_type": "report"}, {"anonymous": True}])
def test_a_dispatcher_may_not_reveal_a_protected_citizen(world, client, protection):
    gas = gas_by_app(world, **protection)
    refused_everywhere(client, world.dispatcher, gas)


@pytest.mark.parametrize("protection", [{"confidential": True}, {"request_type": "report"}])
def test_the_hotlines_call_taker_still_may_call_a_protected_citizen_back(world, protection):
    gas = gas_by_app(world, **protection)
    assert services.reveal_contact(world.call_taker, gas)["phone"] == "13812345678"


# ── refused: other roles ────────────────────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize("who", ["supervisor", "street_staff", "grid_worker", "dept_staff", "district_staff"])
def test_other_roles_may_not_reveal_an_emergency_awaiting_dispatch(world, client, who):
    user = getattr(world, who)
    gas = gas_by_app(world)
    assert not emergencies.may_reveal_number(user, gas)
    assert page_reveal(client, user, gas).status_code in (403, 404)
    assert api_reveal(client, user, gas).status_code in (403, 404)
    assert not reveals(gas).exists()


def test_a_citizen_may_not_reveal_even_their_own_emergency_through_the_reveal(world, client):
    gas, _ = services.create_ticket(world.citizen, services.IntakeData(
        text=GAS, channel="app", citizen_name="张三", citizen_phone="13812345678", category_code=world.category.code,
        street_code=world.street.code))
    assert not emergencies.may_reveal_number(world.citizen, gas)
    assert page_reveal(client, world.citizen, gas).status_code == 403
    assert api_reveal(client, world.citizen, gas).status_code == 403
    assert not reveals(gas).exists()


# ── the reveal is a POST with CSRF: no link, image or prefetch reveals ──────────────────────────────────────────

def test_the_pages_reveal_refuses_a_get(world, client):
    gas = gas_by_app(world)
    client.force_login(world.dispatcher)
    assert client.get(f"/tickets/{gas.pk}/reveal/").status_code == 405
    assert not reveals(gas).exists()


def test_the_pages_reveal_refuses_a_post_without_the_csrf_token(world):
    gas = gas_by_app(world)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.dispatcher)
    assert browser.post(f"/tickets/{gas.pk}/reveal/").status_code == 403
    assert not reveals(gas).exists()
    browser.get(f"/tickets/{gas.pk}/")  # the page sets the token the button sends
    token = browser.cookies["csrftoken"].value
    assert browser.post(f"/tickets/{gas.pk}/reveal/", HTTP_X_CSRFTOKEN=token).status_code == 200
    assert reveals(gas).count() == 1


@pytest.mark.parametrize("lang, words", [
    ("zh-hans", "接口只向 API 令牌显示诉求人联系方式：在页面上请点击「显示号码」。"),
    ("en", "The API reveals a citizen's contact to an API token only: on the page, press “Show number”."),
])
def test_the_apis_reveal_refuses_a_browser_sessions_get(world, lang, words):
    """A logged-in browser sends its session cookie with a link followed, an <img src> or a prefetch: the API's GET
    reveal answers a bearer token only (which a browser never adds by itself)."""
    gas = gas_by_app(world)
    browser = Client()
    browser.force_login(world.dispatcher)
    answer = browser.get(f"/api/v1/tickets/{gas.pk}/contact", HTTP_ACCEPT_LANGUAGE=lang)
    assert answer.status_code == 403 and answer.json()["message"] == words
    assert "13812345678" not in answer.content.decode()
    assert not reveals(gas).exists()


def test_the_apis_reveal_without_a_login_or_a_token_is_unauthenticated(world):
    gas = gas_by_app(world)
    assert Client().get(f"/api/v1/tickets/{gas.pk}/contact").status_code == 401
    assert not reveals(gas).exists()


# ── the Notice 「非来电紧急诉求」 ────────────────────────────────────────────────────────────────────────────────

def test_the_notice_holds_no_number_and_is_worded_in_chinese(world):
    with translation.override("zh-hans"):
        gas = gas_by_app(world)
    [notice] = Notice.objects.filter(ticket=gas)
    assert (notice.kind, notice.unit) == (NoticeKind.EMERGENCY, world.hc)
    assert notice.text.startswith("疑似紧急（") and notice.text.endswith("经移动应用受理：请立即回拨市民。")
    assert "13912345678" not in notice.text and "13812345678" not in notice.text and "张三" not in notice.text


def test_the_notice_is_worded_in_english(world):
    with translation.override("en"):
        gas = gas_by_app(world)
    [notice] = Notice.objects.filter(ticket=gas)
    assert notice.text.startswith("Reads as an emergency (") and notice.text.endswith(
        "and came by App: call the citizen back now.")
    assert "1391234" not in notice.text and "1381234" not in notice.text


def test_no_notice_for_a_phone_call_or_a_text_that_is_no_emergency(world):
    assert not Notice.objects.filter(ticket=new_ticket(world, text=GAS, channel="phone")).exists()
    assert not Notice.objects.filter(ticket=new_ticket(world, text=STALL, channel="app")).exists()
