"""The citizen can tell where their request stands and what happens next: the progress page (and /track/) says it
in a citizen's words, with the date the next step is due; after an unsatisfied callback it says the request is
handled again; a closed request says why (docs/citizen.md)."""
import re

from django.utils import timezone

from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.helpers import new_ticket, reply_to


def own(world, **kw):
    t = new_ticket(world, **kw)
    Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    return Ticket.objects.get(pk=t.pk)


def page(client, t):
    return client.get(f"/tickets/{t.pk}/").content.decode()


def day(value):
    return f"{timezone.localtime(value):%Y-%m-%d}"


def step(html, words):
    """The progress step saying `words`: its <li …> opening tag and its time."""
    found = re.search(r'(<li[^>]*>)<span class="when">([^<]*)</span><span>' + re.escape(words), html)
    assert found, words
    return found.group(1), found.group(2)


def next_step(html):
    found = re.search(r'(?s)<p[^>]*id="next-step"[^>]*>(.*?)</p>', html)
    assert found, "no next step"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_a_new_request_says_by_when_it_goes_to_a_unit(world, citizen_client):
    t = own(world)
    said = next_step(page(citizen_client, t))
    assert day(t.dispatch_due) in said and "派" in said


def test_a_request_with_a_unit_names_it_and_the_reply_deadline(world, citizen_client):
    t = own(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.sign(world.street_staff, Ticket.objects.get(pk=t.pk))
    t.refresh_from_db()
    html = page(citizen_client, t)
    said = next_step(html)
    assert world.street.name in said and day(t.reply_due) in said
    assert "已签收" not in html  # staff's word for the step: the citizen reads 办理中
    assert "办理中" in html


def test_after_an_unsatisfied_callback_the_request_says_it_is_handled_again(world, citizen_client):
    t = own(world)
    reply_to(world, t, text="已清理占道摊点")
    services.record_callback(world.callback_agent, Ticket.objects.get(pk=t.pk), True, "unresolved", "dissatisfied")
    t.refresh_from_db()
    assert t.state == "dispatched" and t.rehandle_round == 1
    html = page(citizen_client, t)
    said = next_step(html)
    assert "重新办理" in said and day(t.reply_due) in said
    opening, when = step(html, "承办单位已反馈")
    assert 'class="pending"' in opening and when == "—"  # this round's reply is still to come
    assert "上次答复" in html and "已清理占道摊点" in html  # the earlier reply, said to be the earlier one
    assert "重新办理" in citizen_client.get("/track/", {"code": t.query_code}).content.decode()


def test_a_request_split_off_after_its_callback_is_not_shown_as_with_a_unit(world, citizen_client):
    parent = new_ticket(world, citizen_name="李四", citizen_phone="13911112222")
    t = own(world)
    services.dispatch(world.dispatcher, parent, world.street.pk)
    services.merge(world.dispatcher, t, parent)
    reply_to(world, Ticket.objects.get(pk=parent.pk), dispatch=False)
    services.record_callback(world.callback_agent, Ticket.objects.get(pk=t.pk), True, "resolved", "dissatisfied")
    t.refresh_from_db()
    assert t.state == "new"
    html = page(citizen_client, t)
    opening, _when = step(html, "已派至承办单位")
    assert 'class="pending"' in opening
    assert "重新" in next_step(html)


def test_a_closed_request_gives_the_callback_result(world, citizen_client):
    t = own(world)
    reply_to(world, t)
    services.record_callback(world.callback_agent, Ticket.objects.get(pk=t.pk), True, "partly", "basically")
    said = next_step(page(citizen_client, t))
    assert "部分解决" in said and "基本满意" in said


def test_a_request_closed_by_class_says_why(world, citizen_client):
    t = own(world)
    services.close_special(world.call_taker, t, "statutory", "已告知走劳动仲裁")
    html = page(citizen_client, t)
    assert "诉讼" in next_step(html)  # the class's words: 诉讼、仲裁、信访等法定途径
    assert "已告知走劳动仲裁" not in html  # the call-taker's note stays internal


def test_an_unreachable_callback_tells_the_citizen_to_call_again(world, citizen_client, settings):
    t = own(world)
    reply_to(world, t)
    for _ in range(3):
        services.record_callback(world.callback_agent, Ticket.objects.get(pk=t.pk), False)
    t.refresh_from_db()
    assert t.state == "closed" and t.close_reason == "unreachable"
    assert "12345" in next_step(page(citizen_client, t))


def test_a_returned_request_is_said_in_a_citizens_words(world, citizen_client):
    t = own(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.return_ticket(world.street_staff, Ticket.objects.get(pk=t.pk), "不属于本街道职责范围")
    html = page(citizen_client, t)
    assert "退单" not in html and "不属于本街道职责范围" not in html
    assert "承办单位" in next_step(html)


def test_my_requests_list_uses_the_citizens_words(world, citizen_client):
    t = own(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.sign(world.street_staff, Ticket.objects.get(pk=t.pk))
    html = citizen_client.get("/my/").content.decode()
    assert "办理中" in html and "已签收" not in html


def test_english(world, citizen_client):
    t = own(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    citizen_client.cookies.load({"django_language": "en"})
    html = page(citizen_client, t)
    said = next_step(html)
    assert world.street.name in said and "reply" in said.lower()
    assert "Being handled" in html
