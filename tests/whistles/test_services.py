"""Whistle services: approval chain, summons and check-ins, objections, tasks, closing, supervision, ratings."""
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.tickets import services as ticket_services
from jiesu.tickets.models import State as TicketState, TicketEvent
from jiesu.units.models import Unit
from jiesu.whistles import jobs, scoping, services, stats
from jiesu.whistles.models import (
    Summons, SummonsState, TaskState, Whistle, WhistleEvent, WhistleNotice, WhistleState,
)
from whistles.conftest import contacted_ticket, new_ticket, whistle


def kinds(w):
    return list(WhistleEvent.objects.filter(whistle=w).values_list("kind", flat=True))


def test_normal_whistle_summons_at_once_with_report_deadlines(world):
    t = new_ticket(world)
    ticket_services.dispatch(world.dispatcher, t, world.street.pk)  # the street links what it can read
    w = whistle(world, tickets=[t])
    assert w.state == WhistleState.ACTIVE and w.source == "ticket" and w.district == world.district
    summons = list(w.summons.order_by("id"))
    assert [s.unit for s in summons] == [world.dept, world.dept2]
    assert all(s.summoned_at and s.report_due > s.summoned_at for s in summons)
    # the duty list: 市场监管 has a duty for 占道经营, 人社局 has none (over-summoning warning)
    assert [s.has_duty for s in summons] == [False, True]
    assert services.no_duty_warning(w) == [world.dept]
    assert kinds(w) == ["raise", "summon", "summon"]
    assert TicketEvent.objects.filter(ticket=t, kind="whistle_raised").exists()


def test_each_summoned_unit_may_get_its_own_report_deadline(world):
    own = timezone.localtime() + timedelta(days=3)
    w = whistle(world, level="hard", units=[(world.dept.pk, "written", own.isoformat()), (world.dept2.pk, "meeting")])
    assert w.state == WhistleState.APPROVAL
    assert Summons.objects.get(whistle=w, unit=world.dept).report_due == own
    services.approve(world.street_staff, w, True)
    services.approve(world.deputy, w, True)
    services.approve(world.chief, w, True)
    by_unit = {s.unit: s for s in w.summons.all()}
    assert by_unit[world.dept].report_due == own                       # its own deadline, kept at summons
    assert by_unit[world.dept2].report_due == services.report_due(w, by_unit[world.dept2].summoned_at)
    extra = services.summon(world.street_staff, w, world.street_b.pk, "joint", "2099-01-05")
    assert timezone.localtime(extra.report_due).strftime("%Y-%m-%d %H:%M") == "2099-01-05 17:30"
    with pytest.raises(DomainError) as exc:
        whistle(world, units=[(world.dept.pk, "written", "2000-01-01")])
    assert exc.value.field == "summons"


def test_approval_chain_each_step_a_different_person(world):
    w = whistle(world, level="hard")
    assert w.state == WhistleState.APPROVAL
    assert not w.summons.filter(summoned_at__isnull=False).exists()
    # a department cannot see it while it is in approval
    assert not scoping.can_view(world.dept_staff, w)
    services.approve(world.street_staff, w, True, "科室申请")
    with pytest.raises(Forbidden):
        services.approve(world.street_staff, w, True)          # the raiser only applies
    with pytest.raises(Forbidden):
        services.approve(world.dept_staff, w, True)            # another unit
    services.approve(world.deputy, w, True, "同意")
    with pytest.raises(Forbidden):
        services.approve(world.deputy, w, True)                # same person twice
    w = services.approve(world.chief, w, True, "批准")
    assert w.state == WhistleState.ACTIVE and w.approved_at
    assert [(a.step, a.step_name, a.by) for a in w.approvals.all()] == [
        (0, "科室申请", world.street_staff), (1, "分管副职签字", world.deputy), (2, "主要负责人批准", world.chief)]
    assert all(s.report_due for s in w.summons.all())
    assert scoping.can_view(world.dept_staff, w)
    with pytest.raises(Conflict):
        services.approve(world.chief, w, True)


def test_refused_approval_summons_nobody(world):
    w = whistle(world, level="key")
    services.approve(world.street_staff, w, True)
    w = services.approve(world.chief, w, False, "先由街道自行处置")
    assert w.state == WhistleState.REFUSED
    assert not w.summons.filter(summoned_at__isnull=False).exists()
    assert not scoping.can_view(world.dept_staff, w)


def test_quick_whistle_skips_approval_30_minutes_and_is_reviewed_afterwards(world):
    w = whistle(world, level="hard", mode="quick")
    assert w.state == WhistleState.ACTIVE and w.needs_review
    s = w.summons.first()
    assert s.report_due - s.summoned_at == timedelta(minutes=30)
    with pytest.raises(Forbidden):
        services.review(world.street_staff, w)
    w = services.review(world.chief, w, "同意现场处置")
    assert not w.needs_review and w.reviewed_by == world.chief
    with pytest.raises(Conflict):
        services.review(world.chief, w)


def test_check_in_on_time_and_late(world):
    w = whistle(world)
    on_site, meeting = w.summons.order_by("id")
    with pytest.raises(DomainError) as exc:
        services.check_in(world.dept_staff, on_site, "黄磊")          # on site: location needed
    assert exc.value.field == "lon"
    with pytest.raises(Forbidden):
        services.check_in(world.dept_staff, meeting, "黄磊")          # not its summons
    s = services.check_in(world.dept_staff, on_site, "黄磊", 116.40, 39.91)
    assert s.state == SummonsState.CHECKED_IN and not s.late and s.person == "黄磊"
    with pytest.raises(Conflict):
        services.check_in(world.dept_staff, on_site, "黄磊", 116.40, 39.91)
    Summons.objects.filter(pk=meeting.pk).update(report_due=timezone.now() - timedelta(minutes=5))
    s = services.check_in(world.dept2_staff, meeting, "")
    assert s.late and s.person == str(world.dept2_staff)
    late = WhistleEvent.objects.get(whistle=w, kind="check_in", summons=s)
    assert late.payload["late"] is True
    rows = {r["unit"]: r for r in stats.report_on_time(Whistle.objects.filter(pk=w.pk))}
    assert rows[world.dept.name]["on_time"] == 1 and rows[world.dept2.name]["late"] == 1


def test_objection_decided_by_the_street(world):
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    with pytest.raises(DomainError):
        services.object_to(world.dept_staff, s, "")
    services.object_to(world.dept_staff, s, "本局无此职责")
    with pytest.raises(Forbidden):
        services.decide_objection(world.dept_staff, s, True)
    s = services.decide_objection(world.street_staff, s, False, "需到场说明政策")
    assert s.state == SummonsState.SUMMONED
    with pytest.raises(Conflict):                     # a rejected objection is final: it must report
        services.object_to(world.dept_staff, s, "再次说明：无职责")
    s2 = services.object_to(world.dept2_staff, w.summons.get(unit=world.dept2), "非本局职责")
    s2 = services.decide_objection(world.street_staff, s2, True)
    assert s2.state == SummonsState.RELEASED
    with pytest.raises(DomainError):
        services.add_task(world.street_staff, w, world.dept2.pk, "说明政策", "书面答复")


def test_whistle_cannot_close_with_an_open_task(world):
    w = whistle(world)
    with pytest.raises(Conflict):
        services.close(world.street_staff, w, "已处置")         # no tasks yet
    t1 = services.add_task(world.street_staff, w, world.dept2.pk, "取缔占道摊点", "路面无摊点，连续一周复查")
    t2 = services.add_task(world.street_staff, w, world.street.pk, "设置便民疏导点", "疏导点投入使用")
    assert t1.due > timezone.now()
    with pytest.raises(Forbidden):
        services.report_progress(world.dept_staff, t1, "已完成", done=True)
    services.report_progress(world.dept2_staff, t1, "已联合执法两次", done=False)
    services.report_progress(world.dept2_staff, t1, "摊点已清理，照片附后", done=True)
    with pytest.raises(Conflict):
        services.report_progress(world.dept2_staff, t1, "again", done=True)
    with pytest.raises(DomainError):
        services.accept_task(world.street_staff, t1, False, "")     # sending back needs a reason
    services.accept_task(world.street_staff, t1, True)
    with pytest.raises(Conflict):
        services.close(world.street_staff, w, "已处置")         # t2 still open
    services.report_progress(world.street_staff, t2, "疏导点已启用", done=True)
    t2 = services.accept_task(world.street_staff, t2, False, "还缺指示牌")
    assert t2.state == TaskState.OPEN
    services.report_progress(world.street_staff, t2, "指示牌已安装", done=True)
    services.accept_task(world.street_staff, t2, True)
    w = services.close(world.street_staff, w, "占道经营已取缔，设置疏导点。")
    assert w.state == WhistleState.CLOSED and w.closed_at


def test_closing_replies_to_linked_tickets(world):
    mine = contacted_ticket(world)
    other = new_ticket(world)                    # dispatched to a department in its territory: told, not replied
    ticket_services.dispatch(world.dispatcher, other, world.dept.pk)
    w = whistle(world, tickets=[mine, other])
    assert w.source == "tickets"
    task = services.add_task(world.street_staff, w, world.dept2.pk, "取缔", "无摊点")
    services.report_progress(world.dept2_staff, task, "完成", done=True)
    services.accept_task(world.street_staff, task, True)
    services.close(world.street_staff, w, "经吹哨联合执法，占道摊点已取缔。")
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.state == TicketState.REPLIED and mine.reply_text == "经吹哨联合执法，占道摊点已取缔。"
    assert other.state == TicketState.DISPATCHED
    assert TicketEvent.objects.filter(ticket=other, kind="whistle_closed", payload__replied=False).exists()
    assert TicketEvent.objects.filter(ticket=mine, kind="reply").exists()
    assert stats.summary(Whistle.objects.all())["tickets_closed_by_whistles"] == 1


def test_scoping_a_department_sees_only_whistles_that_summoned_it(world):
    w1 = whistle(world, units=[(world.dept.pk, "on_site")])
    w2 = whistle(world, units=[(world.dept2.pk, "meeting")])
    assert list(scoping.visible_whistles(world.dept_staff)) == [w1]
    assert list(scoping.visible_whistles(world.dept2_staff)) == [w2]
    assert set(scoping.visible_whistles(world.street_staff)) == {w1, w2}
    assert set(scoping.visible_whistles(world.district_staff)) == {w1, w2}
    assert set(scoping.visible_whistles(world.supervisor)) == {w1, w2}
    assert not scoping.visible_whistles(world.street_b_staff).exists()
    assert not scoping.visible_whistles(world.citizen).exists()
    assert not scoping.can_view(world.dept2_staff, w1)
    assert not scoping.can_view(world.street_b_staff, w1)
    # a neighbouring street of the same district, and another district, see none of them
    neighbour = Unit.objects.create(code="110101002", name="景山街道", kind="street", parent=world.district)
    for unit in (neighbour, world.district_b):
        staff = User.objects.create_user(f"staff-{unit.code}", password="pw", role=Role.UNIT_STAFF, unit=unit)
        assert not scoping.visible_whistles(staff).exists() and not scoping.can_view(staff, w1)
    w3 = whistle(world, units=[(neighbour.pk, "meeting")])       # …until a whistle summons that street
    assert list(scoping.visible_whistles(User.objects.get(username="staff-110101002"))) == [w3]
    with pytest.raises(Forbidden):
        services.raise_whistle(world.grid_worker, services.WhistleData("t", "d", summons=[world.dept.pk]))


def test_raise_validation_names_the_field(world):
    def fails(field, **kw):
        data = dict(title="占道", description="描述", summons=[world.dept.pk])
        data.update(kw)
        with pytest.raises(DomainError) as exc:
            services.raise_whistle(world.street_staff, services.WhistleData(**data))
        assert exc.value.field == field

    fails("title", title=" ")
    fails("trigger", trigger="x")
    fails("level", level="nope")
    fails("summons", summons=[])
    fails("summons", summons=[world.street.pk])
    fails("summons", summons=[world.grid.pk])
    fails("tickets", tickets=[999999])
    assert not Whistle.objects.exists()


def test_overdue_reports_and_tasks_are_supervised_once(world):
    w = whistle(world)
    task = services.add_task(world.street_staff, w, world.dept.pk, "排查", "报告")
    past = timezone.now() - timedelta(minutes=1)
    Summons.objects.filter(whistle=w).update(report_due=past)
    type(task).objects.filter(pk=task.pk).update(due=past)
    assert jobs.scan_once() == (2, 1)
    assert jobs.scan_once() == (0, 0)
    assert WhistleNotice.objects.filter(unit=world.dept, kind="supervise").count() == 2
    assert kinds(w).count("report_overdue") == 2 and "task_overdue" in kinds(w)


def test_report_to_district_and_manual_supervision(world):
    w = whistle(world)
    with pytest.raises(Forbidden):
        services.report_to_district(world.dept_staff, w, world.dept.pk, "拒不报到")
    services.supervise(world.district_staff, w, world.dept.pk, "请今日到场")
    services.report_to_district(world.street_staff, w, world.dept.pk, "两次督办仍拒不报到")
    with pytest.raises(Conflict):
        services.report_to_district(world.street_staff, w, world.dept.pk, "again")
    w.refresh_from_db()
    assert w.escalated
    notice = WhistleNotice.objects.get(kind="escalation")
    assert notice.unit == world.district and notice.about == world.dept
    assert scoping.can_view(world.district_staff, w)


def _closed(world):
    w = whistle(world)
    task = services.add_task(world.street_staff, w, world.dept2.pk, "取缔", "无摊点")
    services.report_progress(world.dept2_staff, task, "完成", done=True)
    services.accept_task(world.street_staff, task, True)
    return services.close(world.street_staff, w, "已处置")


def test_ratings_and_roll_up(world):
    w = whistle(world)
    with pytest.raises(Conflict):
        services.rate(world.street_staff, w, world.dept.pk, 5, 5, 5)      # not closed yet
    w = _closed(world)
    services.rate(world.street_staff, w, world.dept2.pk, 5, 4, 3, "到场及时")
    services.rate(world.street_staff, w, world.dept.pk, 1, 2, 2, "未安排任务也未报到")
    with pytest.raises(Conflict):
        services.rate(world.street_staff, w, world.dept2.pk, 5, 5, 5)
    with pytest.raises(DomainError) as exc:
        services.rate(world.street_staff, w, world.street.pk, 5, 5, 5)    # the street rates the summoned
    assert exc.value.field == "unit"
    with pytest.raises(DomainError) as exc:
        services.rate(world.district_staff, w, world.dept2.pk, 6, 5, 5)
    assert exc.value.field == "timeliness"
    services.rate(world.district_staff, w, world.dept2.pk, 2, 2, 2)
    services.rate(world.district_staff, w, world.street.pk, 4, 4, 4, "统筹有力")
    with pytest.raises(Forbidden):
        services.rate(world.dept_staff, w, world.dept2.pk, 5, 5, 5)
    month = f"{timezone.localtime():%Y-%m}"
    out = {r.unit[1]: r for r in stats.rating_rollup(month=month)}
    assert out[world.dept2.name].score == round(4.0 * 0.7 + 2.0 * 0.3, 2)
    assert out[world.street.name].score == 4.0 and out[world.street.name].district_count == 1
    assert out[world.dept.name].street_score == round(5 / 3, 2)
    rows = {r["unit"]: r for r in stats.unit_month_ratings(month, unit_ids=[world.dept2.pk])}
    assert list(rows) == [world.dept2.name] and rows[world.dept2.name]["score"] == 3.4
    assert rows[world.dept2.name]["street_count"] == 1 and rows[world.dept2.name]["district_count"] == 1
    assert stats.unit_month_ratings("2000-01") == []
    summary = stats.summary(Whistle.objects.all())
    assert summary["over_summoning_share"] == 0.5     # 人社局 summoned, no task
    assert summary["units_per_whistle"] == 2.0
    assert summary["closed"] == 1


def test_suggestions_rank_units_that_solved_similar_whistles_and_tickets(world):
    ticket = contacted_ticket(world)
    past = whistle(world, tickets=[ticket], units=[(world.dept.pk, "meeting")])
    task = services.add_task(world.street_staff, past, world.dept.pk, "联合执法", "无摊点")
    services.report_progress(world.dept_staff, task, "已完成", done=True)
    services.accept_task(world.street_staff, task, True)
    before = {e["unit"].pk: e for e in services.suggest_units(world.street, [world.category], world.street)}
    assert before[world.dept.pk]["whistles"] == 1 and not before[world.dept.pk]["duty"]
    assert before[world.dept2.pk]["duty"] and before[world.dept2.pk]["whistles"] == 0
    ranked = [e["unit"].pk for e in services.suggest_units(world.street, [world.category], world.street)]
    assert ranked.index(world.dept2.pk) < ranked.index(world.dept.pk)  # a duty outranks history
    assert world.street.pk not in ranked                                # never the whistling unit itself
    other_category = services.suggest_units(world.street, [world.gas], world.street)
    assert world.dept.pk not in [e["unit"].pk for e in other_category]  # history is per matter


def test_approval_steps_are_signed_by_their_positions(world):
    colleague = User.objects.create_user("colleague", password="pw", role=Role.UNIT_STAFF, unit=world.street,
                                         position="staff")
    w = whistle(world, level="hard")
    services.approve(world.street_staff, w, True)
    with pytest.raises(Forbidden, match="分管副职"):
        services.approve(colleague, w, True)                   # 分管副职签字 needs a deputy head
    assert w.approvals.count() == 1 and not w.events.filter(kind="approval", actor=colleague).exists()
    services.approve(world.deputy, w, True)
    with pytest.raises(Forbidden):
        services.approve(colleague, w, True)                   # 主要负责人批准: the head only
    w = services.approve(world.chief, w, True)
    assert w.state == WhistleState.ACTIVE
