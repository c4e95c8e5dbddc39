"""The dispatcher's desk, services: suggestions, accept, overrides logged, auto-dispatch, accuracy, training data."""
import csv
import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from jiesu.accounts.models import Role, User
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.dispatch import duplicates, jobs, training
from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AutoDispatchRule, DispatchSuggestion
from jiesu.dispatch.tabular import load_labelled
from jiesu.tickets import services
from jiesu.tickets.models import State, Ticket, TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import GAS, GAS_BILL, VAGUE, desk_world  # noqa: F401  (fixture)

# ── suggestions, accept, overrides ──────────────────────────────────────────


def test_top_three_with_confidence_and_explanation(desk_world):
    w = desk_world
    found = desk.suggestions_for(new_ticket(w))
    assert [(s.category.code, s.lead.code) for s in found] == [
        ("01.01.01", w.street.code), ("01.01.02", w.dept2.code), ("01.01.03", w.district.code)]
    assert found[0].confidence == pytest.approx(0.9 * found[0].routing_confidence, abs=1e-3)
    assert "东华门街道" in found[0].explanation and "派单目录 #" in found[0].explanation
    assert found.classifier == "stub-1" and desk.engine_is_warm()


def test_the_engine_reads_title_and_text_once():
    assert desk.ticket_text("路灯不亮", "路灯不亮，晚上很黑") == "路灯不亮，晚上很黑"
    assert desk.ticket_text("路灯", "晚上很黑") == "路灯\n晚上很黑"
    assert desk.ticket_text("", "晚上很黑") == "晚上很黑" and desk.ticket_text("路灯", "") == "路灯"


def test_accept_dispatches_the_suggestion_and_logs_it(desk_world):
    w = desk_world
    ticket = new_ticket(w, text=GAS, category_code="")
    with pytest.raises(DomainError) as refused:  # a gas leak: one key does not dispatch it (the line comes first)
        desk.accept(w.dispatcher, ticket, 1, "按建议派单")
    assert refused.value.field == "confirm" and "燃气泄漏：请立即转 119" in refused.value.message
    assert Ticket.objects.get(pk=ticket.pk).state == State.NEW and not DispatchSuggestion.objects.exists()
    ticket, row = desk.accept(w.dispatcher, ticket, 1, "按建议派单", confirm=True)
    assert ticket.state == State.DISPATCHED and ticket.category == w.gas and ticket.lead_unit == w.dept2
    assert set(ticket.assignments.filter(active=True, role="co").values_list("unit_id", flat=True)) == {w.street.pk}
    assert (row.accepted_rank, row.category_rank, row.unit_rank, row.co_matched) == (1, 1, 1, True)
    assert row.by == w.dispatcher and row.source == "api" and row.model_version == "stub-1"
    assert row.confidence == pytest.approx(0.92) and [s["rank"] for s in row.suggested] == [1, 2, 3]
    assert row.suggested[0]["explanation"].startswith("分类「燃气泄漏」")
    event = TicketEvent.objects.get(ticket=ticket, kind="dispatch")
    assert event.actor == w.dispatcher and event.note == "按建议派单"


def test_an_override_is_logged_as_a_training_signal(desk_world):
    w = desk_world
    ticket, row = desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.dept.pk, [], "不是街道的事", w.category.code)
    assert ticket.lead_unit == w.dept and row.overridden
    assert (row.accepted_rank, row.category_rank, row.unit_rank) == (None, 1, None)
    ticket, row = desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.dept2.pk, [w.street.pk], "", w.gas.code)
    assert (row.accepted_rank, row.category_rank, row.unit_rank, row.co_matched) == (2, 2, 2, True)


def test_accept_refuses_what_it_cannot_do_and_changes_nothing(desk_world):
    w = desk_world
    ticket = new_ticket(w)
    for rank in (0, 4, "x", None):
        with pytest.raises(DomainError) as exc:
            desk.accept(w.dispatcher, ticket, rank)
        assert exc.value.field == "rank"
    with pytest.raises(Conflict):  # the page showed another list: dispatch nothing it did not show
        desk.accept(w.dispatcher, ticket, 1, expect_category=w.gas.code)
    with pytest.raises(Conflict):
        desk.accept(w.dispatcher, ticket, 1, expect_lead=str(w.dept.pk))
    with pytest.raises(Forbidden):  # only dispatchers dispatch
        desk.accept(w.call_taker, ticket, 1)
    nowhere = new_ticket(w, text="有人占道经营", street_code="")  # no place: the hotline centre, by hand
    with pytest.raises(DomainError) as exc, translation.override("zh-hans"):
        desk.accept(w.dispatcher, nowhere, 1)
    assert exc.value.field == "rank" and "请手工选择单位" in exc.value.message
    ticket.refresh_from_db()
    nowhere.refresh_from_db()
    assert ticket.state == nowhere.state == State.NEW and not DispatchSuggestion.objects.exists()
    desk.accept(w.dispatcher, ticket, "1", expect_category=w.category.code, expect_lead=str(w.street.pk))
    with pytest.raises(Conflict):  # dispatched already
        desk.accept(w.dispatcher, ticket, 1)
    assert DispatchSuggestion.objects.count() == 1


def test_without_an_engine_dispatch_still_works(desk_world, monkeypatch):
    w = desk_world

    def broken(*args, **kwargs):
        raise OSError("model file damaged")

    monkeypatch.setattr(desk.engine, "suggest", broken)
    ticket, row = desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.street.pk)
    assert ticket.state == State.DISPATCHED and row.suggested == [] and row.confidence is None


# ── auto-dispatch ───────────────────────────────────────────────────────────

def test_auto_dispatch_is_off_by_default(desk_world):
    ticket = new_ticket(desk_world)
    AutoDispatchRule.objects.create(category=desk_world.category, threshold=0.1)  # made, not enabled
    report = jobs.auto_dispatch_once()
    assert report.checked == 0 and report.dispatched == 0
    ticket.refresh_from_db()
    assert ticket.state == State.NEW and not User.objects.filter(username="system").exists()


def test_auto_dispatch_per_category_threshold_as_the_system_user(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)  # 城市管理
    AutoDispatchRule.objects.create(category=w.consult, threshold=0.1, enabled=False)  # a leaf kept out
    stall = new_ticket(w)                                          # 0.9 × 0.99 ≥ 0.8
    gas = new_ticket(w, text=GAS_BILL, category_code="")           # 0.92 × 1.0
    vague = new_ticket(w, text=VAGUE)                              # 0.4: below
    # other and returned in the other street: in the same one they would say what gas and stall say, and hold them
    # (test_autodispatch_near_duplicates)
    other = new_ticket(w, text=GAS_BILL, street_code=w.street_b.code)  # the call-taker chose 占道经营: a person decides
    leak = new_ticket(w, text=GAS, category_code="")               # 0.92, but an emergency: a person transfers it
    new_ticket(w, title="3号楼着火了，有人被困", text="东华门大街有人占道经营")  # the emergency in the title alone
    again = new_ticket(w)                                          # the call-taker proposed merging it into stall
    duplicates.after_intake(w.call_taker, again, merge_into=stall.pk)
    returned = new_ticket(w, street_code=w.street_b.code)
    services.dispatch(w.dispatcher, returned, w.dept.pk)
    services.return_ticket(w.dept_staff, returned, "不属于本单位职责")
    services.arbitrate(w.dispatcher, returned, True)               # back in the queue: a person decides
    assert Ticket.objects.get(pk=returned.pk).state == State.NEW
    report = desk.auto_dispatch_new_tickets()
    assert report.as_dict() == {"checked": 7, "dispatched": 2, "no_rule": 0, "below_threshold": 1,
                                "category_differs": 1, "no_unit": 0, "emergency": 2, "report": 0, "confidential": 0,
                                "accuses_unit": 0, "duplicate": 1, "near_duplicate": 0, "refused": 0,
                                "cold_start": False, "tickets": [stall.pk, gas.pk]}
    system = User.objects.get(username="system")
    assert system.role == Role.DISPATCHER and system.unit == w.hc and not system.has_usable_password()
    assert system.display_name == "系统"
    for t, lead in ((stall, w.street), (gas, w.dept2)):
        t.refresh_from_db()
        assert t.state == State.DISPATCHED and t.lead_unit == lead
        event = t.events.get(kind="dispatch")
        assert event.actor == system and event.note.startswith("系统自动派单") and "阈值 80%" in event.note
        row = t.dispatch_suggestions.get()
        assert row.source == "auto" and row.accepted_rank == 1 and row.by == system
    for t in (vague, other, returned, leak, again):
        t.refresh_from_db()
        assert t.state == State.NEW
    assert desk.auto_dispatch_new_tickets().dispatched == 0  # nothing twice
    figures = desk.accuracy_report().total  # auto-dispatches are no decision: counted apart, not as top-1
    assert (figures["n"], figures["auto"], figures["decided"], figures["top1"], figures["top1_share"]) == (
        2, 2, 0, 0, None)
    desk.accept(w.dispatcher, vague, 2)
    figures = desk.accuracy_report().total
    assert (figures["n"], figures["decided"], figures["top1_share"], figures["top3_share"], figures["override"]) == (
        3, 1, 0.0, 1.0, 0)


def test_auto_dispatch_waits_for_a_trained_model(desk_world, monkeypatch):
    """The cold start's percentages only rank (1–10 % for the right category): nothing is dispatched on them."""
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.5, enabled=True)
    stall = new_ticket(w)
    monkeypatch.setattr(desk.engine, "is_cold_start", lambda clf: True)
    report = desk.auto_dispatch_new_tickets()
    assert report.cold_start and report.checked == 0 and report.dispatched == 0
    stall.refresh_from_db()
    assert stall.state == State.NEW


def test_a_threshold_below_one_half_is_refused_and_an_old_one_counts_as_one_half(desk_world, admin_client):
    w = desk_world
    page = admin_client.post("/admin/dispatch/autodispatchrule/add/",
                             {"category": w.category.parent.parent.pk, "threshold": "30", "enabled": "on"})
    assert "请以 50 到 100 之间的百分比输入阈值，例如 80 表示 80%" in page.content.decode()  # typed as a percentage
    assert not AutoDispatchRule.objects.exists()
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.0, enabled=True)  # saved before
    vague = new_ticket(w, text=VAGUE)                              # 0.4: below one half
    report = desk.auto_dispatch_new_tickets()
    assert report.below_threshold == 1 and report.dispatched == 0
    vague.refresh_from_db()
    assert vague.state == State.NEW


def test_auto_dispatch_command_and_leaf_rule(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent, threshold=0.5, enabled=True)
    AutoDispatchRule.objects.create(category=w.category, threshold=0.5, enabled=False)  # most specific wins
    gas = new_ticket(w, text=GAS_BILL, category_code="")
    stall = new_ticket(w)
    out = StringIO()
    call_command("autodispatch", "--once", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["dispatched"] == 1 and figures["no_rule"] == 1 and figures["tickets"] == [gas.pk]
    stall.refresh_from_db()
    assert stall.state == State.NEW


# ── accuracy ────────────────────────────────────────────────────────────────

def _at(row, when):
    DispatchSuggestion.objects.filter(pk=row.pk).update(at=when)


def test_accuracy_by_week_and_category_and_the_returns(desk_world):
    w = desk_world
    now = timezone.now()
    last_week = now - timedelta(days=7)
    _t, top1 = desk.accept(w.dispatcher, new_ticket(w), 1)
    _t, second = desk.dispatch_and_log(w.dispatcher, new_ticket(w, text=GAS), w.dept2.pk, [w.street.pk], "",
                                       w.gas.code)  # a gas text: 燃气泄漏 → 市市场监督管理局 is #1
    wrong_ticket, wrong = desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.dept.pk, [], "", w.category.code)
    services.return_ticket(w.dept_staff, wrong_ticket, "不属于本单位职责")
    services.arbitrate(w.dispatcher, wrong_ticket, True, "改派属地街道", w.street.pk)
    _at(wrong, last_week)
    report = desk.accuracy_report(weeks=4)
    assert report.total["n"] == 3 and report.total["top1"] == 2 and report.total["override"] == 1
    assert report.total["top1_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert [(r["n"], r["top1"], r["override"]) for r in report.weeks] == [(2, 2, 0), (1, 0, 1)]
    assert report.weeks[0]["week"] == desk.iso_week(timezone.localtime(now).date())
    by_code = {r["category"].code: r for r in report.categories}
    assert by_code["01.01.01"]["n"] == 2 and by_code["01.01.01"]["top1_share"] == 0.5
    assert by_code["01.01.02"]["top1_share"] == 1.0 and by_code["01.01.01"]["path"].endswith("占道经营")
    assert [(g["group"].code, g["n"]) for g in report.groups] == [("01", 3)]
    returns = {r["group"]: r for r in report.returns}
    assert (returns["top"]["n"], returns["top"]["returned"]) == (2, 0)
    assert (returns["differed"]["n"], returns["differed"]["returned"], returns["differed"]["share"]) == (1, 1, 1.0)
    assert returns["followed"]["n"] == 2 and returns["followed"]["share"] == 0.0
    assert desk.accuracy_report(weeks=1).total["n"] == 2  # this week only
    assert top1.accepted_rank == second.accepted_rank == 1


def test_accuracy_by_model_version_newest_first(desk_world):
    """A retrained model's figures at the desk beside the model it replaced."""
    w = desk_world
    now = timezone.now()
    _t, old_right = desk.accept(w.dispatcher, new_ticket(w), 1)
    _t, old_wrong = desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.dept.pk, [], "", w.category.code)
    _t, new_right = desk.accept(w.dispatcher, new_ticket(w), 1, confirm=True)  # it says what old_right says
    DispatchSuggestion.objects.filter(pk__in=[old_right.pk, old_wrong.pk]).update(
        model_version="desk-1", at=now - timedelta(days=9))
    DispatchSuggestion.objects.filter(pk=new_right.pk).update(model_version="desk-2", at=now - timedelta(days=1))
    models = desk.accuracy_report(weeks=4).models
    assert [(m["model_version"], m["n"], m["top1"], m["override"]) for m in models] == [
        ("desk-2", 1, 1, 0), ("desk-1", 2, 1, 1)]
    assert models[1]["top1_share"] == 0.5 and models[1]["first"] < models[0]["first"]


def test_the_threshold_guide_says_what_a_rule_would_have_done(desk_world):
    """By the category suggested first: covered = top confidence ≥ t, right = sent as suggestion #1."""
    w = desk_world
    _t, right_high = desk.accept(w.dispatcher, new_ticket(w), 1)
    _t, right_low = desk.accept(w.dispatcher, new_ticket(w), 1, confirm=True)  # the same words as right_high's
    _t, overridden = desk.dispatch_and_log(w.dispatcher, new_ticket(w), w.dept.pk, [], "", w.category.code)
    _t, auto = desk.accept(w.dispatcher, new_ticket(w), 1, confirm=True)
    top = right_high.suggested[0]["category"]
    for row, confidence in ((right_high, 0.95), (right_low, 0.65), (overridden, 0.85), (auto, 0.99)):
        DispatchSuggestion.objects.filter(pk=row.pk).update(confidence=confidence)
    DispatchSuggestion.objects.filter(pk=auto.pk).update(source="auto")  # left out: it confirms itself
    assert overridden.suggested[0]["category"] == top and overridden.accepted_rank is None
    guide = desk.threshold_guide(desk.logged(), thresholds=(0.6, 0.8, 0.9))
    assert guide["thresholds"] == [0.6, 0.8, 0.9]
    (row,) = guide["categories"]
    assert (row["code"], row["name"], row["n"]) == (top["code"], top["name"], 3)
    assert [(c["covered"], c["right"]) for c in row["cells"]] == [(3, 2), (2, 1), (1, 1)]
    assert [c["coverage"] for c in row["cells"]] == [1.0, 0.6667, 0.3333]
    assert [c["precision"] for c in row["cells"]] == [0.6667, 0.5, 1.0]
    assert guide["total"]["n"] == 3 and guide["total"]["cells"] == row["cells"]
    assert desk.accuracy_report(weeks=4).thresholds["total"]["n"] == 3


def test_accuracy_keeps_to_the_users_territory(desk_world):
    w = desk_world
    desk.accept(w.dispatcher, new_ticket(w), 1)
    elsewhere = User.objects.create_user("sup-xc", password="pw", role=Role.SUPERVISOR, unit=w.district_b)
    home = User.objects.create_user("sup-dc", password="pw", role=Role.SUPERVISOR, unit=w.district)
    assert desk.accuracy_report(user=elsewhere).total["n"] == 0
    assert desk.accuracy_report(user=home).total["n"] == 1
    assert desk.accuracy_report(user=w.supervisor).total["n"] == 1


# ── training data from closed tickets ───────────────────────────────────────

def _close(w, ticket):
    services.sign(w.street_staff, ticket)
    services.contact(w.street_staff, ticket, "已联系")
    services.reply(w.street_staff, ticket, "已处理", True)
    services.record_callback(w.callback_agent, ticket, True, "resolved", "satisfied")


def test_training_examples_are_dispatcher_confirmed_closed_tickets(desk_world, tmp_path):
    w = desk_world
    confirmed = new_ticket(w, title="东华门大街占道", text="有人占道经营，堵塞人行道", category_code=w.gas.code)
    desk.dispatch_and_log(w.dispatcher, confirmed, w.street.pk, [], "", w.category.code)  # the dispatcher corrects
    _close(w, confirmed)
    special = new_ticket(w)
    services.close_special(w.call_taker, special, "market")
    still_open = new_ticket(w)
    services.dispatch(w.dispatcher, still_open, w.street.pk)
    auto_only = new_ticket(w)
    services.dispatch(desk.system_user(), auto_only, w.street.pk)
    _close(w, auto_only)
    examples = training.confirmed_examples()
    assert [(e.ticket_id, e.label) for e in examples] == [(confirmed.pk, w.category.code)]
    assert examples[0].joined == "东华门大街占道\n有人占道经营，堵塞人行道"
    assert training.pairs(examples) == [(examples[0].joined, w.category.code)]
    path = tmp_path / "train.csv"
    out = StringIO()
    call_command("dispatch_training", str(path), stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"path": str(path), "rows": 1, "categories": 1}
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    assert rows == [{"title": "东华门大街占道", "text": "有人占道经营，堵塞人行道", "category": w.category.code}]
    loaded = load_labelled(path, ["title", "text"], "category")
    assert loaded.texts == [examples[0].joined] and loaded.labels == [w.category.code]
    assert training.confirmed_examples(since=timezone.now() + timedelta(days=1)) == []


@pytest.mark.django_db
def test_a_districts_or_streets_figures_count_the_place_logged_and_the_tickets_assigned_to_it(desk_world):
    """The accuracy page's territory (services.logged) reads the district and street stored on each logged
    dispatch, no join to the tickets, and keeps exactly the rows of the tickets the user may see."""
    import importlib

    from django.apps import apps

    from jiesu.core import scoping

    w = desk_world
    here = new_ticket(w)
    desk.dispatch_and_log(w.dispatcher, here, w.street.pk, [], "", w.category.code)
    there = new_ticket(w, street_code=w.street_b.code)  # in the other district, with a co unit of this one
    desk.dispatch_and_log(w.dispatcher, there, w.street_b.pk, [w.street.pk], "", w.category.code)
    row = DispatchSuggestion.objects.get(ticket=here)
    assert (row.district_id, row.street_id) == (w.district.pk, w.street.pk)
    people = [User.objects.create_user(name, password="pw", role=Role.SUPERVISOR, unit=unit) for name, unit in
              (("sup-dc", w.district), ("sup-xc", w.district_b), ("sup-st", w.street), ("sup-stb", w.street_b),
               ("sup-dept", w.dept))]
    counted = {}
    for user in people:
        rows = set(desk.logged(user=user).values_list("ticket_id", flat=True))
        assert rows == set(desk.logged().filter(ticket__in=scoping.visible_tickets(user)).values_list(
            "ticket_id", flat=True)), user.username
        counted[user.username] = rows
    assert counted == {"sup-dc": {here.pk}, "sup-xc": {there.pk}, "sup-st": {here.pk, there.pk},
                       "sup-stb": {there.pk}, "sup-dept": set()}
    DispatchSuggestion.objects.update(district=None, street=None)  # rows logged before the columns
    migration = importlib.import_module("jiesu.dispatch.migrations.0006_suggestion_places")
    migration.places_of_logged_dispatches(apps, None)
    assert set(DispatchSuggestion.objects.values_list("ticket_id", "district_id", "street_id")) == {
        (here.pk, w.district.pk, w.street.pk), (there.pk, w.district_b.pk, w.street_b.pk)}


def test_a_ticket_awaiting_a_merge_decision_is_not_dispatched_by_one_key(desk_world):
    """As auto-dispatch leaves it alone: the call-taker proposed it as a duplicate of an open ticket."""
    w = desk_world
    earlier, later = new_ticket(w), new_ticket(w, text="东华门大街又有人占道经营，还是没人管")
    duplicates.propose_merge(w.call_taker, later, earlier.pk)
    assert desk.accept_warning(earlier) is None
    with pytest.raises(DomainError) as refused:
        desk.accept(w.dispatcher, later, 1)
    assert refused.value.field == "confirm" and f"受理时建议合并到工单 {earlier.number}，尚未决定。" in refused.value.message
    ticket, row = desk.accept(w.dispatcher, later, 1, confirm=True)
    assert ticket.state == State.DISPATCHED and row.accepted_rank == 1
