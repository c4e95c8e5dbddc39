"""A return's (退单) and an extension request's (延期) reason must say something: 「1」, 「。。。」 or 「好好好好」 told the
hotline's arbitrator nothing and still put the ticket in the arbitration queue. The rule is the category
correction's and the negative-list override's (services.says_why): at least 4 characters besides spaces, two of them
letters (a 汉字 is one), not one character repeated. Refused in the services, so the page and the API alike, naming
the field, and writing nothing."""
import pytest

from jiesu.core.errors import DomainError
from jiesu.tickets import services
from jiesu.tickets.models import ExtensionRequest, ReturnRequest, State, TicketEvent
from tests.tickets.helpers import new_ticket

SAYING_NOTHING = ["1", "1234", "。。。。", "……！！", "好好好好", "同意", " 1 2 3 4 ", "?!?!"]
SAYING_SOMETHING = ["不属于本单位职责", "不归我管", "需协调多部门", "not ours", "欠薪属人社"]


@pytest.fixture
def ticket(world):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    return ticket


@pytest.fixture
def signed(world, ticket):
    services.sign(world.dept_staff, ticket)
    return ticket


def events(ticket):
    return TicketEvent.objects.filter(ticket=ticket).count()


@pytest.mark.parametrize("reason", SAYING_NOTHING)
def test_a_return_whose_reason_says_nothing_is_refused_naming_the_field(world, ticket, reason):
    before = events(ticket)
    with pytest.raises(DomainError) as refused:
        services.return_ticket(world.dept_staff, ticket, reason)
    assert refused.value.field == "reason"
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED and ticket.return_count == 0
    assert not ReturnRequest.objects.filter(ticket=ticket).exists() and events(ticket) == before


@pytest.mark.parametrize("reason", SAYING_NOTHING)
def test_an_extension_whose_reason_says_nothing_is_refused_naming_the_field(world, signed, reason):
    before = events(signed)
    with pytest.raises(DomainError) as refused:
        services.request_extension(world.dept_staff, signed, 3, reason)
    assert refused.value.field == "reason"
    assert not ExtensionRequest.objects.filter(ticket=signed).exists() and events(signed) == before


@pytest.mark.parametrize("reason", SAYING_SOMETHING)
def test_a_reason_that_says_something_is_taken(world, ticket, reason):
    services.return_ticket(world.dept_staff, ticket, reason)
    assert ReturnRequest.objects.get(ticket=ticket).reason == reason.strip()


def test_the_extension_takes_a_short_chinese_reason(world, signed):
    services.request_extension(world.dept_staff, signed, 3, "需协调产权单位")
    assert ExtensionRequest.objects.get(ticket=signed).reason == "需协调产权单位"


def test_the_empty_reason_is_still_asked_for_as_before(world, ticket):
    with pytest.raises(DomainError) as refused:
        services.return_ticket(world.dept_staff, ticket, "   ")
    assert refused.value.field == "reason" and refused.value.message == "请填写理由。"


def test_the_page_says_what_a_reason_needs_in_chinese_and_keeps_the_ticket(world, ticket, client):
    client.force_login(world.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    client.post(f"/tickets/{ticket.pk}/act/return/", {"reason": "1"})
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "“理由”须说明原因：至少 4 个字符" in html
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED


def test_the_page_refuses_an_extension_reason_of_digits(world, signed, client):
    client.force_login(world.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    client.post(f"/tickets/{signed.pk}/act/request_extension/", {"working_days": "3", "reason": "111"})
    assert "“理由”须说明原因" in client.get(f"/tickets/{signed.pk}/").content.decode()
    assert not ExtensionRequest.objects.filter(ticket=signed).exists()


@pytest.mark.parametrize("language, words", [("zh-hans", "“理由”须说明原因"), ("en", "“Reason” must say why")])
def test_the_api_refuses_it_with_400_on_reason_in_the_callers_language(world, ticket, client, language, words):
    client.force_login(world.dept_staff)
    answer = client.post(f"/api/v1/tickets/{ticket.pk}/return", {"reason": "。。。"},
                         content_type="application/json", HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 400
    body = answer.json()
    assert body["field"] == "reason" and words in body["message"]
    assert not ReturnRequest.objects.filter(ticket=ticket).exists()


def test_the_api_refuses_an_extension_reason_of_one_character_repeated(world, signed, client):
    client.force_login(world.dept_staff)
    answer = client.post(f"/api/v1/tickets/{signed.pk}/extension", {"working_days": 2, "reason": "延延延延延"},
                         content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 400 and answer.json()["field"] == "reason"
    assert not ExtensionRequest.objects.filter(ticket=signed).exists()
