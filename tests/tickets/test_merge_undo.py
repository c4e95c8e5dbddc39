"""Merging safely (audit 11, findings 1 and 16): undoing a wrong merge, the confirmation a doubtful merge needs, the
merged request's reply said to be its parent's, and a special-class close personal to its caller."""
import pytest
from django.urls import reverse

from jiesu.core.errors import Conflict, DomainError
from jiesu.tickets import queries, services
from jiesu.tickets.models import Ticket
from tests.tickets.helpers import new_ticket, reply_to

MANHOLE = "南河沿大街12号楼下井盖破损，有人差点踩空"
MANHOLE_AGAIN = "南河沿大街12号附近井盖坏了，很危险"
CANTEEN = "孩子学校食堂饭菜质量差，希望监管"


def pair(w, child_text=CANTEEN, **child):
    parent = new_ticket(w, text=MANHOLE, title="井盖破损", citizen_phone="13811110001")
    return parent, new_ticket(w, text=child_text, title=child_text[:8], citizen_phone="13811110002", **child)


def fresh(ticket):
    return Ticket.objects.get(pk=ticket.pk)


# ── undoing a merge ─────────────────────────────────────────────────────────

def test_a_wrong_merge_is_undone_and_the_request_waits_for_dispatch_on_its_own(world):
    parent, child = pair(world)
    services.merge(world.dispatcher, child, parent, confirm=True)
    services.unmerge(world.dispatcher, child, "市民反映的是食堂问题，不是井盖")
    child = fresh(child)
    event = child.events.get(kind="unmerge")
    assert (child.state, child.parent_id, child.rehandle_round, child.satisfied, child.resolved) == ("new", None, 0, "", "")
    assert child.dispatch_due == services.due(event.at, services.time_limit_class(child), "dispatch")
    assert event.note == "市民反映的是食堂问题，不是井盖" and event.payload["parent_number"] == parent.number
    assert parent.events.filter(kind="split_off", payload__child=child.pk).exists()
    assert not fresh(parent).merged_children.exists()
    assert not child.callbacks.exists()


def test_undoing_a_merge_needs_a_reason_and_a_merged_ticket(world):
    parent, child = pair(world, child_text=MANHOLE_AGAIN)
    services.merge(world.dispatcher, child, parent)
    with pytest.raises(DomainError) as refused:
        services.unmerge(world.dispatcher, child, "  ")
    assert refused.value.field == "reason" and fresh(child).state == "merged"
    reply_to(world, parent)
    with pytest.raises(Conflict):  # replied, but not merged into another: nothing to undo
        services.unmerge(world.dispatcher, parent, "误合并")
    assert "unmerge" not in services.available_actions(world.dispatcher, fresh(parent))
    assert "unmerge" in services.available_actions(world.supervisor, fresh(child))


def test_a_request_given_its_parents_reply_is_split_off_before_its_callback_and_the_reply_taken_back(world):
    """Its citizen has not been called back: the reply written for the other matter is not theirs to be asked about."""
    parent, child = pair(world)
    services.merge(world.dispatcher, child, parent, confirm=True)
    reply_to(world, parent, "已更换井盖，现场已恢复安全。")
    assert fresh(child).state == "replied" and child.pk in [t.pk for t in queries.callback_queue()]
    services.unmerge(world.supervisor, fresh(child), "误合并：市民反映的是食堂")
    child = fresh(child)
    assert (child.state, child.reply_text, child.replied_at, child.self_resolved) == ("new", "", None, None)
    assert child.pk not in [t.pk for t in queries.callback_queue()]
    assert child.events.get(kind="unmerge").payload["reply_taken_back"] is True
    assert child.events.filter(kind="reply").exists()  # the history keeps what happened


# ── the merge asks when the two may not be one matter ─────────────────────

def test_a_merge_of_unlike_texts_asks_for_a_confirmation_naming_both_titles(world):
    parent, child = pair(world)
    with pytest.raises(services.MergeDoubt) as doubt:
        services.merge(world.dispatcher, child, parent)
    message = doubt.value.message
    assert doubt.value.field == "confirm" and doubt.value.status == 409
    assert child.title in message and parent.title in message and "0%" in message
    assert fresh(child).state == "new" and not parent.events.filter(kind="merged_in").exists()
    services.merge(world.dispatcher, child, parent, confirm=True)
    assert fresh(child).parent_id == parent.pk
    assert len(child.events.get(kind="merge").payload["confirmed_doubts"]) == 1


def test_alike_texts_of_one_type_and_district_merge_without_a_question(world):
    parent, child = pair(world, child_text=MANHOLE_AGAIN)
    assert services.merge_doubts(child, parent) == []
    services.merge(world.dispatcher, child, parent)
    assert "confirmed_doubts" not in child.events.get(kind="merge").payload


def test_a_consultation_into_a_complaint_and_another_district_are_doubted(world):
    parent, child = pair(world, child_text=MANHOLE_AGAIN, request_type="consult", street_code=world.street_b.code)
    doubts = services.merge_doubts(fresh(child), fresh(parent))
    assert len(doubts) == 2
    assert "咨询并入投诉" in doubts[0]
    assert "西城区并入东城区" in doubts[1]


def test_the_duplicate_panel_names_the_doubts_of_a_proposed_merge_with_the_box_that_confirms_it(world, client):
    from jiesu.dispatch import duplicates

    parent, child = pair(world)
    duplicates.propose_merge(world.call_taker, child, parent.pk)
    client.force_login(world.dispatcher)
    panel = client.get(f"/intake-check/ticket/{child.pk}/").content.decode()
    assert f"未必与 {parent.number} 是同一件事" in panel and "两单文本不相似" in panel
    assert 'name="confirm_merge"' in panel and f'name="confirmed_parent" value="{parent.number}"' in panel


# ── the pages ───────────────────────────────────────────────────────────────

def replied_merged_pair(w):
    """(parent, child, the words said above the child's reply): the canteen merged into the manhole, replied."""
    parent, child = pair(w)
    services.merge(w.dispatcher, child, parent, confirm=True)
    reply_to(w, parent, "已更换井盖，现场已恢复安全。")
    return parent, child, f"随主工单反馈：{parent.number} {parent.title}"


def test_a_merged_requests_reply_is_said_to_be_its_parents_on_the_callback_card(world, client):
    parent, child, words = replied_merged_pair(world)
    client.force_login(world.callback_agent)
    assert words in client.get(reverse("callback_queue")).content.decode()


# ── a special-class close personal to its caller (finding 16) ──────────────

@pytest.mark.parametrize("special_class", ["repeat", "emergency", "statutory", "market"])
def test_a_close_personal_to_the_caller_splits_off_other_callers_and_closes_the_same_callers(world, special_class):
    parent = new_ticket(world, text=MANHOLE, citizen_phone="13812120001")
    same = new_ticket(world, text=MANHOLE_AGAIN, citizen_phone="13812120001")
    other = new_ticket(world, text=MANHOLE_AGAIN, citizen_phone="13812120002")
    for child in (same, other):
        services.merge(world.dispatcher, child, parent)
    services.close_special(world.dispatcher, parent, special_class, "同一来电人已于 20261207-0035114 反映")
    same, other = fresh(same), fresh(other)
    assert (same.state, same.special_class) == ("closed", special_class)
    assert (other.state, other.parent_id, other.special_class, other.rehandle_round) == ("new", None, "", 0)
    event = other.events.get(kind="unmerge")
    assert event.payload["why"] == "personal_close" and event.payload["special_class"] == special_class
    assert other.dispatch_due is not None


def test_the_timeline_says_why_a_request_was_split_off(world, client):
    parent = new_ticket(world, text=MANHOLE, citizen_phone="13812120001")
    other = new_ticket(world, text=MANHOLE_AGAIN, citizen_phone="13812120002")
    services.merge(world.dispatcher, other, parent)
    services.close_special(world.dispatcher, parent, "repeat", "同一来电人已反映")
    client.force_login(world.dispatcher)
    page = client.get(reverse("ticket_detail", args=[other.pk])).content.decode()
    assert f"已从 {parent.number} 拆分，回到待派单" in page
    assert f"{parent.number} 按「重复诉求且无新情况」分类处置，该分类只对其来电人成立" in page
