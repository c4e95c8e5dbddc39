"""The notices page in a real browser, in English: a street's staff read a 催办 on a confidential ticket (the
citizen's number and name masked in the notice's words as in the title) and the overdue job's words in English,
mark the 催办 read, and are named as its reader; the page holds none of the Chinese page's own words."""
import re
from datetime import timedelta

import pytest

from jiesu.core.tests_support import force_login
from jiesu.tickets import jobs, services
from jiesu.tickets.models import Notice, NoticeKind, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

CALLED_AGAIN = "市民张三（电话13912345678）再次来电催促，请尽快联系"


@pytest.mark.django_db(transaction=True)
def test_a_streets_staff_read_their_notices_in_english(live_server, page, world):  # noqa: F811
    secret = new_ticket(world, confidential=True)
    services.dispatch(world.dispatcher, secret, world.street.pk)
    services.sign(world.street_staff, secret)
    services.remind(world.call_taker, secret, CALLED_AGAIN)
    secret.refresh_from_db()
    far = secret.reply_due + timedelta(days=1)
    Ticket.objects.filter(pk=secret.pk).update(next_check_at=far - timedelta(minutes=1))
    jobs.scan_once(now=far)
    remind = Notice.objects.get(ticket=secret, kind=NoticeKind.REMIND)
    overdue = Notice.objects.get(ticket=secret, kind=NoticeKind.OVERDUE)

    force_login(page, live_server, world.street_staff)
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(live_server.url + "/notices/")
    assert page.locator("h1").inner_text() == "Notices"
    words = page.locator(f"#notice-{remind.pk}").inner_text()
    assert "139****5678" in words and "张*" in words and "13912345678" not in words and "张三" not in words
    assert "Overdue: the reply was due" in page.locator(f"#notice-{overdue.pk}").inner_text()
    own = page.locator("main").inner_text()
    for chinese in ("提醒", "标为已读", "只看未读", "已超期", "筛选"):
        assert chinese not in own, chinese

    page.locator(f"#notice-{remind.pk}").get_by_role("button", name="Mark as read").click()
    page.wait_for_url("**/notices/")
    assert world.street_staff.username in page.locator(f"#notice-{remind.pk}").inner_text()
    assert page.locator("tr.notice-unread").count() == 1
    assert re.search(r"2 notices · 1 unread", page.locator(".page-head").inner_text())
