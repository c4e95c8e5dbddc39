"""Audit of the emergency poll (2026-12-07, second engineer): what the poll answers a page whose login lapsed, and
how its cursors fare with gaps that never fill arriving faster than one a grace time (docs/dispatch-desk.md)."""
import pytest

from jiesu.core.id_cursor import Cursor
from jiesu.tickets import emergencies, services
from jiesu.tickets.models import Ticket, TicketEvent
from tests.tickets.helpers import last_id, new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
NOW = 1_800_000_000.0


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


def test_an_emergency_in_no_district_is_announced_on_every_districts_page(world):
    """An app emergency the locator could not place is in no district: a queue narrowed to a district left it out,
    so with every dispatcher on duty watching a district (a desk split by district) none heard of it."""
    after = last_id(Ticket)
    unplaced = new_ticket(world, text=GAS, channel="app", street_code="")
    elsewhere = new_ticket(world, text=GAS, channel="app", street_code=world.street_b.code)
    assert unplaced.district_id is None
    for district in (world.district, world.district_b):
        found = emergencies.new_emergencies(world.dispatcher, Cursor(after), district.pk, now=NOW)
        named = [e.pk for e in found.named]
        assert unplaced.pk in named and found.count == len(named)
    found = emergencies.new_emergencies(world.dispatcher, Cursor(after), world.district.pk, now=NOW)
    assert [e.pk for e in found.named] == [unplaced.pk]  # another district's stays out
    assert elsewhere.district_id == world.district_b.pk


def test_an_unplaced_emergency_put_back_in_the_queue_is_announced_on_a_districts_page(world):
    unplaced = new_ticket(world, text=GAS, channel="app", street_code="")
    services.dispatch(world.dispatcher, unplaced, world.street.pk)
    events = Cursor(last_id(TicketEvent))
    services.return_ticket(world.street_staff, unplaced, "不属于本街道职责")
    services.arbitrate(world.dispatcher, unplaced, True, "退回热线重新派单")
    found = emergencies.new_emergencies(world.dispatcher, Cursor(last_id(Ticket)), world.district_b.pk, events,
                                        now=NOW)
    assert [(e.pk, e.requeued) for e in found.named] == [(unplaced.pk, True)]
