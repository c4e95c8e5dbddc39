"""A caller's phone after audit 9 on the ticket's way: the intake takes the platform's own stored form and refuses a
remark with a message that shows what to write, an international caller is no Chinese mobile's repeat, and the
ticket page shows the masked number as a phone and the revealed one as it is dialled."""
import pytest
from django.utils import translation

from jiesu.dispatch import duplicates
from jiesu.dispatch.duplicates import Draft
from jiesu.tickets import services
from jiesu.tickets.services import DomainError, IntakeData, validate_intake

from .helpers import new_ticket

STALL_AGAIN = "东华门大街路口早餐摊占道经营，行人只能走机动车道"


@pytest.mark.parametrize("typed", ["01065123456,8021", "010-65123456，8021", "010-65123456#8021", "(+86)13900139000",
                                   "+86 010 65123456", "8610-65123456", "+1 312 555 0100"])
def test_the_intake_takes_the_stored_form_and_the_usual_spellings(world, typed):
    validate_intake(IntakeData(text="路灯坏了", citizen_phone=typed))


@pytest.mark.parametrize("lang, message", [
    ("zh-hans", "电话号码格式不正确：请填写一个号码，如 13912345678 或 010-65123456转8021"),
    ("en", "The phone number is not valid: give one number, such as 13912345678 or 010-65123456 ext. 8021."),
])
def test_a_remark_is_refused_with_what_to_write(world, lang, message):
    with translation.override(lang), pytest.raises(DomainError) as refused:
        validate_intake(IntakeData(text="路灯坏了", citizen_phone="139 0013 9000（本人）"))
    assert refused.value.message == message and refused.value.field == "citizen_phone"


def test_an_international_caller_is_stored_with_its_prefix_and_is_no_chinese_mobiles_repeat(world):
    foreign = new_ticket(world, citizen_phone="+1 312 555 0100")
    assert foreign.citizen_phone == "+13125550100"
    place = duplicates.Place()
    assert duplicates.same_caller(world.call_taker, Draft(text=STALL_AGAIN, phone="131-2555-0100"), place) == []
    found = duplicates.same_caller(world.call_taker, Draft(text=STALL_AGAIN, phone="001 312 555 0100"), place)
    assert [r.ticket.pk for r in found] == [foreign.pk]
    with translation.override("zh-hans"):
        assert services.masked_contact(foreign)["phone"] == "+1 ******0100"


def test_the_ticket_page_shows_the_extension_as_a_phone_masked_and_revealed(world, client):
    ticket = new_ticket(world, citizen_phone="010-65123456转8021")
    assert ticket.citizen_phone == "01065123456,8021"
    client.force_login(world.call_taker)
    page = client.get(f"/tickets/{ticket.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "010****3456 转 ****" in page and "010****3456,****" not in page
    revealed = client.post(f"/tickets/{ticket.pk}/reveal/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "010-65123456 转 8021" in revealed and "01065123456,8021" not in revealed
