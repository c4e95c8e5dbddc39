"""The notices page in a real browser: a dispatcher sees the menu's unread count, opens 「提醒」, reads the emergency
notice of an app request (its words masked), marks it read, and the row names who read it; the count is gone."""
import pytest

from jiesu.core.tests_support import force_login
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"


@pytest.mark.django_db(transaction=True)
def test_a_dispatcher_reads_an_emergency_notice_and_marks_it_read(live_server, page, world):  # noqa: F811
    gas = new_ticket(world, text=GAS, channel="app")
    force_login(page, live_server, world.dispatcher)
    page.goto(live_server.url + "/dispatch/")
    menu = page.locator("nav.nav a", has_text="提醒")
    assert menu.locator(".nav-count").inner_text() == "1"

    menu.click()
    page.wait_for_url("**/notices/")
    row = page.locator("tr.notice-unread")
    assert row.count() == 1
    text = row.inner_text()
    assert gas.number in text and "非来电紧急诉求" in text and "移动应用" in text and "东华门街道" in text
    assert "139****5678" in text and "13912345678" not in text

    page.get_by_label("类型").select_option("emergency")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/notices/?kind=emergency*")
    page.locator("tr.notice-unread").get_by_role("button", name="标为已读").click()
    page.wait_for_url("**/notices/?kind=emergency*")
    read = page.locator("tr.notice-read")
    assert read.count() == 1 and world.dispatcher.username in read.inner_text()
    assert page.locator("tr.notice-unread").count() == 0
    assert page.locator("nav.nav a", has_text="提醒").locator(".nav-count").count() == 0
    page.locator("tr.notice-read a", has_text=gas.number).click()
    page.wait_for_url(f"**/tickets/{gas.pk}/")
    assert "将提醒标为已读" in page.content()
