"""The dispatch queue in a real browser: an emergency whose return the dispatcher upheld while the page is open is
announced again, marked 「重新待派」, though its ticket is older than the page."""
import pytest

from jiesu.core.tests_support import force_login
from jiesu.tickets import services
from pages.test_emergency_alert import GAS, next_poll
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket


@pytest.mark.django_db(transaction=True)
def test_an_emergency_back_in_the_queue_is_announced_again(live_server, page, world):  # noqa: F811
    gas = new_ticket(world, text=GAS)
    services.dispatch(world.dispatcher, gas, world.street.pk)
    force_login(page, live_server, world.dispatcher)
    page.clock.install()
    page.goto(live_server.url + "/dispatch/")
    title = page.title()
    next_poll(page)
    assert page.locator("#emergency-alert").is_hidden()  # dispatched: nothing to announce

    services.return_ticket(world.street_staff, gas, "不属于本街道职责")
    services.arbitrate(world.dispatcher, gas, True, "退回热线重新派单")
    next_poll(page)
    banner = page.locator("#emergency-alert")
    banner.wait_for(state="visible")
    item = banner.locator("li")
    assert item.count() == 1 and gas.number in item.inner_text()
    assert "重新待派" in item.inner_text() and "疑似紧急 · 119" in item.inner_text()
    assert page.title() == f"(1) 紧急 · {title}"

    next_poll(page)  # the same entry is not announced twice
    assert item.count() == 1 and page.title() == f"(1) 紧急 · {title}"
