"""What the pages show of a ticket's text to who may not reveal the contact (audit 11, finding 21)."""
import pytest

from jiesu.dispatch import duplicates
from jiesu.tickets import services
from tests.tickets.helpers import new_ticket

from .test_text_masking import CONFIDENTIAL_TEXT, MASKED_TEXT, confidential  # noqa: F401 (a fixture)

CALLER_WORDS = "我叫韩梅梅，电话13912345678，"


def page_of(client, user, url):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_the_work_list_shows_the_unit_the_title_and_the_text_masked(world, client, confidential):
    page = page_of(client, world.street_staff, "/work/")
    assert "139****5678" in page and "110101********1234" in page
    assert "13912345678" not in page and "韩梅梅" not in page and "1391234567" not in page


def test_the_grid_page_of_a_ticket_masks_its_text_and_title(world, client, confidential):
    page = page_of(client, world.supervisor, f"/grids/tickets/{confidential.pk}/")
    assert MASKED_TEXT in page and "13912345678" not in page and "1391234567" not in page
    assert CONFIDENTIAL_TEXT in page_of(client, world.call_taker, f"/tickets/{confidential.pk}/")


@pytest.fixture
def fresh_index():
    duplicates.reset_index(refresh_seconds=0)  # every check looks at the database's latest rows
    yield
    duplicates.reset_index()


def test_the_dispatchers_duplicate_panel_masks_another_callers_words(world, client, fresh_index):
    new_ticket(world, text=f"{CALLER_WORDS}东华门大街有人占道经营，堵塞人行道", title="", citizen_name="韩梅梅",
               citizen_phone="13912345678")
    again = new_ticket(world, text="东华门大街路口早餐摊占道经营，行人只能走机动车道", citizen_name="李四")
    panel = page_of(client, world.dispatcher, f"/intake-check/ticket/{again.pk}/")
    assert "我叫韩**，电话139****5678，东华门大街" in panel and "13912345678" not in panel
    assert CALLER_WORDS in page_of(client, world.call_taker, f"/intake-check/ticket/{again.pk}/")


@pytest.mark.parametrize("field, typed", [("text", "我叫韩梅梅，电话139 1234 5678，楼下早餐摊占道"),
                                          ("text", "身份证110101199001011234，楼下早餐摊占道"),
                                          ("text", "退款打到银行卡6222 0212 3456 7890 123，楼下早餐摊占道"),
                                          ("title", "韩梅梅 13912345678 反映占道")])
def test_the_intake_prompts_the_call_taker_to_move_the_numbers_out_of_the_text(world, client, fresh_index, field,
                                                                                typed):
    client.force_login(world.call_taker)
    data = {"text": "楼下早餐摊占道", field: typed}
    panel = client.post("/intake-check/", data, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "诉求内容中含有电话、身份证号或银行卡号：请将市民电话填入联系电话栏" in panel
    client.cookies["django_language"] = "en"
    english = client.post("/intake-check/", data).content.decode()
    assert "The description holds a phone, an ID or a bank card&#x27;s number" in english


def test_no_prompt_for_numbers_that_name_no_one(world, client, fresh_index):
    client.force_login(world.call_taker)
    panel = client.post("/intake-check/", {"text": "12号楼门口早餐摊占道，2024-03-15打过12345"}).content.decode()
    assert "data-contact-in-text" not in panel


def test_the_intake_panel_masks_the_similar_tickets_for_a_dispatcher(world, client, fresh_index):
    new_ticket(world, text=f"{CALLER_WORDS}东华门大街有人占道经营，堵塞人行道", title="", citizen_name="韩梅梅")
    client.force_login(world.dispatcher)
    panel = client.post("/intake-check/", {"text": "东华门大街路口早餐摊占道经营，行人只能走机动车道",
                                           "street": world.street.code}).content.decode()
    assert "我叫韩**，电话139****5678，东华门大街" in panel and "13912345678" not in panel


def test_the_ticket_search_lists_the_title_masked(world, client, confidential):
    page = page_of(client, world.supervisor, "/tickets/")
    assert MASKED_TEXT[:40] in page and "1391234567" not in page and "韩梅梅" not in page
    assert CONFIDENTIAL_TEXT[:40] in page_of(client, world.call_taker, "/tickets/")


def test_the_units_notices_name_the_ticket_by_its_masked_title(world, client, confidential):
    services.supervise(world.supervisor, confidential, "请加快办理")
    page = page_of(client, world.street_staff, "/work/")
    assert page.count(MASKED_TEXT[:40]) == 3 and "1391234567" not in page  # the notice, the title, the snippet


def test_the_returns_queue_shows_the_masked_title(world, client, confidential):
    services.return_ticket(world.street_staff, confidential, "不属于本街道职责")
    page = page_of(client, world.dispatcher, "/arbitration/")
    assert MASKED_TEXT[:40] in page and "1391234567" not in page


def test_the_ticket_pages_timeline_masks_a_note_quoting_the_citizens_number(world, client, confidential):
    """A unit's contact note quotes the number it called: the timeline shows it masked to who may not reveal it."""
    ticket = services.sign(world.street_staff, confidential)
    services.contact(world.street_staff, ticket, "已电话联系韩梅梅13912345678，约定明天上门")
    page = page_of(client, world.street_staff, f"/tickets/{ticket.pk}/")
    assert "已电话联系韩**139****5678，约定明天上门" in page
    assert "13912345678" not in page and "韩梅梅" not in page
    assert "已电话联系韩梅梅13912345678" in page_of(client, world.call_taker, f"/tickets/{ticket.pk}/")
