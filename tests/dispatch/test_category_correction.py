"""A wrong category corrected in 退单审核 (page and API) and after dispatch (更正类别); the corrections teach the
model (training.confirmed_tickets); the 退单审核 card says when the machine made the dispatch (audit 11, findings 19
and 6)."""
import json

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from jiesu.accounts.models import ApiToken, Role, User
from jiesu.dispatch import training
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AutoDispatchRule, DispatchSuggestion
from jiesu.kpi.models import DailyRollup
from jiesu.tickets import services
from jiesu.tickets.models import RequestState, State, Ticket, TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)


def api(user):
    client = Client()
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {ApiToken.objects.create(user=user, name='t').key}"
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def auto_dispatched(w):
    """A 占道经营 ticket the machine sent to the street (rule 城市管理 ≥ 80 %), which the street returns."""
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    ticket = new_ticket(w)
    assert desk.auto_dispatch_new_tickets().dispatched == 1
    services.return_ticket(w.street_staff, Ticket.objects.get(pk=ticket.pk), "燃气泄漏不属于街道职责")
    return Ticket.objects.get(pk=ticket.pk)


def close(w, ticket, unit_staff):
    services.sign(unit_staff, ticket)
    services.contact(unit_staff, ticket, "已联系")
    services.reply(unit_staff, ticket, "已处理", True)
    return services.record_callback(w.callback_agent, ticket, True, "resolved", "satisfied")


def test_an_upheld_return_corrects_the_category_with_the_unit_over_the_api_and_is_learned(desk_world):
    w = desk_world
    ticket = auto_dispatched(w)
    r = post(api(w.dispatcher), f"/api/v1/tickets/{ticket.pk}/arbitrate",
             {"uphold": True, "lead_unit": w.dept2.pk, "category": w.gas.code, "note": "燃气归市场监管"})
    assert r.status_code == 200, r.content
    assert (r.json()["category"], r.json()["lead_unit"], r.json()["state"]) == (w.gas.code, w.dept2.name, "dispatched")
    event = TicketEvent.objects.get(ticket=ticket, kind="arbitrate")
    assert {k: event.payload[k] for k in ("category_from", "category_to", "category_from_name", "category_to_name",
                                          "new_lead")} == {"category_from": w.category.code,
                                                           "category_to": w.gas.code, "category_from_name": "占道经营",
                                                           "category_to_name": "燃气泄漏", "new_lead": w.dept2.name}
    rows = list(DispatchSuggestion.objects.filter(ticket=ticket).order_by("pk"))  # the re-dispatch, logged
    assert [(x.source, x.category_id, x.lead_unit_id) for x in rows] == [
        ("auto", w.category.pk, w.street.pk), ("api", w.gas.pk, w.dept2.pk)]
    assert (rows[1].accepted_rank, rows[1].by) == (2, w.dispatcher)  # matched under the corrected category: #2
    assert ticket.assignments.get(active=True, role="lead").reply_due is not None
    close(w, Ticket.objects.get(pk=ticket.pk), w.dept2_staff)
    assert [(e.ticket_id, e.label) for e in training.confirmed_examples()] == [(ticket.pk, w.gas.code)]


@pytest.mark.parametrize("code,words", [
    ("99.99", "未知的诉求类别“99.99”。"),
    ("01.01", "诉求类别：「街面秩序」下还有细类，请选择其中一项。"),
    ("01.01.01", "诉求类别：工单已归为「占道经营」，无需更正。"),
])
def test_a_category_that_is_not_another_leaf_is_refused_naming_the_field_in_chinese(desk_world, code, words):
    w = desk_world
    ticket = auto_dispatched(w)
    r = post(api(w.dispatcher), f"/api/v1/tickets/{ticket.pk}/arbitrate",
             {"uphold": True, "lead_unit": w.dept2.pk, "category": code})
    assert r.status_code == 400 and r.json()["field"] == "category" and r.json()["message"] == words
    ticket.refresh_from_db()
    assert (ticket.state, ticket.category, ticket.lead_unit) == (State.RETURNED, w.category, w.street)
    assert ticket.returns.get().state == RequestState.PENDING
    assert not TicketEvent.objects.filter(ticket=ticket, kind="arbitrate").exists()


def test_training_counts_an_arbitrators_unit_or_category_and_not_a_machines_dispatch_left_standing(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    upheld, rejected, requeued, recategorized = (new_ticket(w, text=text) for text in (  # unlike: none held as a repeat
        "东华门大街有人占道经营，堵塞人行道", "南池子路口水果摊摆到马路上", "晚上烧烤摊占了半条胡同",
        "菜市场门口三轮车卖菜挡住出口"))
    assert desk.auto_dispatch_new_tickets().dispatched == 4
    for t in (upheld, rejected, requeued, recategorized):
        services.return_ticket(w.street_staff, Ticket.objects.get(pk=t.pk), "不属于街道职责")
    services.arbitrate(w.dispatcher, upheld, True, "", w.dept.pk)                 # a new lead: the label confirmed
    services.arbitrate(w.dispatcher, rejected, False, "属于街道职责")              # the machine's choice stands
    services.arbitrate(w.dispatcher, requeued, True)                              # back to the queue…
    services.dispatch(desk.system_user(), requeued, w.street.pk)                  # …and the machine's again
    services.arbitrate(w.dispatcher, recategorized, False, "单位没错，类别错了", category_code=w.consult.code)
    close(w, Ticket.objects.get(pk=upheld.pk), w.dept_staff)
    for t in (rejected, requeued, recategorized):
        close(w, Ticket.objects.get(pk=t.pk), w.street_staff)
    assert TicketEvent.objects.get(ticket=requeued, kind="arbitrate").payload["new_lead"] is None
    labels = {e.ticket_id: e.label for e in training.confirmed_examples()}
    assert labels == {upheld.pk: w.category.code, recategorized.pk: w.consult.code}


def later_correction(w, user, reason="市民反映的是燃气泄漏，不是占道", code=None):
    return post(api(user), f"/api/v1/tickets/{w.ticket.pk}/category", {"category": code or w.gas.code,
                                                                       "reason": reason})


def test_a_dispatcher_or_supervisor_corrects_a_dispatched_tickets_category_with_a_reason_a_unit_may_not(desk_world):
    w = desk_world
    w.ticket = new_ticket(w)
    desk.dispatch_and_log(w.dispatcher, w.ticket, w.street.pk, [], "", w.category.code)
    street_supervisor = User.objects.create_user("sup-st", password="pw", role=Role.SUPERVISOR, unit=w.street_b)
    for user in (w.street_staff, w.call_taker, w.callback_agent):
        assert later_correction(w, user).status_code == 403
    assert later_correction(w, street_supervisor).status_code == 403  # outside their territory
    for reason in ("", "1234", "好好好好", "……"):
        r = later_correction(w, w.dispatcher, reason)
        assert r.status_code == 400 and r.json()["field"] == "reason"
        assert "更正类别须写明原类别为何有误：请在「更正理由」中填写，至少 4 个字" in r.json()["message"]
    assert later_correction(w, w.dispatcher, code="01").json()["field"] == "category"
    assert not TicketEvent.objects.filter(kind="recategorize").exists()
    r = later_correction(w, w.supervisor)
    assert r.status_code == 200 and r.json()["category"] == w.gas.code and r.json()["state"] == "dispatched"
    event = TicketEvent.objects.get(kind="recategorize")
    assert (event.actor, event.note, event.payload["category_from"], event.payload["category_to"]) == (
        w.supervisor, "市民反映的是燃气泄漏，不是占道", w.category.code, w.gas.code)
    received = dict(DailyRollup.objects.values_list("category_id").annotate(n=Sum("received")))
    assert (received.get(w.gas.pk), received.get(w.category.pk, 0)) == (1, 0)  # the KPI rollups follow the ticket
    row = DispatchSuggestion.objects.get(ticket=w.ticket)  # the dispatch as it was decided: not rewritten
    assert row.category_id == w.category.pk and row.accepted_rank == 1
    close(w, Ticket.objects.get(pk=w.ticket.pk), w.street_staff)
    assert [(e.ticket_id, e.label) for e in training.confirmed_examples()] == [(w.ticket.pk, w.gas.code)]
    r = post(api(w.dispatcher), f"/api/v1/tickets/{w.ticket.pk}/category",
             {"category": w.consult.code, "reason": "回访时核实是政策咨询"})
    assert r.status_code == 200 and r.json()["state"] == "closed"  # a closed ticket's statistics too


def test_the_page_offers_the_correction_and_the_timeline_shows_it(desk_world):
    w = desk_world
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk)
    client = Client()
    client.force_login(w.dispatcher)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'id="act-recategorize"' in page and "现归为「占道经营」" in page
    url = reverse("ticket_act", args=[ticket.pk, "recategorize"])
    client.post(url, {"category": w.gas.code, "reason": "1234"})
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "更正类别须写明原类别为何有误" in page and 'value="1234"' in page
    client.post(url, {"category": w.gas.code, "reason": "市民说的是燃气泄漏"})
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "类别：占道经营 → 燃气泄漏" in page and "市民说的是燃气泄漏" in page
    unit = Client()
    unit.force_login(w.street_staff)
    assert 'id="act-recategorize"' not in unit.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()


def test_the_return_card_says_the_machine_dispatched_it_by_which_rule(desk_world):
    w = desk_world
    machine = auto_dispatched(w)
    person = new_ticket(w)
    services.dispatch(w.dispatcher, person, w.street.pk)
    services.return_ticket(w.street_staff, person, "不属于街道职责")
    client = Client()
    client.force_login(w.dispatcher)
    page = client.get(reverse("arbitration_queue")).content.decode()
    confidence = TicketEvent.objects.get(ticket=machine, kind="dispatch").payload["auto"]["confidence"]
    line = f"系统自动派单（规则 占道经营 ≥ 80%，置信度 {confidence:.0%}）"
    assert page.count(line) == 1
    card = page.split(f'id="r{machine.returns.get().pk}"')[1].split("</article>")[0]
    assert line in card and "更正类别（可选）" in card
