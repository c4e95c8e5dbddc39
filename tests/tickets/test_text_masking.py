"""Personal data inside a ticket's text is masked as the contact fields are (audit 11, finding 21): phone and ID
numbers and the citizen's own name, for every reader who may not reveal the contact; the stored text unchanged."""
import pytest

from jiesu.core.text_masking import has_contact_numbers, masked_text, text_for
from jiesu.tickets import services
from tests.tickets.helpers import new_ticket

CONFIDENTIAL_TEXT = "我叫韩梅梅，身份证110101199001011234，电话13912345678，举报隔壁小区物业乱收费，请为我保密"
MASKED_TEXT = "我叫韩**，身份证110101********1234，电话139****5678，举报隔壁小区物业乱收费，请为我保密"


@pytest.mark.parametrize("text, masked", [
    (CONFIDENTIAL_TEXT, MASKED_TEXT),
    ("电话：139-1234-5678，或 139 1234 5678", "电话：139****5678，或 139****5678"),
    ("+86 139 1234 5678；手机１３９１２３４５６７８", "139****5678；手机139****5678"),
    ("座机010-65123456转8021，（0571）88776655", "座机010****3456转8021，057*****6655"),
    ("（13912345678）两个号13912345678 13812345678", "（139****5678）两个号139****5678 138****5678"),
    ("身份证11010119900101123X。", "身份证110101********123X。"),
    ("联系电话65123456", "联系电话****3456"),
    ("手机13912345678x8021，身份证１１０１０１１９９００１０１１２３４", "手机139****5678x8021，身份证１１０１０１********１２３４"),
    ("+1 312 555 0100 call me", "+1 ******0100 call me"),
    ("卡号6222 0212 3456 7890 123，工资打到这张卡", "卡号6222 **** **** ***0 123，工资打到这张卡"),
    ("银行卡6217001234567890123被冻结", "银行卡6217***********0123被冻结"),  # fails the check digit: a card word
    ("转账到4111111111111111", "转账到4111********1111"),                    # passes it
    ("card number 4111-1111-1111-1111", "card number 4111-****-****-1111"),
    ("老身份证130102851201001，新的还没办", "老身份证130102******001，新的还没办"),
])
def test_phone_and_id_numbers_are_masked_as_the_fields(world, text, masked):
    assert masked_text(text, "韩梅梅") == masked


@pytest.mark.parametrize("text", [
    "12号楼3单元501室，2024-03-15欠薪3000元，打12345，邮编100010",
    "案件编号20240315000123，日期20240315，金额30000000元，共2000000人",
    "客服400-810-8888，投诉电话费3000000元",
    "订单号123456789012345678901",  # 21 digits: no ID number, no phone
    "联系日期2024-03-15",
    "工单号20261207-0035122，前一张20261207-0035121",
    "案件编号2024031500012345，流水号202403150001234567",  # open with a date
    "订单号4111111111111111，快递单号1234567890123456",     # after a number word, even with a card's check digit
    "4111 1111 1111 111，6222 0212 3456 78",               # 15 and 14 digits: too few for a card
    "130102851301001，202612070035122，990102851201001",    # 15 digits: no month 13, no province 20 or 99
    "2026年12月7日付款12345元，邮编100010，拨打12345",
])
def test_numbers_that_name_no_person_stay(world, text):
    assert masked_text(text, "韩梅梅") == text


def test_a_name_of_one_character_is_not_masked_everywhere_it_appears(world):
    assert masked_text("王府井大街王大爷", "王") == "王府井大街王大爷"


def test_the_intake_hint_sees_phone_id_and_bank_card_numbers_only(world):
    assert has_contact_numbers("我的电话13912345678")
    assert has_contact_numbers("身份证110101199001011234")
    assert has_contact_numbers("退款打到4111 1111 1111 1111")  # a card's check digit
    assert has_contact_numbers("退款打到银行卡6222 0212 3456 7890 123")  # after a card word
    assert not has_contact_numbers("12号楼门口占道，打过12345")
    assert not has_contact_numbers("订单号4111111111111111")


@pytest.fixture
def confidential(world):
    """A 保密 report dispatched to the street: its staff lead it and still may not reveal the contact."""
    ticket = new_ticket(world, text=CONFIDENTIAL_TEXT, title="", citizen_name="韩梅梅",
                        citizen_phone="13912345678", confidential=True)
    return services.dispatch(world.dispatcher, ticket, world.street.pk)


def test_who_reads_the_text_whole(world, confidential):
    masked = [world.street_staff, world.dispatcher, world.supervisor, world.grid_worker]
    whole = [world.call_taker, world.callback_agent]
    assert {text_for(u, confidential) for u in masked} == {MASKED_TEXT}
    assert {text_for(u, confidential) for u in whole} == {CONFIDENTIAL_TEXT}
    assert text_for(None, confidential) == MASKED_TEXT
    confidential.refresh_from_db()
    assert confidential.text == CONFIDENTIAL_TEXT  # stored whole


def test_the_lead_unit_reads_a_non_confidential_open_ticket_whole(world):
    ticket = new_ticket(world, text=CONFIDENTIAL_TEXT, citizen_name="韩梅梅")
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    assert text_for(world.street_staff, ticket) == CONFIDENTIAL_TEXT
    assert text_for(world.district_staff, ticket) == MASKED_TEXT  # sees it by territory, may not reveal


def test_the_citizen_reads_their_own_words_whole(world):
    ticket = new_ticket(world, text=CONFIDENTIAL_TEXT, citizen_name="韩梅梅", confidential=True)
    ticket.citizen_user = world.citizen
    ticket.save(update_fields=["citizen_user"])
    assert text_for(world.citizen, ticket) == CONFIDENTIAL_TEXT
