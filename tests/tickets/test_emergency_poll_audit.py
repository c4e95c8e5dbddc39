"""Audit of the emergency poll (2026-12-07, second engineer): what the poll answers a page whose login lapsed, and
how its cursors fare with gaps that never fill arriving faster than one a grace time (docs/dispatch-desk.md)."""
import pytest

from jiesu.tickets.models import Ticket
from tests.tickets.helpers import last_id, new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"


@pytest.mark.parametrize("lang, words", [("zh-hans", "登录已过期"), ("en", "login has expired")])
def test_a_lapsed_login_is_told_in_json_not_sent_to_the_login_page(world, client, lang, words):
    """The page's fetch followed the login's redirect, got the login page's HTML, failed to read it as JSON and
    said nothing: the page went on polling in silence and never announced an emergency again."""
    new_ticket(world, text=GAS)
    client.cookies["django_language"] = lang
    answer = client.get("/dispatch/emergencies/", {"after": last_id(Ticket)}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 401
    assert answer.json()["error"] == "login" and words in answer.json()["message"]


def test_a_role_that_may_not_poll_is_still_refused(world, client):
    client.force_login(world.call_taker)
    assert client.get("/dispatch/emergencies/", {"after": 1}).status_code == 403
