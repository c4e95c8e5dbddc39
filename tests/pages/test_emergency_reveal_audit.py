"""The dispatcher's reveal on the dispatch queue in a real browser: 「显示号码」 on an app emergency's card reveals by
a POST with the page's CSRF token and records one event naming the call back; a confidential emergency's card
offers no button; the API's GET reveal, opened as a link in the logged-in browser, reveals and records nothing."""
import pytest

from jiesu.core.tests_support import force_login
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"


def card_of(page, ticket):
    return page.locator(f"#contact-{ticket.pk}")


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_reveals_an_app_emergency_by_the_button_once(live_server, page, world):  # noqa: F811
    gas = new_ticket(world, text=GAS, channel="app")
    secret = new_ticket(world, text=GAS, channel="app", confidential=True, citizen_phone="13912345678")
    force_login(page, live_server, world.dispatcher)
    page.goto(live_server.url + "/dispatch/")

    contact = card_of(page, gas)
    assert "138****5678" in contact.inner_text() and "13812345678" not in contact.inner_text()
    contact.get_by_role("button", name="显示号码").click()
    page.wait_for_selector(f"#contact-{gas.pk} >> text=13812345678")
    assert "（查看已留痕）" in card_of(page, gas).inner_text()
    events = list(gas.events.filter(kind="contact_revealed"))
    assert [(e.actor_id, e.payload) for e in events] == [(world.dispatcher.pk, {"basis": "call_back", "line": "119"})]

    hidden = card_of(page, secret)
    assert "139****5678" in hidden.inner_text() and "13912345678" not in page.content()
    assert hidden.get_by_role("button").count() == 0
    assert not secret.events.filter(kind="contact_revealed").exists()


@pytest.mark.django_db(transaction=True)
def test_a_link_to_the_apis_reveal_reveals_nothing_in_the_browser(live_server, page, world):  # noqa: F811
    gas = new_ticket(world, text=GAS, channel="app")
    force_login(page, live_server, world.dispatcher)
    answer = page.goto(live_server.url + f"/api/v1/tickets/{gas.pk}/contact")
    assert answer.status == 403 and "13812345678" not in page.content()
    assert answer.json()["message"] == "接口只向 API 令牌显示诉求人联系方式：在页面上请点击「显示号码」。"
    assert not gas.events.filter(kind="contact_revealed").exists()
