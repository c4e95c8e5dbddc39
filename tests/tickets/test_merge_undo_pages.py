"""Merging safely on the pages and in the API (audit 11, finding 1): the confirmation a doubtful merge asks for, the
undo, and the callback queue reading the parents it names with its page."""
import json

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jiesu.accounts.models import ApiToken
from jiesu.tickets import queries, services
from tests.tickets.helpers import new_ticket, reply_to
from tests.tickets.test_merge_undo import MANHOLE, MANHOLE_AGAIN, fresh, pair, replied_merged_pair


# ── the API ─────────────────────────────────────────────────────────────────

def api(client, user):
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {ApiToken.objects.create(user=user, name='t').key}"
    return lambda url, body: client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_asks_for_confirm_and_undoes_a_merge(world, client):
    parent, child = pair(world)
    post = api(client, world.dispatcher)
    refused = post(f"/api/v1/tickets/{child.pk}/merge", {"parent": parent.pk})
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "merge_doubt" and body["field"] == "confirm" and '"confirm": true' in body["message"]
    assert child.title in body["message"] and parent.title in body["message"]
    merged = post(f"/api/v1/tickets/{child.pk}/merge", {"parent": parent.pk, "confirm": True})
    assert merged.status_code == 200 and merged.json()["state"] == "merged"
    assert "unmerge" in merged.json()["actions"]
    no_reason = post(f"/api/v1/tickets/{child.pk}/unmerge", {"reason": ""})
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    undone = post(f"/api/v1/tickets/{child.pk}/unmerge", {"reason": "不是同一件事"})
    assert undone.status_code == 200 and (undone.json()["state"], undone.json()["parent_id"]) == ("new", None)


# ── the pages ───────────────────────────────────────────────────────────────

def test_the_ticket_page_asks_a_second_time_and_the_box_confirms_only_the_ticket_named(world, client):
    parent, child = pair(world)
    other = new_ticket(world, text="东华门大街路灯不亮", citizen_phone="13811110003")
    client.force_login(world.dispatcher)
    act = reverse("ticket_act", args=[child.pk, "merge"])
    page = client.get(client.post(act, {"parent": parent.number}).url).content.decode()
    assert 'name="confirm_merge"' in page and f'name="confirmed_parent" value="{parent.number}"' in page
    assert "已核实：是同一件事，仍然合并" in page and parent.title in page
    client.post(act, {"parent": other.number, "confirm_merge": "1", "confirmed_parent": parent.number})
    assert fresh(child).state == "new"  # the box was ticked for another ticket
    client.post(act, {"parent": parent.number, "confirm_merge": "1", "confirmed_parent": parent.number})
    assert fresh(child).parent_id == parent.pk
    page = client.get(reverse("ticket_detail", args=[child.pk])).content.decode()
    assert 'id="act-unmerge"' in page
    client.post(reverse("ticket_act", args=[child.pk, "unmerge"]), {"reason": "误合并"})
    assert fresh(child).state == "new"
    assert "撤销合并" in client.get(reverse("ticket_detail", args=[child.pk])).content.decode()


def test_the_callback_queue_reads_the_parents_with_its_page(world, client):
    """One query for the page's tickets and their parents, however many of them were merged."""
    client.force_login(world.callback_agent)

    def queries_for_the_page():
        with CaptureQueriesContext(connection) as seen:
            client.get(reverse("callback_queue"))
        return len(seen)

    parent, child = pair(world, child_text=MANHOLE_AGAIN)
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent)
    one = queries_for_the_page()
    more = new_ticket(world, text=MANHOLE)
    for phone in ("13811110005", "13811110006"):
        services.merge(world.dispatcher, new_ticket(world, text=MANHOLE_AGAIN, citizen_phone=phone), more)
    reply_to(world, more)
    assert queries.callback_queue().filter(parent__isnull=False).count() == 3
    assert queries_for_the_page() == one


def test_a_merged_requests_page_says_its_reply_was_written_for_its_parent(world, client):
    parent, child, words = replied_merged_pair(world)
    client.force_login(world.dispatcher)
    assert words in client.get(reverse("ticket_detail", args=[child.pk])).content.decode()
    assert words not in client.get(reverse("ticket_detail", args=[parent.pk])).content.decode()



def test_the_box_of_the_duplicate_panel_confirms_a_doubtful_merge(world, client):
    parent, child = pair(world)
    client.force_login(world.dispatcher)
    act = reverse("ticket_act", args=[child.pk, "merge"])
    client.post(act, {"parent": parent.number})
    assert fresh(child).state == "new"
    client.post(act, {"parent": parent.number, "confirm_merge": "1", "confirmed_parent": parent.number})
    assert fresh(child).parent_id == parent.pk


def test_the_parents_title_named_above_the_reply_is_masked_as_the_page_masks_it(world, client):
    parent = new_ticket(world, text="井盖破损，回电13912345678", title="井盖破损，回电13912345678")
    child = new_ticket(world, text=MANHOLE_AGAIN, citizen_phone="13811110002")
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent)
    client.force_login(world.dispatcher)
    page = client.get(reverse("ticket_detail", args=[child.pk])).content.decode()
    said = page[page.index('class="via-parent"'):].split("</p>")[0]
    assert parent.number in said and "13912345678" not in said and "139****5678" in said
