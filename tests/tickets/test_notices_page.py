"""The notices page (jiesu.tickets.notices): the hotline's people read the emergency notices, unread first, newest
first, and mark them read (their role, their unit, logged); the menu counts the unread ones."""
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.tickets import notices, services
from jiesu.tickets.models import Notice, NoticeKind
from tests.tickets.helpers import new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人，我电话13912345678"
FIRE = "3号楼着火了，有人被困"


def hotline_supervisor(world):
    return User.objects.create_user("hsup", password="pw", role=Role.SUPERVISOR, unit=world.hc)


def emergency_notice(world, text=GAS, channel="app"):
    return Notice.objects.get(ticket=new_ticket(world, text=text, channel=channel), kind=NoticeKind.EMERGENCY)


def page(client, user, **params):
    client.force_login(user)
    return client.get("/notices/", params)


def test_the_hotline_reads_emergency_notices_unread_first_then_newest_first(world, client):
    older, newer = emergency_notice(world), emergency_notice(world, FIRE, "web")
    read = emergency_notice(world)
    Notice.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(hours=1))
    notices.mark_read(world.dispatcher, read)
    assert [n.pk for n in notices.notices_for(world.dispatcher)] == [newer.pk, older.pk, read.pk]
    html = page(client, world.dispatcher).content.decode()
    assert html.index(f'id="notice-{newer.pk}"') < html.index(f'id="notice-{older.pk}"') < html.index(
        f'id="notice-{read.pk}"')
    assert "139****5678" in html and "13912345678" not in html  # the title masked as the queue shows it
    assert "移动应用" in html and "东城区 · 东华门街道" in html and "非来电紧急诉求" in html
    assert f'href="/tickets/{older.ticket_id}/"' in html
    assert html.count("标为已读") == 2 and "disp" in html  # the read one names who read it


@pytest.mark.parametrize("reader", ["call_taker", "dispatcher", "hotline supervisor"])
def test_the_hotlines_people_see_its_notices_and_the_count_in_the_menu(world, client, reader):
    user = hotline_supervisor(world) if reader == "hotline supervisor" else getattr(world, reader)
    notice = emergency_notice(world)
    html = page(client, user).content.decode()
    assert f'id="notice-{notice.pk}"' in html
    assert '提醒 <span class="nav-count">1</span>' in html


def test_others_see_only_their_own_units_notices(world, client):
    emergency_notice(world)
    assert "暂无提醒" in page(client, world.street_staff).content.decode()
    assert page(client, world.citizen).status_code == 403
    assert page(client, world.callback_agent).status_code == 403


def test_the_kind_and_unread_filters(world, client):
    notice = emergency_notice(world)
    Notice.objects.create(ticket=notice.ticket, unit=world.hc, kind=NoticeKind.REMIND, text="催办",
                          created_at=timezone.now())
    assert [n.kind for n in notices.notices_for(world.dispatcher, NoticeKind.EMERGENCY)] == [NoticeKind.EMERGENCY]
    notices.mark_read(world.dispatcher, notice)
    assert [n.kind for n in notices.notices_for(world.dispatcher, unread_only=True)] == [NoticeKind.REMIND]
    html = page(client, world.dispatcher, kind="emergency", unread="1").content.decode()
    assert "没有符合筛选条件的提醒" in html


def test_marking_read_keeps_who_and_when_and_logs_it_once(world, client):
    notice = emergency_notice(world)
    client.force_login(world.call_taker)
    answer = client.post(f"/notices/{notice.pk}/read/", {"next": "/notices/?kind=emergency"})
    assert (answer.status_code, answer["Location"]) == (302, "/notices/?kind=emergency")
    notice.refresh_from_db()
    assert notice.read_by == world.call_taker and notice.read_at is not None
    event = notice.ticket.events.get(kind="notice_read")
    assert (event.actor, event.payload) == (world.call_taker, {"notice": notice.pk, "notice_kind": "emergency"})
    assert not notices.mark_read(world.dispatcher, notice)  # already read: nothing changes, nothing logged
    assert notice.ticket.events.filter(kind="notice_read").count() == 1
    notice.refresh_from_db()
    assert notice.read_by == world.call_taker
    assert "将提醒标为已读" in client.get(f"/tickets/{notice.ticket_id}/").content.decode()  # the ticket's history
    assert "nav-count" not in page(client, world.dispatcher).content.decode()


def test_marking_read_is_for_the_notices_unit_only(world, client):
    notice = emergency_notice(world)
    client.force_login(world.street_staff)
    assert client.post(f"/notices/{notice.pk}/read/").status_code == 403
    client.force_login(world.citizen)
    assert client.post(f"/notices/{notice.pk}/read/").status_code == 403
    client.force_login(world.dispatcher)
    assert client.get(f"/notices/{notice.pk}/read/").status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None and not notice.ticket.events.filter(kind="notice_read").exists()


def test_an_outside_next_is_not_followed(world, client):
    notice = emergency_notice(world)
    client.force_login(world.dispatcher)
    answer = client.post(f"/notices/{notice.pk}/read/", {"next": "https://example.com/"})
    assert answer["Location"] == "/notices/"


def test_a_unit_reads_its_own_notices_there_too(world, client):
    ticket = new_ticket(world)
    own = Notice.objects.create(ticket=ticket, unit=world.street, kind=NoticeKind.SUPERVISE, text="请加快办理",
                                created_at=timezone.now())
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    assert [n.pk for n in notices.notices_for(world.street_staff)] == [own.pk]
    assert notices.mark_read(world.street_staff, own)
    assert own.pk not in [n.pk for n in notices.notices_for(world.dispatcher)]


def test_a_unit_opening_the_ticket_reads_its_notice_and_is_named(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    own = Notice.objects.create(ticket=ticket, unit=world.street, kind=NoticeKind.REMIND, text="请加快办理",
                                created_at=timezone.now())
    client.force_login(world.street_staff)
    client.get(f"/tickets/{ticket.pk}/")
    own.refresh_from_db()
    assert own.read_by == world.street_staff and own.read_at is not None
    assert "标为已读" not in page(client, world.street_staff).content.decode()
