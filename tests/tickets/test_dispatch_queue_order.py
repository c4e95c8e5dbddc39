"""The dispatch queue (audit 11, finding 4): emergencies pinned first and counted, then the nearest dispatch time;
imported history in a view of its own; the dispatcher's order and district; an emergency that did not come by
phone marked for an immediate call back."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from jiesu.tickets import queries
from jiesu.tickets.models import Ticket
from tests.tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
STALL = "东华门大街有人占道经营，堵塞人行道"


def waiting(world, text=STALL, due_in_hours=5, **kw):
    """A new ticket whose dispatch time is `due_in_hours` from now (negative: overdue)."""
    ticket = new_ticket(world, text=text, **kw)
    Ticket.objects.filter(pk=ticket.pk).update(dispatch_due=timezone.now() + timedelta(hours=due_in_hours))
    return ticket


def imported(world, days_overdue, text=STALL):
    """A ticket as `jiesu import` leaves an open row it could not route: awaiting dispatch, its key import:…"""
    ticket = new_ticket(world, text=text)
    due = timezone.now() - timedelta(days=days_overdue)
    Ticket.objects.filter(pk=ticket.pk).update(idempotency_key=f"import:a10:{ticket.pk}", dispatch_due=due,
                                               created_at=due - timedelta(days=1))
    return ticket


def ids(queue):
    return [t.pk for t in queue]


def test_an_emergency_comes_first_then_the_nearest_dispatch_time(world):
    later = waiting(world, due_in_hours=8)
    overdue = waiting(world, due_in_hours=-2)
    sooner = waiting(world, due_in_hours=1)
    gas = waiting(world, text=GAS, due_in_hours=20)
    queue = queries.dispatch_queue()
    assert ids(queue) == [gas.pk, overdue.pk, sooner.pk, later.pk]
    assert queue.counts == {"current": 4, "emergency": 1, "history": 0}
    assert queue.emergencies == {gas.pk: "119"}
    assert [t.emergency for t in queue] == ["119", "", "", ""]


def test_received_first_keeps_the_emergency_on_top(world):
    first = waiting(world, due_in_hours=9)
    second = waiting(world, due_in_hours=1)
    gas = waiting(world, text=GAS)
    assert ids(queries.dispatch_queue(queries.QueueFilters(order="oldest"))) == [gas.pk, first.pk, second.pk]


def test_long_overdue_imported_history_has_a_view_of_its_own(world):
    today = waiting(world, due_in_hours=3)
    years_old = imported(world, days_overdue=2904)
    fire_in_2018 = imported(world, days_overdue=2900, text="3号楼着火了，有人被困")
    recent_import = imported(world, days_overdue=1)  # a backlog of last week is today's work: it stays
    queue = queries.dispatch_queue()
    assert ids(queue) == [recent_import.pk, today.pk]
    assert queue.counts == {"current": 2, "emergency": 0, "history": 2}
    assert queue.emergencies == {}  # a fire reported years ago is not pinned over today's calls
    history = queries.dispatch_queue(queries.QueueFilters(view="history"))
    assert ids(history) == [years_old.pk, fire_in_2018.pk]  # the longest overdue first there too


def test_the_emergency_view_and_a_district(world):
    east = waiting(world, due_in_hours=2)
    west = waiting(world, due_in_hours=1, street_code=world.street_b.code)
    gas_west = waiting(world, text=GAS, street_code=world.street_b.code)
    assert ids(queries.dispatch_queue(queries.QueueFilters(view="emergency"))) == [gas_west.pk]
    queue = queries.dispatch_queue(queries.QueueFilters(district=world.district.pk))
    assert ids(queue) == [east.pk]
    assert queue.counts == {"current": 1, "emergency": 0, "history": 0}
    assert [(unit.name, n) for unit, n in queue.districts] == [("东城区", 1), ("西城区", 2)]
    by_place = queries.dispatch_queue(queries.QueueFilters(order="place"))
    assert ids(by_place) == [gas_west.pk, east.pk, west.pk]  # 东城区 110101 before 西城区 110102


def test_a_text_is_checked_once_while_it_waits(world, monkeypatch):
    from jiesu.dispatch import services as desk

    gas = waiting(world, text=GAS)
    stall = waiting(world)
    assert queries.dispatch_queue().emergencies == {gas.pk: "119"}
    read = []
    real = desk.emergency_of
    monkeypatch.setattr(desk, "emergency_of", lambda ticket: read.append(ticket.pk) or real(ticket))
    newer = waiting(world, text=GAS)
    assert queries.dispatch_queue().emergencies == {gas.pk: "119", newer.pk: "119"}
    assert read == [newer.pk]
    assert stall.pk in ids(queries.dispatch_queue())


@pytest.mark.parametrize("channel, marked", [("web", True), ("app", True), ("phone", False)])
def test_an_emergency_that_did_not_come_by_phone_is_marked_for_a_call_back(world, client, channel, marked):
    gas = waiting(world, text=GAS, channel=channel)
    waiting(world, due_in_hours=-1)
    client.force_login(world.dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert "共2件，其中 1 件疑似紧急" in strip_tags(page)
    first_card = page[page.index("<article"):].split(">", 1)[0]
    assert f'id="t{gas.pk}"' in first_card and 'data-emergency="119"' in first_card
    assert "疑似紧急 · 119" in page
    assert ("非来电诉求：请立即回拨市民（告知拨打 119，或代为转 119）" in page) is marked
    if marked:
        assert "138****5678" in page  # the masked number to call


def test_the_queue_page_offers_its_views_with_counts_and_keeps_them_in_the_pager(world, client):
    for _ in range(15):
        waiting(world)
    waiting(world, text=GAS)
    old = imported(world, days_overdue=2904)
    client.force_login(world.dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert 'data-view="current"' in page and "当前待派 <span class=\"n\">16</span>" in page
    assert "历史导入 <span class=\"n\">1</span>" in page and "疑似紧急 <span class=\"n\">1</span>" in page
    assert f'id="t{old.pk}"' not in page
    history = client.get("/dispatch/?view=history&order=oldest").content.decode()
    assert f'id="t{old.pk}"' in history and "原系统的历史积压" in history
    assert "共1件" in strip_tags(history) and "其中" not in strip_tags(history)  # the emergencies are not among them
    second = client.get("/dispatch/?order=oldest&page=2").content.decode()
    assert "?order=oldest&amp;page=1" in second  # the pager keeps the order chosen
    assert client.get("/dispatch/?view=nonsense&order=x&district=abc").status_code == 200
