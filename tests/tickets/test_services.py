"""Deadlines across holidays, scoping, masking, merge, re-handling, callbacks, the deadline worker."""
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from jiesu.core import scoping
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.tickets import jobs, services
from jiesu.tickets.models import Notice, Ticket
from jiesu.tickets.services import IntakeData
from jiesu.workcal.models import CalendarDay
from jiesu.workcal.services import calendar_changed, current_calendar
from tests.tickets.conftest import at
from tests.tickets.helpers import new_ticket, replied_ticket, reply_to


@pytest.fixture
def national_day_2025(world):
    for d in range(1, 9):
        CalendarDay.objects.create(date=at(2025, 10, d).date(), kind="holiday", name="国庆节")
    for day in ((2025, 9, 28), (2025, 10, 11)):
        CalendarDay.objects.create(date=at(*day).date(), kind="workday", name="国庆节")
    calendar_changed()
    return world


def test_dispatch_and_reply_deadlines_skip_the_national_day_week(national_day_2025):
    w = national_day_2025
    ticket, _ = services.create_ticket(w.call_taker, IntakeData(
        text="小区电梯坏了", category_code=w.category.code, street_code=w.street.code),
        at=at(2025, 9, 30, 16, 0))
    # one working day from Tue 30 Sep 16:00 → Thu 9 Oct 16:00 (1–8 Oct off)
    assert timezone.localtime(ticket.dispatch_due) == at(2025, 10, 9, 16, 0)
    assigned = services.due(at(2025, 9, 30, 16, 0), w.general, "reply")
    # 7 working days: 9, 10, 11 (Sat make-up), 13, 14, 15, 16 Oct → Thu 16 Oct 16:00
    assert assigned == at(2025, 10, 16, 16, 0)


def test_urgent_classes_run_on_the_clock(national_day_2025):
    w = national_day_2025
    ticket, _ = services.create_ticket(w.call_taker, IntakeData(
        text="楼道里有很浓的燃气味", category_code=w.gas.code, street_code=w.street.code),
        at=at(2025, 10, 1, 23, 30))
    assert timezone.localtime(ticket.dispatch_due) == at(2025, 10, 2, 0, 30)
    assert services.due(at(2025, 10, 1, 23, 30), w.gas.time_limit_class, "reply") == at(2025, 10, 2, 1, 30)


def test_dispatch_to_street_copies_district_and_sets_assignment_deadlines(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk, [world.dept.pk])
    roles = {a.unit.code: a.role for a in t.assignments.filter(active=True)}
    assert roles == {"110101001": "lead", "CD-RSJ": "co", "110101": "copy"}
    lead = t.assignments.get(role="lead")
    assert lead.sign_due < lead.reply_due and t.reply_due == lead.reply_due


def test_a_note_too_long_is_refused_by_name_and_nothing_is_written(world):
    t = new_ticket(world)
    events = t.events.count()
    with pytest.raises(DomainError) as refused:
        services.dispatch(world.dispatcher, t, world.street.pk, note="x" * 1001)
    assert refused.value.field == "note" and "1000" in refused.value.message
    t.refresh_from_db()
    assert t.state == "new" and t.assignments.count() == 0 and t.events.count() == events
    with pytest.raises(DomainError):
        services.close_special(world.call_taker, t, "emergency", "y" * 1001)
    with pytest.raises(DomainError) as refused:
        services.remind(world.dispatcher, t, "催" * 9000)  # 催办 too (an audit stored 9,000 characters)
    assert refused.value.field == "text"
    services.dispatch(world.dispatcher, t, world.street.pk, note="  " + "z" * 1000 + "  ")
    assert t.events.latest("id").note == "z" * 1000  # stripped, then counted


def test_scoping_by_territory_and_assignment(world):
    t = new_ticket(world)
    assert not scoping.can_view(world.street_staff, t)       # in its territory, but not dispatched yet: the hotline's
    assert not scoping.can_view(world.district_staff, t)
    assert scoping.can_view(world.grid_worker, t) is False   # no grid on this ticket
    assert not scoping.can_view(world.street_b_staff, t)
    assert not scoping.can_view(world.dept_staff, t)         # departments see only what is assigned
    assert not scoping.can_view(world.citizen, t)
    services.dispatch(world.dispatcher, t, world.dept.pk)
    assert scoping.can_view(world.street_staff, t) and scoping.can_view(world.district_staff, t)  # its territory
    assert scoping.can_view(world.dept_staff, t)
    assert not scoping.can_view(world.dept2_staff, t)
    assert set(scoping.visible_tickets(world.street_b_staff)) == set()


def test_citizen_sees_own_tickets_only(world):
    mine, _ = services.create_ticket(world.citizen, IntakeData(text="路灯坏了", channel="web",
                                                               street_code=world.street.code))
    other = new_ticket(world)
    assert list(scoping.visible_tickets(world.citizen)) == [mine]
    assert not scoping.can_view(world.citizen, other)


def test_masking_rules(world):
    assert scoping.mask_phone("13812345678") == "138****5678"
    assert scoping.mask_phone("01065123456,8021") == "010****3456 转 ****"  # the extension apart, as a phone reads
    assert scoping.mask_name("欧阳娜娜") == "欧***"
    t = new_ticket(world, confidential=True)
    services.dispatch(world.dispatcher, t, world.street.pk)
    with pytest.raises(Forbidden):
        services.reveal_contact(world.street_staff, t)      # confidential: only the hotline
    assert services.reveal_contact(world.callback_agent, t)["phone"] == "13812345678"
    assert t.events.filter(kind="contact_revealed").count() == 1


def test_anonymous_ticket_keeps_no_personal_data(world):
    t = new_ticket(world, anonymous=True)
    assert t.citizen_name == "" and t.citizen_phone == ""


def test_merged_duplicates_get_the_parents_reply_and_their_own_callback(world):
    parent, child = new_ticket(world), new_ticket(world, citizen_phone="13700000000")
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent, "已清理")
    child.refresh_from_db()
    assert child.state == "replied" and child.reply_text == "已清理"
    services.record_callback(world.callback_agent, child, True, "resolved", "satisfied")
    child.refresh_from_db()
    assert child.state == "closed"


def test_a_ticket_merged_with_its_duplicates_takes_them_along_so_every_citizen_gets_the_reply(world):
    older, middle, newer = new_ticket(world), new_ticket(world), new_ticket(world, citizen_phone="13700000000")
    services.merge(world.dispatcher, newer, middle)
    services.merge(world.dispatcher, middle, older)
    newer.refresh_from_db()
    assert newer.parent_id == older.pk and newer.state == "merged"
    assert set(older.merged_children.values_list("pk", flat=True)) == {middle.pk, newer.pk}
    moved = newer.events.filter(kind="merge").order_by("id").last()
    assert moved.payload["parent"] == older.pk and moved.payload["moved_from"] == middle.pk
    assert older.events.filter(kind="merged_in", payload__child=newer.pk, payload__via=middle.pk).exists()
    reply_to(world, older, "已清理")
    for dup in (middle, newer):
        dup.refresh_from_db()
        assert dup.state == "replied" and dup.reply_text == "已清理"


def test_dissatisfied_callback_rehandles_until_the_limit(world, settings):
    settings.JIESU = {**settings.JIESU, "MAX_REHANDLE_ROUNDS": 1}
    t = replied_ticket(world)
    services.record_callback(world.callback_agent, t, True, "unresolved", "dissatisfied", "摊点又回来了")
    assert t.state == "dispatched" and t.rehandle_round == 1
    lead = t.assignments.get(active=True, role="lead")
    assert lead.round == 1 and lead.state == "pending" and lead.reply_due > timezone.now()
    reply_to(world, t, "再次清理并安排巡查", dispatch=False)
    services.record_callback(world.callback_agent, t, True, "partly", "dissatisfied")
    assert t.state == "closed" and t.close_reason == "rehandle_limit"


def test_unreachable_citizen_closes_after_the_last_attempt(world):
    t = replied_ticket(world)
    for attempt in range(1, 3):
        services.record_callback(world.callback_agent, t, False, note=f"第{attempt}次无人接听")
        assert t.state == "replied"
    services.record_callback(world.callback_agent, t, False)
    assert t.state == "closed" and t.close_reason == "unreachable" and t.callbacks.count() == 3


def test_callback_needs_both_answers(world):
    t = replied_ticket(world)
    with pytest.raises(DomainError) as err:
        services.record_callback(world.callback_agent, t, True, "resolved", "")
    assert err.value.field == "satisfied"
    t.refresh_from_db()
    assert t.state == "replied" and t.callbacks.count() == 0


def test_a_bad_unit_is_refused_naming_lead_or_co_unit(world):
    t = new_ticket(world)
    with translation.override("zh-hans"), pytest.raises(DomainError) as lead:
        services.dispatch(world.dispatcher, t, 9_999_999)
    with translation.override("zh-hans"), pytest.raises(DomainError) as co:
        services.dispatch(world.dispatcher, t, world.street.pk, co_unit_ids=[9_999_999])
    assert (lead.value.field, co.value.field) == ("lead_unit", "co_units")
    assert lead.value.message == "请选择承办单位。" and "协办单位" in co.value.message
    t.refresh_from_db()
    assert t.state == "new" and not t.assignments.exists()


def test_return_arbitration_upheld_redispatches_and_counts(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.return_ticket(world.street_staff, t, "欠薪属于人社部门职责", world.dept.pk)
    assert t.state == "returned" and t.return_count == 1
    services.arbitrate(world.dispatcher, t, True, "改派人社局", lead_unit_id=world.dept.pk)
    assert t.state == "dispatched" and t.lead_unit == world.dept
    assert not scoping.can_view(world.street_b_staff, t)
    assert t.returns.get().state == "approved"


def test_return_rejected_goes_back_to_the_unit(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.sign(world.street_staff, t)
    services.return_ticket(world.street_staff, t, "不归我们管")
    services.arbitrate(world.dispatcher, t, False, "属地职责，驳回")
    assert t.state == "signed" and t.lead_unit == world.street


def test_extension_moves_the_deadline(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.sign(world.street_staff, t)
    before = t.reply_due
    services.request_extension(world.street_staff, t, 5, "需协调产权单位")
    with pytest.raises(DomainError):
        services.request_extension(world.street_staff, t, 2, "再申请")
    services.decide_extension(world.dispatcher, t, True, "同意")
    assert t.reply_due > before
    assert t.extensions.get().new_due == t.reply_due


def test_supervision_notifies_the_lead_unit(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    services.supervise(world.supervisor, t, "请于今日内反馈")
    assert t.supervised
    assert Notice.objects.get(ticket=t).kind == "supervise"


def test_deadline_worker_marks_approaching_then_overdue_once(world):
    t = new_ticket(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    start, due_at = t.dispatched_at, t.reply_due
    calendar = current_calendar()  # the reply limit is in working days: 80 % of its working time (docs/calendar.md)

    def used(share):
        return calendar.add_working_seconds(start, share * calendar.working_seconds_between(start, due_at))

    assert jobs.scan_once(now=start + timedelta(minutes=1)) == 0
    assert jobs.scan_once(now=used(0.85)) == 1
    t.refresh_from_db()
    assert t.warning_level == 1
    assert jobs.scan_once(now=used(0.9)) == 0
    assert jobs.scan_once(now=due_at + timedelta(minutes=1)) == 1
    t.refresh_from_db()
    assert t.warning_level == 2 and t.next_check_at is None
    assert list(t.events.filter(kind__in=["approaching", "overdue"]).values_list("kind", flat=True)) == \
        ["approaching", "overdue"]
    assert Notice.objects.filter(ticket=t, unit=world.street).count() == 2
    assert jobs.scan_once(now=due_at + timedelta(days=3)) == 0


def test_worker_pure_levels():
    start = timezone.now()
    due_at = start + timedelta(hours=10)
    assert jobs.warning_level(start + timedelta(hours=7), start, due_at, 0.8) == 0
    assert jobs.warning_level(start + timedelta(hours=8), start, due_at, 0.8) == 1
    assert jobs.warning_level(due_at, start, due_at, 0.8) == 2


def test_reopen_returns_to_the_dispatch_queue(world):
    t = replied_ticket(world)
    services.record_callback(world.callback_agent, t, True, "resolved", "satisfied")
    services.reopen(world.supervisor, t, "问题复发")
    assert t.state == "new" and t.lead_unit is None and t.dispatch_due is not None


def test_special_class_close_never_dispatches(world):
    t = new_ticket(world)
    services.close_special(world.call_taker, t, "emergency", "已转110")
    assert t.state == "closed" and t.special_class == "emergency"
    assert t.assignments.count() == 0
    with pytest.raises(DomainError):
        services.close_special(world.call_taker, new_ticket(world), "whatever")


def test_roles_that_may_not_record(world):
    with pytest.raises(Forbidden):
        services.create_ticket(world.street_staff, IntakeData(text="x"))
    assert Ticket.objects.count() == 0


def test_unhappy_merged_duplicate_is_split_off_and_requeued(world):
    parent, child = new_ticket(world), new_ticket(world, citizen_phone="13700000000")
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent, "已清理")
    child.refresh_from_db()
    services.record_callback(world.callback_agent, child, True, "unresolved", "dissatisfied")
    assert child.state == "new" and child.parent is None and child.dispatch_due is not None


def test_a_duplicate_dispatched_before_its_merge_is_split_off_too_and_both_histories_say_so(world):
    """Merged after it was dispatched, a dissatisfied child leaves its parent and waits for a dispatch of its
    own (it used to be re-handled by its old unit while still merged under a closed parent)."""
    parent, child = new_ticket(world), new_ticket(world, citizen_phone="13700000000")
    services.dispatch(world.dispatcher, parent, world.street.pk)
    services.dispatch(world.dispatcher, child, world.street.pk)
    services.merge(world.dispatcher, child, parent)
    child.refresh_from_db()
    assert child.lead_unit is None and child.reply_due is None and not child.assignments.filter(active=True)
    reply_to(world, parent, "已清理", dispatch=False)
    child.refresh_from_db()
    services.record_callback(world.callback_agent, child, True, "unresolved", "dissatisfied")
    child.refresh_from_db()
    assert child.state == "new" and child.parent is None and child.lead_unit is None
    assert child.events.latest("id").payload["outcome"] == "split_off"
    assert parent.events.filter(kind="split_off", payload__child=child.pk).exists()


def test_a_ticket_a_unit_handles_is_not_merged_into_a_fresh_one(world):
    handled, fresh = new_ticket(world), new_ticket(world, citizen_phone="13700000000")
    services.dispatch(world.dispatcher, handled, world.street.pk)
    with pytest.raises(Conflict) as refused:
        services.merge(world.dispatcher, handled, fresh)
    assert fresh.number in refused.value.message and handled.number in refused.value.message
    handled.refresh_from_db()
    assert handled.state == "dispatched" and handled.assignments.filter(active=True).exists()
    assert services.merge_parent(handled, fresh) == handled and services.merge_parent(fresh, handled) == handled
    older = new_ticket(world, citizen_phone="13600000000")
    assert services.merge_parent(fresh, older) == fresh  # neither handled: the one recorded first


def test_a_second_reply_of_the_parent_leaves_closed_duplicates_alone(world):
    parent, child = new_ticket(world), new_ticket(world, citizen_phone="13700000000")
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent, "已清理")
    child.refresh_from_db()
    services.record_callback(world.callback_agent, child, True, "resolved", "satisfied")
    services.record_callback(world.callback_agent, parent, True, "unresolved", "dissatisfied")
    reply_to(world, parent, "二次处理", dispatch=False)
    child.refresh_from_db()
    assert child.state == "closed" and child.reply_text == "已清理"


def test_address_alone_places_the_ticket_through_the_gazetteer(world):
    ticket, _ = services.create_ticket(world.call_taker, IntakeData(
        text="路灯不亮", address="东城区东华门街道某小区3号楼"))
    assert ticket.street == world.street and ticket.district == world.district


def test_the_same_callers_merged_repeat_is_called_back_once_with_its_parent(world):
    """An audit saw one citizen twice in the callback queue: their repeat, merged into their own earlier ticket."""
    from jiesu.tickets import queries

    parent = new_ticket(world, citizen_phone="13812345678")
    repeat = new_ticket(world, citizen_phone="13812345678")
    other = new_ticket(world, citizen_phone="13900002222")
    for child in (repeat, other):
        services.merge(world.dispatcher, child, parent)
    reply_to(world, parent, "已清理")
    queue = [t.pk for t in queries.callback_queue()]
    assert parent.pk in queue and other.pk in queue and repeat.pk not in queue  # one person, one call
    services.record_callback(world.callback_agent, parent, True, "unresolved", "dissatisfied")
    repeat.refresh_from_db()
    assert repeat.state == "merged" and repeat.events.latest("id").payload["outcome"] == "with_parent"
    reply_to(world, parent, "二次处理，已清理干净", dispatch=False)
    services.record_callback(world.callback_agent, parent, True, "resolved", "satisfied")
    repeat.refresh_from_db()
    other.refresh_from_db()
    assert repeat.state == "closed" and (repeat.resolved, repeat.satisfied) == ("resolved", "satisfied")
    assert repeat.reply_text == "二次处理，已清理干净" and repeat.callbacks.get(round=0).note.startswith("同一来电人")
    assert other.state == "replied"  # another citizen: called back on their own


def test_a_reopened_former_duplicate_is_handled_on_its_own(world):
    """Found in review: a re-opened child kept its parent, was then 'split off' on a dissatisfied callback and
    left out of the callback queue as its parent's caller."""
    from jiesu.tickets import queries

    parent, child = new_ticket(world, citizen_phone="13812345678"), new_ticket(world, citizen_phone="13812345678")
    services.merge(world.dispatcher, child, parent)
    reply_to(world, parent, "已清理")
    services.record_callback(world.callback_agent, parent, True, "resolved", "satisfied")
    child.refresh_from_db()
    assert child.state == "closed"
    services.reopen(world.supervisor, child, "问题复发")
    child.refresh_from_db()
    assert child.parent is None and parent.events.filter(kind="split_off", payload__child=child.pk).exists()
    reply_to(world, child, "再次清理")
    assert child.pk in [t.pk for t in queries.callback_queue()]
    services.record_callback(world.callback_agent, child, True, "unresolved", "dissatisfied")
    child.refresh_from_db()
    assert child.state == "dispatched" and child.lead_unit == world.street  # re-handled by its own unit


def test_phones_stored_as_typed_before_become_the_callers_digits(world):
    import importlib

    from django.apps import apps

    typed = new_ticket(world)
    Ticket.objects.filter(pk=typed.pk).update(citizen_phone="+86 139-1111-3333")
    landline = new_ticket(world)
    Ticket.objects.filter(pk=landline.pk).update(citizen_phone="010-6512 3456")
    plain = new_ticket(world, citizen_phone="13800000000")
    importlib.import_module("jiesu.tickets.migrations.0005_phone_digits").to_digits(apps, None)
    assert [Ticket.objects.get(pk=t.pk).citizen_phone for t in (typed, landline, plain)] == [
        "13911113333", "01065123456", "13800000000"]


@pytest.mark.parametrize("how", ["answer", "close_special"])
def test_a_parent_answered_directly_or_closed_by_class_takes_its_merged_requests_along(world, how):
    """Found in a browser audit: a request merged into a ticket then answered directly or closed as special
    class stayed 已合并 for ever, with no reply, no callback and no action."""
    from jiesu.tickets import queries

    parent = new_ticket(world, citizen_phone="13812345678")
    child = new_ticket(world, citizen_phone="13900002222")
    services.merge(world.dispatcher, child, parent)
    if how == "answer":
        services.answer_directly(world.call_taker, parent, "按政策可以办理，请携带身份证到街道办理")
        child.refresh_from_db()
        assert child.state == "answered" and child.reply_text.startswith("按政策")
        assert child.pk in [t.pk for t in queries.callback_queue()]
        services.record_callback(world.callback_agent, child, True, "resolved", "satisfied")
        child.refresh_from_db()
        assert child.state == "closed"
    else:
        services.close_special(world.call_taker, parent, "unlawful", "诉求内容违法")  # of the matter, not the caller
        child.refresh_from_db()
        assert (child.state, child.special_class) == ("closed", "unlawful")
        assert child.events.get(kind="close_special").payload["via_parent"] == parent.pk
