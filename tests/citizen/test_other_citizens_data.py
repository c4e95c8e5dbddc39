"""A citizen reads nothing personal of another citizen: a request merged into another one gets that one's reply,
which may name its caller (docs/citizen.md)."""
import json

from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.helpers import new_ticket, reply_to

PARENT_REPLY = "已电话联系李四（13911112222），身份证110101199001011234，摊点已清理"


def merged_own_ticket(world):
    """李四's request by phone (the parent) and the signed-in citizen's own request merged into it, both replied."""
    parent = new_ticket(world, citizen_name="李四", citizen_phone="13911112222")
    own = new_ticket(world, citizen_name="王五", citizen_phone="13600003333")
    Ticket.objects.filter(pk=own.pk).update(citizen_user=world.citizen)
    services.dispatch(world.dispatcher, parent, world.street.pk)
    services.merge(world.dispatcher, Ticket.objects.get(pk=own.pk), parent)
    reply_to(world, Ticket.objects.get(pk=parent.pk), text=PARENT_REPLY, dispatch=False)
    own = Ticket.objects.get(pk=own.pk)
    assert own.state == "replied" and own.reply_text == PARENT_REPLY  # the parent's reply reached it
    return parent, own


def leaks(text):
    return [s for s in ("李四", "13911112222", "110101199001011234") if s in text]


def test_merged_requests_page_does_not_show_the_other_callers_name_or_numbers(world, citizen_client):
    _parent, own = merged_own_ticket(world)
    html = citizen_client.get(f"/tickets/{own.pk}/").content.decode()
    assert "摊点已清理" in html  # the reply is there
    assert leaks(html) == []
    assert "李*" in html and "139****2222" in html


def test_public_tracking_of_a_merged_request_masks_the_other_caller(world, client):
    _parent, own = merged_own_ticket(world)
    html = client.get("/track/", {"code": own.query_code}).content.decode()
    assert "摊点已清理" in html and leaks(html) == []


def test_api_of_a_merged_request_masks_the_other_caller(world, citizen_client):
    _parent, own = merged_own_ticket(world)
    body = citizen_client.get(f"/api/v1/tickets/{own.pk}").json()
    assert "摊点已清理" in body["reply_text"] and leaks(body["reply_text"]) == []
    events = citizen_client.get(f"/api/v1/tickets/{own.pk}/events").json()
    replies = [e for e in events if e["kind"] == "reply"]
    assert replies and all("摊点已清理" in e["note"] for e in replies)
    assert leaks(json.dumps(events, ensure_ascii=False)) == []
    listed = citizen_client.get("/api/v1/tickets").json()["items"]
    assert [t["id"] for t in listed] == [own.pk] and leaks(json.dumps(listed, ensure_ascii=False)) == []


def test_the_parents_own_caller_reads_the_reply_whole(world, client):
    parent, _own = merged_own_ticket(world)
    html = client.get("/track/", {"code": parent.query_code}).content.decode()
    assert PARENT_REPLY in html


def test_a_split_off_request_still_masks_the_reply_it_got_from_its_former_parent(world, citizen_client):
    """Not satisfied at its callback, the merged request is split off and dispatched on its own (no parent any
    more), its former parent's reply still on it until its own unit replies."""
    _parent, own = merged_own_ticket(world)
    services.record_callback(world.callback_agent, own, True, "unresolved", "dissatisfied")
    own.refresh_from_db()
    assert own.parent_id is None and own.state == "new" and own.reply_text == PARENT_REPLY
    html = citizen_client.get(f"/tickets/{own.pk}/").content.decode()
    assert leaks(html) == []
