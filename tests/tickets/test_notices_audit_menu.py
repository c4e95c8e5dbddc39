"""The menu's unread count of 「提醒」 is asked where the menu is shown, not by a page's fragment (HTMX) that
renders no menu: a dispatcher's suggestions panel and a call-taker's reveal asked it on every request."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.tickets.models import Notice
from tests.tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"


def notice_queries(client, url, method="get"):
    with CaptureQueriesContext(connection) as queries:
        answer = getattr(client, method)(url)
    assert answer.status_code == 200
    return answer.content.decode(), [q["sql"] for q in queries.captured_queries if "tickets_notice" in q["sql"]]


def test_a_fragment_asks_no_unread_count_and_the_menu_still_shows_it(world, client):
    gas = new_ticket(world, text=GAS, channel="app")
    assert Notice.objects.filter(ticket=gas).count() == 1
    client.force_login(world.dispatcher)
    html, asked = notice_queries(client, f"/dispatch/desk/{gas.pk}/suggestions/")
    assert "nav-count" not in html and asked == []
    client.force_login(world.call_taker)
    html, asked = notice_queries(client, f"/tickets/{gas.pk}/reveal/", "post")
    assert "nav-count" not in html and asked == []
    html, asked = notice_queries(client, "/intake/")
    assert '提醒 <span class="nav-count">1</span>' in html and len(asked) == 1
