"""The work list's notices (the newest unread ones of the unit, above its tickets) read as on the notices page
(notices.words_for): a confidential ticket's 催办 quoting the citizen's number and name is masked for its lead unit,
as the ticket's title beside it; the platform's words in the reader's language."""
import re

from django.utils import translation

from jiesu.tickets import services
from jiesu.tickets.models import Notice, NoticeKind
from tests.tickets.helpers import new_ticket

CALLED_AGAIN = "市民张三（电话13912345678）再次来电催促，请尽快联系"


def worklist(client, user, language="zh-hans"):
    client.force_login(user)
    client.cookies["django_language"] = language
    html = client.get("/work/").content.decode()
    return html[html.index('<ul class="notices"'):html.index("</ul>", html.index('<ul class="notices"'))]


def test_the_work_lists_notices_are_masked_for_who_may_not_reveal_the_contact(world, client):
    secret = new_ticket(world, confidential=True)
    services.dispatch(world.dispatcher, secret, world.street.pk)
    services.remind(world.call_taker, secret, CALLED_AGAIN)
    assert Notice.objects.filter(ticket=secret, kind=NoticeKind.REMIND, unit=world.street).exists()
    notices = worklist(client, world.street_staff)
    assert "139****5678" in notices and "张*" in notices
    assert "13912345678" not in notices and "张三" not in notices


def test_the_work_lists_notices_are_in_the_readers_language(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    with translation.override("en"):
        services.remind(world.call_taker, ticket, "")
    assert "市民询问办理进度。" in worklist(client, world.street_staff)
    assert "The citizen asks about progress." in worklist(client, world.street_staff, "en")


def test_the_work_list_leads_to_the_notices_it_cannot_show(world, client):
    """The work list shows a unit's 8 newest unread notices and says how many there are; the others were reached by
    no link (「提醒」 is not in a unit's menu): the count leads to the notices page, its unread ones."""
    from django.utils import timezone

    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    made = [Notice.objects.create(ticket=ticket, unit=world.street, kind=NoticeKind.REMIND, text=f"第{i}次催办",
                                  created_at=timezone.now()) for i in range(11)]
    notices = worklist(client, world.street_staff)
    assert notices.count("<li class=") == 8
    link = re.search(r'<a href="([^"]+)">共11条未读提醒。</a>', notices)
    assert link is not None, notices
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert all(f'id="notice-{n.pk}"' in listed for n in made)


def test_the_work_lists_count_is_the_one_its_link_leads_to(world, client):
    """The work list lists the newest unread notices of open tickets; its 「共N条未读提醒」 counts what the notices page
    it links to lists as unread: a notice of a ticket closed meanwhile too."""
    from django.utils import timezone

    from jiesu.tickets.models import Ticket

    ticket, closed = new_ticket(world), new_ticket(world)
    for t in (ticket, closed):
        services.dispatch(world.dispatcher, t, world.street.pk)
    made = [Notice.objects.create(ticket=ticket, unit=world.street, kind=NoticeKind.REMIND, text=f"第{i}次催办",
                                  created_at=timezone.now()) for i in range(9)]
    made.append(Notice.objects.create(ticket=closed, unit=world.street, kind=NoticeKind.REMIND, text="已办结的催办",
                                      created_at=timezone.now()))
    Ticket.objects.filter(pk=closed.pk).update(state="closed")
    notices = worklist(client, world.street_staff)
    assert notices.count("<li class=") == 8 and "已办结的催办" not in notices
    link = re.search(r'<a href="([^"]+)">共10条未读提醒。</a>', notices)
    assert link is not None, notices
    listed = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert all(f'id="notice-{n.pk}"' in listed for n in made) and "共10条提醒" in listed


def test_the_work_list_shows_no_notice_of_a_ticket_its_unit_may_not_open(world, client):
    """A notice addressed to a unit about a ticket it may not open (never dispatched to it, outside its territory)
    is left out, as on the notices page."""
    from django.utils import timezone

    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    Notice.objects.create(ticket=ticket, unit=world.dept, kind=NoticeKind.SUPERVISE, text="请协助处理",
                          created_at=timezone.now())
    client.force_login(world.dept_staff)
    assert client.get(f"/tickets/{ticket.pk}/").status_code in (403, 404)
    assert "请协助处理" not in client.get("/work/").content.decode()
