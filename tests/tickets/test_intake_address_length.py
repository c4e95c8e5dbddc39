"""Audit of how places come in (2026-12-07): an address longer than the ticket keeps is refused on the field by
the API and the page alike, before anything is written, instead of being cut."""
import pytest

from jiesu.tickets.models import Ticket, TicketEvent
from tests.grids.conftest import fast_passwords, gw  # noqa: F401  (fixtures)
from tests.tickets.test_intake_place_input import TEXT, api  # noqa: F401  (fixture)

LONG = "东华门街道" + "某某胡同" * 60  # 245 characters: the ticket keeps 200


@pytest.fixture
def page(gw, client):
    def post(**data):
        client.force_login(gw.call_taker)
        return client.post("/intake/", {"channel": "phone", "text": TEXT, **data})
    return post


def test_an_address_longer_than_the_ticket_keeps_is_refused_not_cut(api, page):
    """It was recorded cut to 200 characters (the place found from the whole text, what followed lost without a
    word), by the API and by a page form sent without the browser's maxlength."""
    refused = api(address=LONG)
    assert refused.status_code == 400 and refused.json()["field"] == "address"
    assert refused.json()["message"] == "地址过长（最多 200 个字）。"
    form = page(address=LONG)
    assert form.status_code == 400 and form.context["form"].errors["address"] == ["地址过长（最多 200 个字）。"]
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
    kept = api(address=LONG[:200])
    assert kept.status_code == 201 and Ticket.objects.get().address == LONG[:200]
