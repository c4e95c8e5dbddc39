"""The notices page read part by part (notices.UnreadFirst: the unread, then the read, each on an index of its own),
a unit's opening of a ticket logged as 「标为已读」 is, and the city's supervisor overseeing the hotline's notices."""
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jiesu.core.templatetags.jiesu_ui import event_details
from jiesu.tickets import notices, services
from jiesu.tickets.models import Notice, NoticeKind, TicketEvent
from tests.tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"


def many_notices(world, unread, read):
    ticket = new_ticket(world)
    now = timezone.now()
    Notice.objects.bulk_create(
        Notice(ticket=ticket, unit=world.hc, kind=NoticeKind.REMIND, text=f"n{i}", created_at=now - timedelta(
            minutes=i), read_at=now if i >= unread else None) for i in range(unread + read))


def page_rows(client, user, number):
    client.force_login(user)
    html = client.get("/notices/", {"page": number}).content.decode()
    return html, [int(pk) for pk in re.findall(r'id="notice-(\d+)"', html)]


def test_a_page_across_the_last_unread_notice_holds_its_tail_then_the_newest_read_ones(world, client):
    many_notices(world, unread=30, read=40)
    listing = notices.notices_for(world.dispatcher)
    everything = list(listing)
    assert listing.count() == 70 and listing.counts() == (30, 40)
    assert [n.unread for n in everything] == [True] * 30 + [False] * 40
    assert [n.text for n in everything[:30]] == [f"n{i}" for i in range(30)]  # newest first, each part
    assert [n.text for n in everything[30:]] == [f"n{i}" for i in range(30, 70)]
    html, shown = page_rows(client, world.dispatcher, 2)
    assert shown == [n.pk for n in everything[25:50]]
    assert "共70条提醒" in html and "30条未读" in html.replace(" ", "")
    assert [n.pk for n in listing[28:33]] == [n.pk for n in everything[28:33]]
    assert [n.pk for n in notices.notices_for(world.dispatcher, unread_only=True)] == [n.pk for n in everything[:30]]


def plan_of(queryset):
    """The database's plan for `queryset`, with sequential scans discouraged on PostgreSQL (a test's small table
    would be read whole anyway)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
    return queryset.explain()


@pytest.mark.parametrize("part", ["unread", "read"])
def test_each_part_of_the_page_walks_an_index_in_its_order_without_sorting(world, part):
    many_notices(world, unread=5, read=5)
    queryset = getattr(notices.notices_for(world.dispatcher), part)[:25]
    plan = plan_of(queryset)
    index = "notice_unit_unread" if part == "unread" else "notice_unit_newest"
    assert index in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan


def test_a_unit_opening_the_ticket_marks_its_notices_read_in_the_history(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    first = Notice.objects.create(ticket=ticket, unit=world.street, kind=NoticeKind.SUPERVISE, text="请加快办理",
                                  created_at=timezone.now())
    second = Notice.objects.create(ticket=ticket, unit=world.street, kind=NoticeKind.REMIND, text="市民催问进度",
                                   created_at=timezone.now())
    other_unit = Notice.objects.create(ticket=ticket, unit=world.hc, kind=NoticeKind.REMIND, text="热线自己的",
                                       created_at=timezone.now())
    client.force_login(world.street_staff)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    event = TicketEvent.objects.get(ticket=ticket, kind="notice_read")
    assert event.actor == world.street_staff and event.payload["on_opening"] is True
    assert event.payload["notices"] == [first.pk, second.pk]
    assert event.payload["notice_kinds"] == sorted([NoticeKind.SUPERVISE, NoticeKind.REMIND])
    assert event_details(event)[-1] == "打开工单时已读 2 条提醒"
    assert "提醒：催办、督办；打开工单时已读 2 条提醒" in html  # the page is drawn after the marking
    client.get(f"/tickets/{ticket.pk}/")
    assert TicketEvent.objects.filter(ticket=ticket, kind="notice_read").count() == 1  # nothing left to mark
    other_unit.refresh_from_db()
    assert other_unit.read_at is None


def test_the_notice_read_line_names_the_notices_kind(world):
    notice = Notice.objects.get(ticket=new_ticket(world, text=GAS, channel="app"), kind=NoticeKind.EMERGENCY)
    notices.mark_read(world.dispatcher, notice)
    event = TicketEvent.objects.get(ticket=notice.ticket, kind="notice_read")
    assert event_details(event) == ["提醒：非来电紧急诉求"]


def test_the_citys_supervisor_oversees_the_hotlines_notices_without_marking_them(world, client):
    gas = Notice.objects.get(ticket=new_ticket(world, text=GAS, channel="app"), kind=NoticeKind.EMERGENCY)
    html, shown = page_rows(client, world.supervisor, 1)
    assert shown == [gas.pk]
    assert '提醒 <span class="nav-count">1</span>' in html
    assert f'action="/notices/{gas.pk}/read/"' not in html and "由热线中心人员标为已读" in html
    assert client.post(f"/notices/{gas.pk}/read/").status_code == 403
    gas.refresh_from_db()
    assert gas.read_at is None
    notices.mark_read(world.dispatcher, gas)
    html, _shown = page_rows(client, world.supervisor, 1)
    assert world.dispatcher.username in html or str(world.dispatcher) in html
