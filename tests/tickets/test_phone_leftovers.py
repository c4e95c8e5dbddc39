"""The caller's phone on the ticket's way after the phone rule's leftovers: the intake refuses a Beijing fixed line
a digit short with the phone message."""
import pytest
from django.utils import translation

from jiesu.tickets.services import DomainError, IntakeData, validate_intake

from .helpers import new_ticket
from .test_api import client_for


@pytest.mark.parametrize("typed", ["010-6512345", "(010)6512345", "021-6412345"])
def test_the_intake_refuses_a_fixed_line_a_digit_short(world, typed):
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        validate_intake(IntakeData(text="路灯坏了", citizen_phone=typed))
    assert refused.value.message.startswith("电话号码格式不正确：") and refused.value.field == "citizen_phone"


@pytest.mark.parametrize("typed, stored", [("010-65123456", "01065123456"), ("0551-6512345", "05516512345")])
def test_the_intake_takes_a_fixed_line_of_its_area_codes_length(world, typed, stored):
    assert new_ticket(world, citizen_phone=typed).citizen_phone == stored


@pytest.mark.parametrize("typed, lang, shown, stored", [
    ("010-65123456转8021", "zh-hans", "010-65123456 转 8021", "01065123456,8021"),
    ("010-65123456转8021", "en", "010-65123456 ext. 8021", "01065123456,8021"),
    ("+1 312 555 0100", "zh-hans", "+1 3125550100", "+13125550100"),
])
def test_the_apis_reveal_gives_the_phone_as_dialled_and_the_stored_form_apart(world, client, typed, lang, shown,
                                                                              stored):
    ticket = new_ticket(world, citizen_phone=typed)
    api = client_for(client, world.call_taker)
    revealed = api.get(f"/api/v1/tickets/{ticket.pk}/contact", HTTP_ACCEPT_LANGUAGE=lang).json()
    assert revealed == {"name": "张三", "phone": shown, "phone_stored": stored}
    assert ticket.events.filter(kind="contact_revealed", actor=world.call_taker).count() == 1


def test_the_openapi_document_describes_both_phones_of_the_reveal(client):
    contact = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["Contact"]
    assert contact["required"] == ["name", "phone", "phone_stored"]
    assert "dialled" in contact["properties"]["phone"]["description"]
    assert "stored" in contact["properties"]["phone_stored"]["description"]
