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


@pytest.mark.django_db(transaction=True)
def test_a_poll_slower_than_its_interval_does_not_announce_twice(live_server, page, world):  # noqa: F811
    """A poll answered after the next one was sent (a slow server, a stalled network): both sent the same cursor
    and both announced the same emergency, 「(2) 紧急」 for one."""
    new_ticket(world)
    force_login(page, live_server, world.dispatcher)
    page.goto(live_server.url + "/dispatch/")
    title = page.title()
    held = []
    page.route("**/dispatch/emergencies/**", lambda route: held.append(route))
    gas = new_ticket(world, text=GAS, channel="app")
    page.evaluate("() => { window.jiesuEmergencyAlert.poll(); }")
    page.wait_for_function("window.jiesuEmergencyAlert.asked >= 1")
    page.evaluate("() => { window.jiesuEmergencyAlert.poll(); }")  # the next tick, the first still unanswered
    asked = page.evaluate("window.jiesuEmergencyAlert.asked")
    while len(held) < asked:  # the requests sent reach the route (Playwright hands them over as it waits)
        page.wait_for_timeout(50)
    for route in held:
        route.continue_()
    page.wait_for_function("window.jiesuEmergencyAlert.answered === window.jiesuEmergencyAlert.asked")
    banner = page.locator("#emergency-alert")
    assert banner.locator("li").count() == 1 and gas.number in banner.inner_text()
    assert page.title() == f"(1) 紧急 · {title}"


@pytest.mark.django_db(transaction=True)
def test_a_poll_never_answered_is_dropped_after_two_intervals_and_asked_again(live_server, page, world):  # noqa: F811
    new_ticket(world)
    force_login(page, live_server, world.dispatcher)
    page.clock.install()
    page.goto(live_server.url + "/dispatch/")
    stalled = []
    page.route("**/dispatch/emergencies/**", lambda route: stalled.append(route))  # stalled: no answer ever
    page.evaluate("() => { window.jiesuEmergencyAlert.poll(); }")
    page.clock.run_for(15_000)  # the next tick waits for the unanswered poll
    assert page.evaluate("[window.jiesuEmergencyAlert.asked, window.jiesuEmergencyAlert.answered]") == [1, 0]
    page.clock.run_for(15_500)
    page.wait_for_function("window.jiesuEmergencyAlert.answered === 1")  # dropped as a failure
    end_stalled(stalled)
    page.unroute("**/dispatch/emergencies/**")
    gas = new_ticket(world, text=GAS, channel="app")
    page.evaluate("window.jiesuEmergencyAlert.poll()")
    assert gas.number in page.locator("#emergency-alert").inner_text()


def end_stalled(routes):
    """Ends the requests a test's route held unanswered: a route left pending keeps Playwright's task for it
    pending until the garbage collector destroys it, whose log line, inside another test's ast.parse, failed that
    test (CPython 3.11: "AST constructor recursion depth mismatch")."""
    from playwright.sync_api import Error

    for route in routes:
        try:
            route.abort()
        except Error:  # the page dropped the request already
            pass
