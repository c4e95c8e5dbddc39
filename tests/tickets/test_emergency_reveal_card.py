"""The dispatch queue's call-back box says who calls a protected citizen back: for a confidential (保密) or report
(举报) emergency not recorded by phone, whose number the dispatcher may not reveal (tickets.emergencies
.protects_citizen), it hands the call back to a call-taker; a plain one has the 显示号码 button instead."""
import pytest

from .helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
HAND_OVER = "保密或举报诉求：号码只向接线员显示，请交由接线员回拨。"


def card(client, user, ticket, language="zh-hans"):
    client.force_login(user)
    client.cookies["django_language"] = language
    html = client.get("/dispatch/").content.decode()
    start = html.index(f'id="t{ticket.pk}"')
    return html[start:html.index("</article>", start)]


@pytest.mark.parametrize("protection", [{"confidential": True}, {"request_type": "report"}])
def test_a_protected_citizens_call_back_goes_to_a_call_taker(world, client, protection):
    gas = new_ticket(world, text=GAS, channel="app", **protection)
    box = card(client, world.dispatcher, gas)
    assert "data-call-back" in box and HAND_OVER in box and "显示号码" not in box
    english = card(client, world.dispatcher, gas, "en")
    assert "hand the call back to a call-taker" in english


def test_a_plain_citizens_call_back_has_the_button_and_no_hand_over(world, client):
    gas = new_ticket(world, text=GAS, channel="app")
    box = card(client, world.dispatcher, gas)
    assert "显示号码" in box and HAND_OVER not in box


def test_an_anonymous_emergency_has_nobody_to_call_back(world, client):
    gas = new_ticket(world, text=GAS, channel="app", anonymous=True)
    box = card(client, world.dispatcher, gas)
    assert "匿名" in box and HAND_OVER not in box
