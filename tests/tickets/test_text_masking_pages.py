"""The ticket page and the dispatch queue show a ticket's words masked to who may not reveal the contact (audit 11,
finding 21), the merged requests' words each by its own citizen."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.tickets import services
from tests.tickets.helpers import new_ticket

from .test_text_masking import CONFIDENTIAL_TEXT, MASKED_TEXT, confidential  # noqa: F401 (a fixture)
from .test_text_masking_views import CALLER_WORDS, page_of


def test_the_ticket_page_masks_a_confidential_tickets_title_and_text_for_its_lead_unit(world, client, confidential):
    page = page_of(client, world.street_staff, f"/tickets/{confidential.pk}/")
    assert MASKED_TEXT in page and f"<h1>{MASKED_TEXT[:40]}</h1>" in page
    assert "13912345678" not in page and "1391234567" not in page and "110101199001011234" not in page


def merged_into(world, parent, words, name):
    child = new_ticket(world, text=f"{words}东华门大街有人占道经营，堵塞人行道", citizen_name=name)
    services.merge(world.dispatcher, child, parent)


def test_the_merged_requests_words_are_masked_for_the_parents_unit_at_no_query_a_request(world, client):
    parent = services.dispatch(world.dispatcher, new_ticket(world), world.street.pk)
    merged_into(world, parent, CALLER_WORDS, "韩梅梅")
    client.force_login(world.street_staff)
    client.get(f"/tickets/{parent.pk}/")  # the process's reference data read once (the time-limit classes)
    with CaptureQueriesContext(connection) as one:
        page = client.get(f"/tickets/{parent.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我叫韩**，电话139****5678，东华门大街" in page and "13912345678" not in page
    merged_into(world, parent, "我叫李四，手机13800138000，", "李四")
    merged_into(world, parent, "", "王五")
    with CaptureQueriesContext(connection) as three:
        page = client.get(f"/tickets/{parent.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "我叫李*，手机138****8000" in page and len(three) == len(one)


def test_the_dispatch_queue_masks_the_cards_for_the_dispatcher(world, client):
    new_ticket(world, text=CONFIDENTIAL_TEXT, title="", citizen_name="韩梅梅", confidential=True)
    page = page_of(client, world.dispatcher, "/dispatch/")
    assert MASKED_TEXT[:40] in page and "13912345678" not in page and "1391234567" not in page
