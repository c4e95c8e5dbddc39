"""Audit 12: the units' work lists set imported history apart (finding 12); an imported ticket is found by its old
system's number and its page says where it came from (finding 15); a live ticket without a place says why on its
page (finding 4)."""
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.html import strip_tags

from jiesu.tickets import queries, services
from jiesu.tickets.models import Ticket
from tests.tickets.helpers import new_ticket


def dispatched(world, **kw):
    ticket = new_ticket(world, **kw)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    return ticket


def as_imported(ticket, external_id, source="csv", days_overdue=400):
    """The ticket as `jiesu import` leaves an open row: its key import:<source>:<id>, its deadlines long past."""
    due = timezone.now() - timedelta(days=days_overdue)
    Ticket.objects.filter(pk=ticket.pk).update(idempotency_key=f"import:{source}:{external_id}", dispatch_due=due,
                                               created_at=due - timedelta(days=1))
    return Ticket.objects.get(pk=ticket.pk)  # its number, from its creation date, is the old date's


def page(client, user, url):
    client.force_login(user)
    return strip_tags(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())


def work_ids(user, view):
    return {a.ticket_id for a in queries.worklist(user, queries.WorkFilters(view=view))}


# ── finding 12: the work list's 历史导入 ──

def test_the_work_list_shows_current_work_and_lists_long_overdue_imports_apart(world):
    live = dispatched(world)
    recent_import = as_imported(dispatched(world), "BJ-1", days_overdue=3)  # within the week: current work
    old_import = as_imported(dispatched(world), "BJ-2", days_overdue=2000)
    assert work_ids(world.street_staff, "current") == {live.pk, recent_import.pk}
    assert work_ids(world.street_staff, "history") == {old_import.pk}
    assert queries.worklist_counts(world.street_staff, queries.WorkFilters()) == {"current": 2, "history": 1}


def test_the_work_lists_search_finds_an_imported_ticket_by_its_old_number(world):
    old_import = as_imported(dispatched(world), "BJ12345-00007")
    dispatched(world)
    found = queries.worklist(world.street_staff, queries.WorkFilters(view="history", q="BJ12345-00007"))
    assert [a.ticket_id for a in found] == [old_import.pk]


def test_the_history_tab_keeps_the_units_scope(world):
    as_imported(dispatched(world), "BJ-3")
    assert work_ids(world.street_b_staff, "history") == set()
    assert queries.worklist_counts(world.street_b_staff, queries.WorkFilters()) == {"current": 0, "history": 0}


def listed(html, ticket):
    """Whether the work list's table has a row of the ticket (the notices above it link tickets too)."""
    return f'<td class="num"><a href="/tickets/{ticket.pk}/">' in html


def test_the_work_list_page_has_the_tab_with_its_count(world, client):
    live = dispatched(world)
    old_import = as_imported(dispatched(world), "BJ-4")
    client.force_login(world.street_staff)
    current = client.get("/work/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert listed(current, live) and not listed(current, old_import)
    assert "历史导入 1" in " ".join(strip_tags(current).split())
    history = client.get("/work/?view=history", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert listed(history, old_import) and not listed(history, live) and "原系统的历史积压" in history


# ── finding 15: the old system's number ──

def test_an_imported_ticket_is_found_by_its_external_id_from_any_source(world):
    bj = as_imported(new_ticket(world), "BJ12345-00010")
    nyc = as_imported(new_ticket(world), "54049402", source="nyc311")
    new_ticket(world)
    assert queries.tickets_by_number("BJ12345-00010") == [bj.pk]
    assert queries.tickets_by_number(" 54049402 ") == [54049402, nyc.pk]  # a ticket id as well, if there is one
    assert queries.tickets_by_number("BJ12345-0001") == []
    assert sorted(queries.import_sources()) == ["csv", "nyc311"]


def test_a_source_imported_after_the_sources_were_read_is_found(world):
    as_imported(new_ticket(world), "BJ12345-00011")
    assert queries.import_sources() == ["csv"]
    la = as_imported(new_ticket(world), "1-866505430", source="la311")  # read from the tickets added since
    assert queries.tickets_by_number("1-866505430") == [la.pk]


def test_the_number_box_leads_to_the_imported_ticket(world, client):
    ticket = as_imported(new_ticket(world), "BJ12345-00003")
    client.force_login(world.call_taker)
    response = client.get("/tickets/", {"number": "BJ12345-00003"})
    assert response.status_code == 302 and response.url == f"/tickets/{ticket.pk}/"
    listed = page(client, world.call_taker, "/tickets/?number=BJ12345-00003&state=new")
    assert ticket.number in listed


def test_the_number_box_finds_no_ticket_the_user_may_not_see(world, client):
    ticket = as_imported(dispatched(world), "BJ12345-00005")
    listed = page(client, world.street_b_staff, "/tickets/?number=BJ12345-00005")
    assert ticket.number not in listed


def test_the_ticket_page_says_it_was_imported_and_its_old_number(world, client):
    ticket = as_imported(new_ticket(world), "BJ12345-00003")
    assert "导入自 csv：BJ12345-00003" in page(client, world.call_taker, f"/tickets/{ticket.pk}/")
    live = new_ticket(world)
    assert "导入自" not in page(client, world.call_taker, f"/tickets/{live.pk}/")


# ── finding 4: why a live ticket has no place ──

@pytest.mark.parametrize("address, reason", [
    ("火星基地3号", "地址中未识别出区、街道、社区或已登记的地名"),
    ("", "未提供坐标或地址"),
])
def test_a_live_ticket_without_a_place_says_why_on_its_page(world, client, address, reason):
    ticket = new_ticket(world, street_code="", address=address)
    assert ticket.district_id is None
    words = " ".join(page(client, world.call_taker, f"/tickets/{ticket.pk}/").split())
    assert f"位置 — 未能定位：{reason}" in words


def test_a_located_ticket_gives_no_reason(world, client):
    ticket = new_ticket(world, street_code="", address="东城区东华门街道某号")
    assert ticket.street_id == world.street.pk
    assert "未能定位" not in page(client, world.call_taker, f"/tickets/{ticket.pk}/")
    assert "no_place" not in ticket.events.get(kind="intake").payload
