"""Rollups kept by ticket events agree with a rebuild; exclusions; versions; exclusion reviews."""
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiesu.core.errors import Conflict, Forbidden
from jiesu.kpi import rollup, services
from jiesu.kpi.models import DailyRollup, KpiVersion, KpiWeights, MonthlyRollup, TicketFact
from jiesu.tickets import services as ts
from jiesu.tickets.services import IntakeData
from tests.kpi.helpers import handled, snapshot, unit_totals
from tests.tickets.helpers import new_ticket


@pytest.fixture
def busy(world):
    """Tickets in many situations, every change made through the ticket services."""
    w = world
    w.t_ok = handled(w)
    # re-handled: 未解决/不满意 first, then 部分解决/基本满意
    w.t_rehandled = handled(w, resolved="unresolved", satisfied="dissatisfied")
    ts.sign(w.street_staff, w.t_rehandled)
    ts.contact(w.street_staff, w.t_rehandled, "再次联系")
    ts.reply(w.street_staff, w.t_rehandled, "已再次处理", True)
    ts.record_callback(w.callback_agent, w.t_rehandled, True, "partly", "basically")
    w.t_consult = handled(w, category_code=w.consult.code)
    w.t_parent = new_ticket(w)
    ts.dispatch(w.dispatcher, w.t_parent, w.street.pk)
    w.t_child = new_ticket(w)
    ts.merge(w.dispatcher, w.t_child, w.t_parent)
    w.t_special = ts.close_special(w.call_taker, new_ticket(w), "market")
    w.t_returned = new_ticket(w)
    ts.dispatch(w.dispatcher, w.t_returned, w.dept.pk)
    ts.return_ticket(w.dept_staff, w.t_returned, "不属于本单位职责")
    ts.arbitrate(w.dispatcher, w.t_returned, True, "改派", lead_unit_id=w.dept2.pk)
    w.t_patrol, _ = ts.create_ticket(w.grid_worker, IntakeData(
        text="巡查发现井盖缺失", channel="patrol", category_code=w.category.code, street_code=w.street.code))
    ts.dispatch(w.dispatcher, w.t_patrol, w.street.pk)
    w.t_unreasonable = handled(w, resolved="unresolved", satisfied="dissatisfied")
    review = services.request_exclusion(w.street_staff, w.t_unreasonable, "诉求人要求违规审批")
    services.decide_exclusion(w.dispatcher, review, True)
    return w


def test_rebuild_agrees_with_the_rollups_kept_by_events(busy):
    before = snapshot()
    assert before[0] and before[1]
    assert TicketFact.objects.count() == 9  # every ticket has its fact
    rollup.rebuild()
    assert snapshot() == before


def test_rebuild_since_catches_up_bulk_written_tickets(busy):
    before = snapshot()
    DailyRollup.objects.all().delete()
    MonthlyRollup.objects.all().delete()
    TicketFact.objects.all().delete()
    call_command("kpi", "rebuild", "--since", timezone.localdate().isoformat(), stdout=None)
    assert snapshot() == before


def test_street_counts_by_hand(busy):
    w = busy
    street = unit_totals(w.street.pk)
    # counted: t_ok, t_rehandled, t_parent, t_patrol (consult, merged child, unreasonable excluded)
    assert street["received"] == 4
    assert street["found_first"] == 1
    assert street["resp_due"] == 4 and street["resp_on_time"] == 2  # parent and patrol not contacted yet
    assert street["replied"] == 2
    assert (street["cb_resolved"], street["cb_partly"], street["cb_unresolved"]) == (1, 1, 0)
    assert (street["cb_satisfied"], street["cb_basic"], street["cb_dissatisfied"]) == (1, 1, 0)
    assert street["closed"] == 2
    everything = unit_totals(w.street.pk, exclusions=())
    assert everything["received"] == 6  # + consult and unreasonable (the merged child has no lead unit)
    assert everything["cb_unresolved"] == 1


def test_upheld_return_is_counted_against_the_new_lead_not_the_returning_unit(busy):
    w = busy
    assert unit_totals(w.dept.pk)["received"] == 0
    assert unit_totals(w.dept.pk)["returns_upheld"] == 1
    assert unit_totals(w.dept2.pk)["received"] == 1


def test_unit_kpis_apply_the_version_weights(busy):
    w = busy
    month = services.current_month()
    k = services.unit_kpis(w.street, month)
    assert k.version == 1 and k.unit_class == "street"
    assert k.received == 6 and k.assessed == 4
    totals = unit_totals(w.street.pk)
    assert totals["cb_resolved"] + totals["cb_partly"] == k.valid_callbacks == 2  # callbacks are made now
    assert k.resolution_rate == pytest.approx((1 + 0.5) / 2)
    assert k.satisfaction_rate == pytest.approx((1 + 0.8) / 2)
    assert k.governance_depth == pytest.approx(1 / 4)
    assert k.speed_median_hours is not None and k.speed_median_hours < 1


def test_a_confirmed_unreasonable_request_leaves_the_rates_and_a_version_may_count_it(busy):
    w = busy
    month = services.current_month()
    with_exclusion = services.unit_kpis(w.street, month)
    version = KpiVersion.objects.get(number=1)
    version.exclude_unreasonable = False
    version.exclude_consultation = False
    version.save()
    counted = services.unit_kpis(w.street, month)
    assert counted.assessed == with_exclusion.assessed + 2


def test_exclusion_reviews_are_for_the_lead_unit_and_decided_once(busy):
    w = busy
    with pytest.raises(Forbidden):
        services.request_exclusion(w.street_b_staff, w.t_ok, "不是我们的")
    review = services.request_exclusion(w.street_staff, w.t_ok, "重复无理诉求")
    with pytest.raises(Conflict):
        services.request_exclusion(w.street_staff, w.t_ok, "again")
    with pytest.raises(Forbidden):
        services.decide_exclusion(w.street_staff, review, True)
    services.decide_exclusion(w.supervisor, review, False)
    with pytest.raises(Conflict):
        services.decide_exclusion(w.supervisor, review, True)
    assert unit_totals(w.street.pk)["received"] == 4


def test_each_month_uses_the_version_in_force(world):
    this = services.current_month()
    nxt = services.next_month(this)
    v2 = KpiVersion.objects.create(valid_from=nxt, partly_weight=1.0)
    KpiWeights.objects.create(version=v2, unit_class="street", response=1, resolution=0, satisfaction=0, speed=0,
                              governance=0, whistle=0)
    assert services.version_for(this).number == 1
    assert services.version_for(nxt).number == v2.number == 2
    assert services.version_for(nxt + timedelta(days=70)).number == 2
    assert services.version_for(nxt).weights_by_class["street"]["response"] == 1
    assert "1" in services.explanations(services.version_for(nxt))["resolution"]


def test_a_version_in_force_for_past_months_is_frozen(world):
    from django.core.exceptions import ValidationError

    old = KpiVersion.objects.get(number=1)
    old.partly_weight = 0.9
    with pytest.raises(ValidationError):
        old.full_clean()
    new = KpiVersion(valid_from=date(2001, 1, 1), partly_weight=0.9)
    with pytest.raises(ValidationError):
        new.full_clean()
    fresh = KpiVersion(valid_from=services.current_month(), partly_weight=0.9)
    fresh.full_clean()


def test_an_emptied_version_table_gets_the_shipped_defaults(world):
    KpiVersion.objects.all().delete()
    version = services.version_for(services.current_month())
    assert version.number == 1 and version.partly_weight == 0.5
    assert version.weights_by_class["street"]["whistle"] == 0.1


def test_city_overview_and_daily_series(busy):
    from datetime import timedelta as td

    from jiesu.tickets.models import Ticket

    w = busy
    Ticket.objects.filter(pk=w.t_parent.pk).update(reply_due=timezone.now() - td(hours=1))  # overdue now
    overview = services.city_overview()
    assert overview["volume_today"] == 9 == overview["volume_month"]
    assert overview["overdue"] == 1
    (category, n), *_rest = overview["top_categories"]
    assert category == w.category and n == 8  # every ticket but the consultation (volume counts them all)
    today = timezone.localdate()
    series = services.daily_series(today - td(days=2), today, unit_ids=[w.street.pk], exclude=False)
    assert [day for day, _c in series] == [today - td(days=2), today - td(days=1), today]
    assert series[-1][1]["received"] == 6 and series[0][1]["received"] == 0
    assert services.daily_series(today, today, unit_ids=[w.street.pk])[0][1]["received"] == 4


def test_a_new_ticket_is_counted_from_the_object_in_hand_as_a_recompute_would(world):
    ticket = new_ticket(world)
    fact = TicketFact.objects.get(pk=ticket.pk)
    assert fact.parts == rollup.compute_parts([ticket.pk])[ticket.pk]
    assert [counts for *_key, counts in fact.parts] == [{"received": 1}]
