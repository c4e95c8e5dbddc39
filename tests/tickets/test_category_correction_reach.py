"""A category correction reaches what it should: the merged duplicates follow their parent (and a request merged
later takes its parent's category), and a correction the negative list bars for a unit handling the ticket is
refused unless the ticket is taken back for dispatch (page and API)."""
import json

from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from jiesu.accounts.models import ApiToken
from jiesu.categories.models import Duty
from jiesu.kpi.models import DailyRollup
from jiesu.tickets import services
from jiesu.tickets.models import AssignmentState, Notice, NoticeKind, State, Ticket, TicketEvent

from .conftest import fast_passwords, world  # noqa: F401  (fixtures)
from .helpers import new_ticket, reply_to

REASON = "市民反映的是政策咨询，不是占道"


def merged_pair(w):
    """A dispatched 占道经营 parent and a duplicate merged into it."""
    parent = new_ticket(w)
    services.dispatch(w.dispatcher, parent, w.street.pk)
    child = new_ticket(w, citizen_phone="13900000000")
    services.merge(w.dispatcher, child, parent, confirm=True)
    return Ticket.objects.get(pk=parent.pk), Ticket.objects.get(pk=child.pk)


def received(category):
    return DailyRollup.objects.filter(category_id=category.pk).aggregate(n=Sum("received"))["n"] or 0


def test_the_merged_duplicates_follow_their_parents_correction_each_with_an_event_naming_it(world):
    w = world
    parent, child = merged_pair(w)
    services.correct_category(w.dispatcher, parent, w.consult.code, REASON)
    child.refresh_from_db()
    assert (child.category, child.state, child.parent_id) == (w.consult, State.MERGED, parent.pk)
    event = TicketEvent.objects.get(ticket=child, kind="recategorize")
    assert event.note == f"随主工单 {parent.number} 更正类别：{REASON}"
    assert (event.payload["with_parent"], event.payload["category_from"], event.payload["category_to"]) == (
        parent.pk, w.category.code, w.consult.code)
    assert (received(w.consult), received(w.category)) == (2, 0)  # the statistics count both under the new one


def test_a_correction_in_the_return_arbitration_takes_the_duplicates_along(world):
    w = world
    parent, child = merged_pair(w)
    services.return_ticket(w.street_staff, parent, "不属于街道职责")
    services.arbitrate(w.dispatcher, Ticket.objects.get(pk=parent.pk), True, "类别错了", w.dept.pk,
                       category_code=w.consult.code)
    child.refresh_from_db()
    assert child.category == w.consult
    assert TicketEvent.objects.get(ticket=child, kind="recategorize").note == f"随主工单 {parent.number} 更正类别：类别错了"


def test_a_request_merged_into_a_corrected_parent_takes_its_category_and_so_do_the_ones_moved_with_it(world):
    w = world
    parent = new_ticket(w)
    services.dispatch(w.dispatcher, parent, w.street.pk)
    services.correct_category(w.dispatcher, parent, w.consult.code, REASON)
    late = new_ticket(w, category_code=w.gas.code, text="楼道里燃气味很重，想问问怎么办")
    moved = new_ticket(w, citizen_phone="13900000001")
    services.merge(w.dispatcher, moved, late, confirm=True)
    assert Ticket.objects.get(pk=moved.pk).category == w.gas  # into a ticket of another category: its category
    services.merge(w.dispatcher, Ticket.objects.get(pk=late.pk), parent, confirm=True)
    for ticket in (late, moved):
        ticket.refresh_from_db()
        assert (ticket.category, ticket.parent_id) == (w.consult, parent.pk)
        assert TicketEvent.objects.filter(ticket=ticket, kind="recategorize").last().note == (
            f"并入 {parent.number}，随主工单归类")
    assert not TicketEvent.objects.filter(ticket=parent, kind="recategorize").exclude(actor=w.dispatcher).exists()


def barred_street(w):
    """The negative list: 燃气泄漏 must never go to a street."""
    return Duty.objects.create(category=w.gas, unit_kind="street", negative=True)


def api(user):
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {ApiToken.objects.create(user=user, name='t').key}"
    return client


def correct_over_api(w, ticket, **extra):
    return api(w.dispatcher).post(f"/api/v1/tickets/{ticket.pk}/category", json.dumps(
        {"category": w.gas.code, "reason": "市民说的是燃气泄漏", **extra}), content_type="application/json")


def test_a_correction_the_negative_list_bars_for_the_lead_unit_is_refused_over_the_api_then_taken_back(world):
    w = world
    duty = barred_street(w)
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk)
    services.sign(w.street_staff, ticket)
    r = correct_over_api(w, ticket)
    assert r.status_code == 409 and (r.json()["error"], r.json()["field"]) == ("negative_list_handling", "take_back")
    assert r.json()["message"] == (f"负面清单 #{duty.pk}：「燃气泄漏」不得派给 东华门街道（所在街道），而该单位正在办理此工单："
                                   f"类别未更正。如仍要更正，请发送 \"take_back\": true：更正类别并将工单收回派单队列。")
    ticket.refresh_from_db()
    assert (ticket.category, ticket.state, ticket.lead_unit) == (w.category, State.SIGNED, w.street)
    assert not TicketEvent.objects.filter(kind="recategorize").exists()

    r = correct_over_api(w, ticket, take_back=True)
    assert r.status_code == 200 and (r.json()["state"], r.json()["category"], r.json()["lead_unit"]) == (
        "new", w.gas.code, None)
    ticket.refresh_from_db()
    assert ticket.dispatch_due is not None and ticket.reply_due is None
    assert not ticket.assignments.filter(active=True).exists()
    assert ticket.assignments.get(unit=w.street).state == AssignmentState.WITHDRAWN
    event = TicketEvent.objects.get(ticket=ticket, kind="recategorize")
    assert (event.from_state, event.to_state) == (State.SIGNED, State.NEW)
    assert event.payload["taken_back"] == [{"duty": duty.pk, "unit": "东华门街道", "unit_id": w.street.pk, "role": "lead"}]
    notice = Notice.objects.get(ticket=ticket, unit=w.street)
    assert notice.kind == NoticeKind.TAKEN_BACK and notice.text == (
        f"工单已收回，交热线重新派单：类别更正为「燃气泄漏」；负面清单 #{duty.pk}：「燃气泄漏」不得派给 东华门街道（所在街道）")


def test_a_barred_co_unit_is_refused_too_and_a_replied_ticket_is_not_checked(world):
    w = world
    barred_street(w)
    co = new_ticket(w)
    services.dispatch(w.dispatcher, co, w.dept2.pk, [w.street.pk])
    r = correct_over_api(w, co)
    assert r.status_code == 409 and "东华门街道" in r.json()["message"]
    replied = reply_to(w, new_ticket(w, citizen_phone="13900000002", text="西华门有人摆摊卖水果"))
    assert correct_over_api(w, replied).status_code == 200  # the unit's work is done: a re-handling is checked then
    assert Ticket.objects.get(pk=replied.pk).state == State.REPLIED


def test_the_page_refuses_naming_the_entry_then_offers_the_box_that_takes_the_ticket_back(world):
    w = world
    duty = barred_street(w)
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk)
    client = Client()
    client.force_login(w.dispatcher)
    url = reverse("ticket_act", args=[ticket.pk, "recategorize"])
    form = {"category": w.gas.code, "reason": "市民说的是燃气泄漏"}
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'name="take_back"' not in page
    client.post(url, form)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert f"负面清单 #{duty.pk}：「燃气泄漏」不得派给 东华门街道（所在街道），而该单位正在办理此工单" in page
    assert "请勾选「收回工单，重新派单」" in page and 'name="take_back"' in page
    assert Ticket.objects.get(pk=ticket.pk).state == State.DISPATCHED
    client.post(url, {**form, "take_back": "1"})
    ticket.refresh_from_db()
    assert (ticket.state, ticket.category, ticket.lead_unit) == (State.NEW, w.gas, None)


def test_a_return_rejected_with_a_category_that_bars_the_returning_unit_is_refused(world):
    w = world
    duty = barred_street(w)
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk)
    services.return_ticket(w.street_staff, ticket, "燃气泄漏不归街道")
    r = api(w.dispatcher).post(f"/api/v1/tickets/{ticket.pk}/arbitrate", json.dumps(
        {"uphold": False, "note": "退回街道", "category": w.gas.code}), content_type="application/json")
    assert r.status_code == 409 and (r.json()["error"], r.json()["field"]) == ("negative_list_handling", "category")
    assert r.json()["message"] == (f"负面清单 #{duty.pk}：「燃气泄漏」不得派给 东华门街道（所在街道），而该单位正在办理此工单："
                                   "类别未更正。请改为同意退单：改派其他单位，或退回派单队列。")
    ticket.refresh_from_db()
    assert (ticket.state, ticket.category) == (State.RETURNED, w.category)
    assert ticket.returns.get().state == "pending"


def test_a_request_split_off_again_goes_back_to_its_own_category(world):
    w = world
    parent = new_ticket(w)
    services.dispatch(w.dispatcher, parent, w.street.pk)
    child = new_ticket(w, category_code=w.gas.code, text="楼道里燃气味很重，想问问怎么办")
    services.merge(w.dispatcher, child, parent, confirm=True)
    services.correct_category(w.dispatcher, Ticket.objects.get(pk=parent.pk), w.consult.code, REASON)
    assert Ticket.objects.get(pk=child.pk).category == w.consult  # took 占道经营 at the merge, then followed
    services.unmerge(w.dispatcher, Ticket.objects.get(pk=child.pk), "不是同一件事")
    child.refresh_from_db()
    assert (child.category, child.state, child.parent_id) == (w.gas, State.NEW, None)
    event = TicketEvent.objects.filter(ticket=child, kind="recategorize").last()
    assert (event.note, event.payload["category_to"]) == (f"撤销与 {parent.number} 的合并，恢复原类别", w.gas.code)
    assert child.dispatch_due == services.due(event.at, services.time_limit_class(child), "dispatch")  # 燃气泄漏's
