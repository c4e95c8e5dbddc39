"""Merge proposals retired when they can no longer be carried out, and tickets already proposed for merging not
offered again as new candidates (docs/duplicates.md, "Proposals: pending, followed, retired")."""
import pytest

from jiesu.dispatch import duplicates
from jiesu.dispatch import services as desk
from jiesu.dispatch.duplicates import DONE, PENDING, SETTLED, SPLIT, Draft, check_intake
from jiesu.dispatch.models import AutoDispatchRule
from jiesu.tickets import services
from jiesu.tickets.models import State
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, reply_to

from .desk_helpers import desk_world  # noqa: F401  (fixture)

STALL_AGAIN = "东华门大街路口早餐摊占道经营，行人只能走机动车道"
STALL_THIRD = "东华门大街早餐摊占道经营，人行道走不了"


@pytest.fixture(autouse=True)
def fresh_index():
    duplicates.reset_index(refresh_seconds=0)
    yield
    duplicates.reset_index()


@pytest.fixture
def pair(world):
    """A ticket and a later one the call-taker proposed for merging into it."""
    parent = new_ticket(world)
    child = new_ticket(world, text=STALL_AGAIN, citizen_phone="13900001111")
    duplicates.propose_merge(world.call_taker, child, parent.pk)
    return parent, child


def fate(child):
    child.refresh_from_db()
    return [(p.target.pk, p.into.pk, p.fate) for p in duplicates.proposals(child)]


def held(*tickets):
    for t in tickets:
        t.refresh_from_db()
    return duplicates.awaiting_decision(tickets)


# ── what became of a proposal, worked out when read ─────────────────────────

def test_a_proposal_is_pending_while_its_ticket_is_open_also_once_dispatched(world, pair):
    parent, child = pair
    assert fate(child) == [(parent.pk, parent.pk, PENDING)] and held(child) == {child.pk}
    services.dispatch(world.dispatcher, parent, world.street.pk)
    assert fate(child) == [(parent.pk, parent.pk, PENDING)]
    services.dispatch(world.dispatcher, child, world.street.pk)  # dispatched apart: still one matter, still mergeable
    assert fate(child) == [(parent.pk, parent.pk, PENDING)]
    assert duplicates.proposed_parents([child.pk, parent.pk]) == {child.pk: parent.pk}


@pytest.mark.parametrize("finish, expected", [
    (lambda w, t: services.close_special(w.call_taker, t, "market"), "closed"),
    (lambda w, t: services.answer_directly(w.call_taker, t, "可到街道办事处咨询"), "answered"),
    (lambda w, t: reply_to(w, t), "replied"),
])
def test_a_proposal_into_a_finished_ticket_is_retired(world, pair, finish, expected):
    parent, child = pair
    finish(world, parent)
    assert fate(child) == [(parent.pk, parent.pk, expected)]
    assert held(child) == set() and duplicates.proposed_parents([child.pk]) == {}
    # nothing was written to either ticket: the history holds the proposal and what finished the other ticket
    assert child.events.filter(kind="duplicate_proposed").count() == 1


def test_a_proposal_follows_its_ticket_merged_into_another(world, pair):
    parent, child = pair
    handling = new_ticket(world, text=STALL_THIRD, citizen_phone="13700000000")
    services.dispatch(world.dispatcher, handling, world.street.pk)
    services.merge(world.dispatcher, parent, handling)
    assert fate(child) == [(parent.pk, handling.pk, PENDING)] and held(child) == {child.pk}
    assert duplicates.proposed_parents([child.pk]) == {child.pk: handling.pk}
    reply_to(world, handling, dispatch=False)
    assert fate(child) == [(parent.pk, handling.pk, "replied")] and held(child) == set()


def test_a_proposal_carried_out_either_way_or_overtaken_is_no_longer_shown(world):
    parent = new_ticket(world)
    child = new_ticket(world, text=STALL_AGAIN, citizen_phone="13900001111")
    duplicates.propose_merge(world.call_taker, child, parent.pk)
    services.merge(world.dispatcher, child, parent)
    assert fate(child) == [(parent.pk, parent.pk, DONE)]
    # the other way: the proposed ticket was with a unit, so the older one joined it
    older = new_ticket(world, text=STALL_THIRD, citizen_phone="13700000000")
    newer = new_ticket(world, text=STALL_AGAIN, citizen_phone="13600000000")
    duplicates.propose_merge(world.call_taker, newer, older.pk)
    services.dispatch(world.dispatcher, newer, world.street.pk)
    services.merge(world.dispatcher, older, newer)
    assert fate(newer) == [(older.pk, newer.pk, DONE)]  # it went into this very ticket
    # this ticket itself closed, or merged into a third one
    closed = new_ticket(world, text=STALL_AGAIN, citizen_phone="13500000000")
    duplicates.propose_merge(world.call_taker, closed, newer.pk)
    services.close_special(world.dispatcher, closed, "market")
    assert fate(closed) == [(newer.pk, newer.pk, SETTLED)]
    assert not [p for p in duplicates.proposals(closed) if p.shown]


def test_a_proposal_between_tickets_split_apart_is_retired(world, pair):
    parent, child = pair
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent)
    child.refresh_from_db()
    services.record_callback(world.callback_agent, child, True, "unresolved", "dissatisfied")
    child.refresh_from_db()
    assert child.state == State.NEW and child.parent_id is None  # handled on its own now
    assert fate(child) == [(parent.pk, parent.pk, SPLIT)] and held(child) == set()


def test_a_same_caller_flag_on_a_finished_ticket_still_asks_whether_it_is_a_repeat(world):
    earlier = new_ticket(world, citizen_phone="13812340000")
    services.close_special(world.call_taker, earlier, "market")
    again = new_ticket(world, text=STALL_AGAIN, citizen_phone="13812340000")
    duplicates.flag_repeats(world.call_taker, again)
    [flag] = duplicates.proposals(again)
    assert (flag.fate, flag.pending, flag.repeat_question) == ("closed", False, True)
    assert held(again) == {again.pk}  # a person decides: repeat without new facts (Art.11), or dispatch
    services.dispatch(world.dispatcher, again, world.street.pk)
    assert held(again) == set() and not duplicates.proposals(again)[0].repeat_question


def test_a_call_takers_choice_merged_meanwhile_is_proposed_into_the_ticket_handling_it(world):
    parent = new_ticket(world)
    picked = new_ticket(world, text=STALL_THIRD, citizen_phone="13700000000")
    services.merge(world.dispatcher, picked, parent)  # while the call-taker was still typing
    child = new_ticket(world, text=STALL_AGAIN, citizen_phone="13900001111")
    said = duplicates.after_intake(world.call_taker, child, merge_into=picked.pk)
    assert said[0][0] == "info" and picked.number in said[0][1]
    assert fate(child) == [(picked.pk, parent.pk, PENDING)]
    finished = new_ticket(world, text="无关的事", citizen_phone="13300000000")
    services.close_special(world.call_taker, finished, "market")
    assert duplicates.after_intake(world.call_taker, child, merge_into=finished.pk)[0][0] == "warning"


# ── auto-dispatch counts only what a person still has to decide ─────────────

def test_auto_dispatch_holds_a_pending_proposal_and_not_a_retired_one(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    parent = new_ticket(w, text="东华门大街有人占道经营", citizen_phone="13100000000")
    retired = new_ticket(w, text=STALL_AGAIN, citizen_phone="13100000002")
    duplicates.propose_merge(w.call_taker, retired, parent.pk)
    services.close_special(w.call_taker, parent, "market")  # closed since: the proposal holds nothing
    open_one = new_ticket(w, text="东华门大街有人占道经营，堵塞盲道", citizen_phone="13100000001")
    services.dispatch(w.dispatcher, open_one, w.street.pk)
    pending = new_ticket(w, text=STALL_THIRD, citizen_phone="13100000003")
    duplicates.propose_merge(w.call_taker, pending, open_one.pk)
    report = desk.auto_dispatch_new_tickets()
    assert report.duplicate == 1 and report.tickets == [retired.pk]
    pending.refresh_from_db()
    assert pending.state == State.NEW


# ── a ticket already proposed is not offered again as a new candidate ───────

def test_a_proposed_ticket_is_shown_as_the_proposal_on_its_parents_page_and_marked_elsewhere(world, client):
    parent = new_ticket(world)
    child = new_ticket(world, text=STALL_AGAIN, citizen_phone="13900001111")
    other = new_ticket(world, text=STALL_THIRD, citizen_phone="13700000000")
    duplicates.propose_merge(world.call_taker, child, parent.pk)
    on_parent = duplicates.ticket_duplicates(world.dispatcher, parent)
    assert [c.ticket.pk for c in on_parent.incoming] == [child.pk]
    assert child.pk not in [c.ticket.pk for c in on_parent.similar] and other.pk in [
        c.ticket.pk for c in on_parent.similar]
    on_other = duplicates.ticket_duplicates(world.dispatcher, other)
    marked = {c.ticket.pk: c.proposal and c.proposal.into.pk for c in on_other.similar}
    assert marked[child.pk] == parent.pk and marked[parent.pk] is None and on_other.incoming == []
    on_child = duplicates.ticket_duplicates(world.dispatcher, child)
    assert [p.target.pk for p in on_child.proposals] == [parent.pk]
    assert parent.pk not in [c.ticket.pk for c in on_child.similar]  # it is the proposal, not an offer
    # at intake: still offered, marked
    found = check_intake(world.call_taker, Draft(text=STALL_AGAIN, street_code=world.street.code)).candidates
    assert {c.ticket.pk: c.proposal and c.proposal.into.pk for c in found}[child.pk] == parent.pk
    client.force_login(world.call_taker)
    body = client.post("/intake-check/", {"text": STALL_AGAIN, "street": world.street.code, "format": "json"}).json()
    assert {c["id"]: c["proposed_into"] for c in body["candidates"]}[child.pk] == parent.number
    html = client.post("/intake-check/", {"text": STALL_AGAIN, "street": world.street.code}).content.decode()
    assert f'data-proposed-into="{parent.pk}"' in html and f"已建议合并到 {parent.number}" in html
    # retired: an ordinary candidate again
    services.close_special(world.call_taker, parent, "market")
    on_other = duplicates.ticket_duplicates(world.dispatcher, other)
    assert [(c.ticket.pk, c.proposal) for c in on_other.similar] == [(child.pk, None)]


# ── the pages ───────────────────────────────────────────────────────────────

def test_the_childs_card_says_the_proposal_was_retired_and_offers_the_normal_actions(world, client, pair):
    parent, child = pair
    client.force_login(world.dispatcher)
    url = f"/intake-check/ticket/{child.pk}/"
    assert f'action="/tickets/{child.pk}/act/merge/"' in client.get(url).content.decode()
    services.close_special(world.call_taker, parent, "market")
    html = client.get(url).content.decode()
    assert f"拟合并的工单 {parent.number} 已办结，未合并" in html and 'data-fate="closed"' in html
    assert "/act/merge/" not in html and "dup-item chosen" not in html
    client.cookies["django_language"] = "en"
    html = client.get(url).content.decode()
    assert f"The ticket proposed to merge into, {parent.number}, has been closed: not merged." in html
    page = client.get(f"/tickets/{child.pk}/").content.decode()
    assert "/act/dispatch/" in page  # dispatched as any other ticket


def test_the_parents_page_offers_the_proposed_ticket_once_as_the_proposal(world, client, pair):
    parent, child = pair
    client.force_login(world.dispatcher)
    html = client.get(f"/intake-check/ticket/{parent.pk}/").content.decode()
    assert html.count(child.number) >= 1 and f'data-incoming="{child.pk}"' in html
    assert f'data-ticket="{child.pk}"' not in html and "话务员受理时建议合并到本工单" in html
    assert f'action="/tickets/{child.pk}/act/merge/"' in html and f'value="{parent.number}"' in html


def test_a_followed_proposal_offers_the_ticket_now_handling_the_matter(world, client, pair):
    parent, child = pair
    handling = new_ticket(world, text=STALL_THIRD, citizen_phone="13700000000")
    services.dispatch(world.dispatcher, handling, world.street.pk)
    services.merge(world.dispatcher, parent, handling)
    client.force_login(world.dispatcher)
    html = client.get(f"/intake-check/ticket/{child.pk}/").content.decode()
    assert f"{parent.number} 已并入 {handling.number}" in html
    assert f'action="/tickets/{child.pk}/act/merge/"' in html and f'value="{handling.number}"' in html
    assert client.post(f"/tickets/{child.pk}/act/merge/", {"parent": handling.number}).status_code == 302
    child.refresh_from_db()
    assert child.parent_id == handling.pk


def test_a_same_caller_repeat_of_a_closed_ticket_can_be_closed_as_such_from_the_card(world, client):
    earlier = new_ticket(world, citizen_phone="13812340000")
    services.close_special(world.call_taker, earlier, "market")
    again = new_ticket(world, text=STALL_AGAIN, citizen_phone="13812340000")
    duplicates.flag_repeats(world.call_taker, again)
    client.force_login(world.dispatcher)
    html = client.get(f"/intake-check/ticket/{again.pk}/").content.decode()
    assert f"按重复诉求办结（同 {earlier.number}，无新情况）" in html and 'value="repeat"' in html
    r = client.post(f"/tickets/{again.pk}/act/close_special/", {
        "special_class": "repeat", "note": duplicates.repeat_note(earlier.number)})
    assert r.status_code == 302
    again.refresh_from_db()
    assert (again.state, again.special_class) == (State.CLOSED, "repeat")
    assert client.get(f"/intake-check/ticket/{again.pk}/").content.strip() == b""


def test_the_merge_button_is_offered_only_when_the_ticket_it_moves_may_be_merged(world, client):
    """The form acts on the ticket that joins the other: its state decides, not the state of the page's ticket
    (a returned ticket awaiting arbitration may not be merged; the button used to end in a refusal)."""
    handled = new_ticket(world)
    services.dispatch(world.dispatcher, handled, world.street.pk)
    returned = new_ticket(world, text=STALL_AGAIN, citizen_phone="13700000000")
    services.dispatch(world.dispatcher, returned, world.dept.pk)
    services.return_ticket(world.dept_staff, returned, "不属于本单位职责")
    client.force_login(world.dispatcher)
    html = client.get(f"/intake-check/ticket/{handled.pk}/").content.decode()
    assert f'data-ticket="{returned.pk}"' in html and "/act/merge/" not in html
    services.arbitrate(world.dispatcher, returned, False)  # back to the unit: mergeable again
    html = client.get(f"/intake-check/ticket/{handled.pk}/").content.decode()
    assert f'action="/tickets/{returned.pk}/act/merge/"' in html


def test_the_panel_says_when_the_chosen_ticket_is_no_longer_offered(world, client):
    """A draft brings back the call-taker's choice; when that ticket was finished meanwhile the panel says so
    instead of dropping the choice unsaid."""
    earlier = new_ticket(world)
    client.force_login(world.call_taker)
    asked = {"text": STALL_AGAIN, "street": world.street.code, "merge_into": earlier.pk}
    offered = client.post("/intake-check/", asked).content.decode()
    assert f'value="{earlier.pk}" checked' in offered and "不在可合并之列" not in offered
    services.close_special(world.call_taker, earlier, "market")
    gone = client.post("/intake-check/", asked).content.decode()
    assert f"您此前选择合并到的工单 {earlier.number} 已不在可合并之列" in gone
    assert f'value="{earlier.pk}"' not in gone
