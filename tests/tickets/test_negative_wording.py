"""The negative list's (负面清单) refusals name the reason's field as the form labels it (派单说明 on the dispatch
form, 审核意见 on the 退单审核 form; the API says "note"), and the first refusal already asks for the reason
(audit 10, #1): one refusal, then the dispatch, not three submissions."""
import pytest

from jiesu.tickets import services
from tests.tickets.helpers import new_ticket
from tests.tickets.test_negative_list import api
from tests.tickets.test_negative_override import (arbitrate_form, barred,  # noqa: F401  (fixture)
                                                  returned_with_suggestion)


def test_the_dispatch_form_asks_for_the_reason_in_its_note_at_the_first_refusal(world, barred, client):
    ticket = new_ticket(world)
    client.force_login(world.dispatcher)
    url = f"/tickets/{ticket.pk}/act/dispatch/"
    form = {"lead_unit": world.street.pk, "category": world.category.code}
    first = client.post(url, form, follow=True).content.decode()
    assert "请勾选「已核实：越过负面清单派单」并在「派单说明」中写明理由，再派单。" in first
    second = client.post(url, {**form, "confirm_negative": "1", "negative_units": world.street.pk},
                         follow=True).content.decode()
    assert "越过负面清单派单须填写理由：请写在「派单说明」中。" in second and "（note）" not in second


@pytest.mark.parametrize("page", ["/arbitration/", "ticket"])
def test_the_arbitration_form_asks_for_the_reason_in_its_decision_note(world, barred, client, page):
    ticket = returned_with_suggestion(world)
    page = f"/tickets/{ticket.pk}/" if page == "ticket" else page
    client.force_login(world.dispatcher)
    url = f"/tickets/{ticket.pk}/act/arbitrate/"
    first = client.post(url, arbitrate_form(ticket, world, page), follow=True).content.decode()
    assert "并在「审核意见」中写明理由" in first
    second = client.post(url, arbitrate_form(ticket, world, page, confirm_negative="1",
                                             negative_units=world.street.pk), follow=True).content.decode()
    assert "请写在「审核意见」中" in second and "派单说明" not in second.split("请写在")[1][:10]


def test_the_api_asks_for_confirm_negative_and_note_in_its_own_terms(world, barred):
    ticket = new_ticket(world)
    post = api(world.dispatcher)
    url = f"/api/v1/tickets/{ticket.pk}/dispatch"
    first = post(url, {"lead_unit": world.street.pk}).json()["message"]
    assert '"confirm_negative": true 并在 "note" 中写明理由' in first and "已核实" not in first
    second = post(url, {"lead_unit": world.street.pk, "confirm_negative": True}).json()["message"]
    assert second == '越过负面清单派单须填写理由：请在 "note" 中发送。'


def test_the_refusals_are_in_english_under_english(world, barred):
    from django.utils import translation

    ticket = new_ticket(world)
    with translation.override("en"), pytest.raises(services.NegativeListRefusal) as caught:
        services.dispatch(world.dispatcher, ticket, world.street.pk)
    assert "write the reason in “Note to the units”" in caught.value.message
