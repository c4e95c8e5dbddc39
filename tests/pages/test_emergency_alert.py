"""The dispatch queue in a real browser: an emergency recorded while the page is open shows the banner naming it
(its words masked as the queue shows them), prefixes the title 「(1) 紧急」 and sounds a tone (an AudioContext
started), which the dispatcher can switch off, remembered over a reload; 「已看到」 clears the banner and the title."""
import pytest

from jiesu.core.tests_support import force_login
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, not_yet_committed

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"
POLL_MS = 15_000


def next_poll(page):
    page.clock.run_for(POLL_MS + 1000)


@pytest.mark.django_db(transaction=True)
def test_a_new_emergency_shows_the_banner_changes_the_title_and_sounds(live_server, page, world):  # noqa: F811
    new_ticket(world)
    force_login(page, live_server, world.dispatcher)
    page.clock.install()
    page.goto(live_server.url + "/dispatch/")
    title = page.title()
    page.locator("h1").click()  # a browser starts sound only after the user has touched the page
    next_poll(page)
    assert page.locator("#emergency-alert").is_hidden() and page.title() == title  # nothing new yet

    gas = new_ticket(world, text=GAS, channel="app")
    next_poll(page)
    banner = page.locator("#emergency-alert")
    banner.wait_for(state="visible")
    assert gas.number in banner.inner_text() and "疑似紧急 · 119" in banner.inner_text()
    assert "139****5678" in banner.inner_text() and "13912345678" not in banner.inner_text()
    assert "非来电诉求，请立即回拨市民" in banner.inner_text()
    assert page.title() == f"(1) 紧急 · {title}"
    assert page.evaluate("window.jiesuEmergencyAlert.tones") == 1
    assert page.evaluate("window.jiesuEmergencyAlert.audioState()") == "running"

    page.locator("#emergency-sound").uncheck()  # the tone off: the banner and the title still tell
    new_ticket(world, text="3号楼着火了，有人被困", channel="web")
    next_poll(page)
    page.wait_for_function("document.title.startsWith('(2) 紧急')")
    assert page.evaluate("window.jiesuEmergencyAlert.tones") == 1
    assert banner.locator("li").count() == 2

    page.locator("#emergency-alert [data-dismiss]").click()
    assert banner.is_hidden() and page.title() == title
    page.reload()
    assert not page.locator("#emergency-sound").is_checked()  # remembered


@pytest.mark.django_db(transaction=True)
def test_an_emergency_committed_after_a_later_one_is_announced_once_each(live_server, page, world):  # noqa: F811
    """The page sends back the cursor the poll returned: the ticket read above a gap is not announced again, and the
    one committed late is announced when it comes (core/id_cursor.py)."""
    new_ticket(world)
    force_login(page, live_server, world.dispatcher)
    page.goto(live_server.url + "/dispatch/")
    title = page.title()
    late, early = new_ticket(world, text="3号楼着火了，有人被困", channel="web"), new_ticket(world, text=GAS)
    commit = not_yet_committed(late)
    page.evaluate("window.jiesuEmergencyAlert.poll()")
    banner = page.locator("#emergency-alert")
    assert early.number in banner.inner_text() and page.title() == f"(1) 紧急 · {title}"
    page.evaluate("window.jiesuEmergencyAlert.poll()")
    assert banner.locator("li").count() == 1 and page.title() == f"(1) 紧急 · {title}"
    commit()
    page.evaluate("window.jiesuEmergencyAlert.poll()")
    assert page.title() == f"(2) 紧急 · {title}" and banner.locator("li").count() == 2
    assert late.number in banner.locator("li").first.inner_text()
