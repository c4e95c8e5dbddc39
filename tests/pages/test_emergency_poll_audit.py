"""The dispatch queue's emergency poll in a real browser when it fails (audit of 2026-12-07): a lapsed login, a
server error or a network failure is said on the page (and in its title, seen from another tab) instead of the
page polling on in silence; once the poll answers again the warning goes and what was recorded meanwhile is
announced, once."""
import pytest

from jiesu.core.tests_support import force_login
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
FIRE = "3号楼着火了，有人被困"


def poll(page):
    page.evaluate("window.jiesuEmergencyAlert.poll()")


@pytest.mark.django_db(transaction=True)
def test_a_lapsed_login_is_said_and_the_emergencies_meanwhile_come_after_the_login(live_server, page, world):  # noqa: F811
    new_ticket(world)
    force_login(page, live_server, world.dispatcher)
    page.goto(live_server.url + "/dispatch/")
    title = page.title()
    warning = page.locator("#emergency-poll-failed")
    poll(page)
    assert warning.is_hidden()

    page.context.clear_cookies()  # the session lapsed
    gas = new_ticket(world, text=GAS, channel="app")
    poll(page)
    assert warning.is_visible() and "紧急提醒已中断：登录已过期" in warning.inner_text()
    assert page.title() == f"(!) 提醒中断 · {title}"
    assert page.locator("#emergency-alert").is_hidden()

    force_login(page, live_server, world.dispatcher)  # logged in again (another tab)
    poll(page)
    assert warning.is_hidden()
    banner = page.locator("#emergency-alert")
    assert banner.is_visible() and gas.number in banner.inner_text() and page.title() == f"(1) 紧急 · {title}"
    poll(page)
    assert banner.locator("li").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_server_error_or_a_network_failure_is_said_in_english_after_two_polls(live_server, page, world):  # noqa: F811
    new_ticket(world)
    force_login(page, live_server, world.dispatcher)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(live_server.url + "/dispatch/")
    title = page.title()
    warning = page.locator("#emergency-poll-failed")
    page.route("**/dispatch/emergencies/**", lambda route: route.fulfill(status=500, body="Server Error"))
    poll(page)
    assert warning.is_hidden()  # one failure may be a moment's blip
    page.unroute("**/dispatch/emergencies/**")
    page.route("**/dispatch/emergencies/**", lambda route: route.abort("internetdisconnected"))
    poll(page)
    assert warning.is_visible() and "Emergency alerts cannot be fetched" in warning.inner_text()
    assert page.title() == f"(!) Alerts stopped · {title}"

    page.unroute("**/dispatch/emergencies/**")
    fire = new_ticket(world, text=FIRE, channel="web")
    poll(page)
    assert warning.is_hidden() and fire.number in page.locator("#emergency-alert").inner_text()
    assert page.title().startswith("(1) ")
