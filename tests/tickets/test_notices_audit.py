"""The notices page (/notices/, 「提醒」) audited as its users use it: the defects found, each failing before its fix.

- a notice's words (a 催办 or 督办 quoting the citizen's number and name) were shown whole to readers who may not
  reveal the contact (a confidential ticket's lead unit), beside the ticket's masked title;
- an emergency notice's words were shown in the language of the request that recorded the ticket (a citizen's
  English web form: English words on the Chinese page; Chinese words on the English page);
- the page counted its unread notices twice (the heading and the menu), the docs' "one count query a page".
"""
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from jiesu.tickets import services
from jiesu.tickets.models import Notice, NoticeKind
from tests.tickets.helpers import new_ticket
from tests.tickets.test_notices_audit_checks import page as answered

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
FIRE_EN = "My kitchen is on fire and people are trapped"
CALLED_AGAIN = "市民张三（电话13912345678）再次来电催促，请尽快联系"


def page(client, user, language="zh-hans", **params):
    return answered(client, user, language, **params)[1]


def row(html, notice):
    start = html.index(f'id="notice-{notice.pk}"')
    return html[start:html.index("</tr>", start)]


def test_a_notices_words_are_masked_for_who_may_not_reveal_the_contact(world, client):
    secret = new_ticket(world, confidential=True)  # 保密: the lead unit reads the citizen's name and number masked
    services.dispatch(world.dispatcher, secret, world.street.pk)
    services.remind(world.call_taker, secret, CALLED_AGAIN)
    notice = Notice.objects.get(ticket=secret, kind=NoticeKind.REMIND, unit=world.street)
    words = row(page(client, world.street_staff), notice)
    assert "139****5678" in words and "张*" in words
    assert "13912345678" not in words and "张三" not in words


def test_the_lead_unit_of_an_open_ticket_reads_the_words_whole(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    services.remind(world.call_taker, ticket, CALLED_AGAIN)
    notice = Notice.objects.get(ticket=ticket, kind=NoticeKind.REMIND)
    assert CALLED_AGAIN in row(page(client, world.street_staff), notice)  # it calls the citizen: may reveal


def test_an_emergency_notice_is_said_in_the_readers_language(world, client):
    with translation.override("en"):  # a citizen's English web form
        fire = new_ticket(world, text=FIRE_EN, channel="web")
    gas = new_ticket(world, text=GAS, channel="app")
    fire_notice, gas_notice = (Notice.objects.get(ticket=t, kind=NoticeKind.EMERGENCY) for t in (fire, gas))
    chinese = page(client, world.dispatcher)
    assert "疑似紧急" in row(chinese, fire_notice) and "经网站受理" in row(chinese, fire_notice)
    assert "Reads as an emergency" not in chinese and "call the citizen back" not in chinese
    english = page(client, world.dispatcher, "en")
    for notice in (fire_notice, gas_notice):
        assert "Reads as an emergency" in row(english, notice) and "call the citizen back now" in row(english, notice)
    assert "疑似紧急" not in english and "请立即回拨市民" not in english


def test_a_notice_whose_ticket_no_longer_reads_as_an_emergency_keeps_its_stored_words(world, client):
    notice = Notice.objects.get(ticket=new_ticket(world, text=GAS, channel="app"), kind=NoticeKind.EMERGENCY)
    Notice.objects.filter(pk=notice.pk).update(text="疑似紧急：原文")
    notice.ticket.__class__.objects.filter(pk=notice.ticket_id).update(title="占道经营", text="东华门大街有人占道经营")
    assert "疑似紧急：原文" in row(page(client, world.dispatcher), notice)


def test_the_notices_page_counts_its_unread_notices_once(world, client):
    new_ticket(world, text=GAS, channel="app")
    client.force_login(world.dispatcher)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/notices/").content.decode()
    unread_counts = [q["sql"] for q in queries.captured_queries
                     if "COUNT(" in q["sql"] and re.search(r'"read_at" IS NULL', q["sql"])
                     and "tickets_notice" in q["sql"]]
    assert len(unread_counts) == 1, unread_counts
    assert '提醒 <span class="nav-count">1</span>' in html and "1条未读" in html
    Notice.objects.create(ticket=Notice.objects.get().ticket, unit=world.hc, kind=NoticeKind.REMIND, text="催办",
                          created_at=timezone.now())
    html = client.get("/notices/").content.decode()  # the next request counts again
    assert '提醒 <span class="nav-count">2</span>' in html and "2条未读" in html


def test_the_words_the_platform_writes_are_said_in_the_readers_language(world, client):
    """An overdue job's words (stored in Chinese, the platform's language) on the English page; an empty 催办 from a
    call-taker on the English page (stored in English) and a take-back's frame on the Chinese page."""
    from datetime import timedelta

    from jiesu.tickets import jobs
    from jiesu.tickets.models import Ticket

    late = new_ticket(world)
    services.dispatch(world.dispatcher, late, world.street.pk)
    services.sign(world.street_staff, late)
    late.refresh_from_db()
    far = late.reply_due + timedelta(days=1)
    Ticket.objects.filter(pk=late.pk).update(next_check_at=far - timedelta(minutes=1))
    jobs.scan_once(now=far)
    overdue = Notice.objects.get(ticket=late, kind=NoticeKind.OVERDUE)
    assert overdue.text.startswith("已超期")  # as stored
    with translation.override("en"):
        services.remind(world.call_taker, late, "")
        services.take_back_for_dispatch(world.dispatcher, late, timezone.now(), "派错了")
    remind = Notice.objects.get(ticket=late, kind=NoticeKind.REMIND)
    taken = Notice.objects.get(ticket=late, kind=NoticeKind.TAKEN_BACK)
    assert remind.text == "The citizen asks about progress." and taken.text.startswith("Taken back")  # as stored
    english = page(client, world.street_staff, "en")
    due = overdue.text[len("已超期：反馈时限为 "):-1]
    assert f"Overdue: the reply was due {due}." in row(english, overdue) and "已超期" not in english
    assert "Taken back to the hotline&#x27;s dispatch queue: 派错了" in row(english, taken)
    chinese = page(client, world.street_staff)
    assert "市民询问办理进度。" in row(chinese, remind) and "工单已收回，交热线重新派单：派错了" in row(chinese, taken)
    assert "The citizen asks" not in chinese and "Taken back" not in chinese
    assert f"已超期：反馈时限为 {due}。" in row(chinese, overdue)


def test_a_repeat_calls_reminder_is_said_in_the_readers_language(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    repeat = new_ticket(world)
    services.record_repeat_call(world.call_taker, ticket, repeat)
    notice = Notice.objects.get(ticket=ticket, kind=NoticeKind.REMIND)
    assert notice.text.startswith("同一来电人再次来电")
    english = row(page(client, world.street_staff, "en"), notice)
    assert f"The same caller called again ({repeat.number}): call 2 about this request." in english
