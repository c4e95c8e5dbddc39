"""A summoned unit that does not report: objections, overdue 督办 and the on-time figures (audit s36)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.core.errors import Conflict
from jiesu.whistles import jobs, services, stats
from jiesu.whistles.api import whistle_out
from jiesu.whistles.models import SummonsState, Whistle, WhistleNotice
from whistles.conftest import whistle


def test_a_rejected_objection_is_final_the_unit_must_report(world):
    """Object → rejected → object again … kept a unit "objected" (never missing, never supervised) for ever."""
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    services.object_to(world.dept_staff, s, "本局无此职责")
    services.decide_objection(world.street_staff, s, False, "需到场说明政策")
    with pytest.raises(Conflict):
        services.object_to(world.dept_staff, s, "再次说明：无职责")
    s.refresh_from_db()
    assert s.state == SummonsState.SUMMONED and s.objection == "本局无此职责"
    # past its deadline it is missing, and the scan supervises it
    later = s.report_due + timedelta(minutes=1)
    assert jobs.scan_once(now=later)[0] == 2
    row = {r["unit"]: r for r in stats.report_on_time(Whistle.objects.filter(pk=w.pk), now=later)}
    assert row[world.dept.name]["missing"] == 1


def test_a_hand_sent_notice_before_the_deadline_does_not_stop_the_overdue_notice(world):
    w = whistle(world)
    services.supervise(world.street_staff, w, world.dept.pk, "请按时报到")   # a reminder, before the deadline
    due = w.summons.get(unit=world.dept).report_due
    assert jobs.scan_once(now=due + timedelta(minutes=1)) == (2, 0)          # both units, the reminded one too
    assert jobs.scan_once(now=due + timedelta(hours=2)) == (0, 0)            # once each
    assert WhistleNotice.objects.filter(unit=world.dept, kind="supervise").count() == 2


def test_a_whistle_ended_before_the_deadline_counts_nobody_missing(world):
    """A unit summoned to a whistle cancelled (or closed) before its report deadline did not miss it."""
    cancelled = whistle(world)
    services.cancel(world.street_staff, cancelled, "群众已自行解决")
    closed = whistle(world, units=[(world.dept.pk, "meeting")])
    task = services.add_task(world.street_staff, closed, world.street.pk, "清理", "无摊点")
    services.report_progress(world.street_staff, task, "已清理", done=True)
    services.accept_task(world.chief, task, True)
    services.close(world.street_staff, closed, "已处置")
    later = timezone.now() + timedelta(days=30)
    rows = stats.report_on_time(Whistle.objects.all(), now=later)
    assert sum(r["missing"] for r in rows) == 0
    assert stats.summary(Whistle.objects.all(), now=later)["report_on_time_rate"] is None
    # a unit that had missed its deadline before the whistle ended stays missing
    ended = whistle(world, units=[(world.dept2.pk, "meeting")])
    ended.summons.update(report_due=timezone.now() - timedelta(minutes=5))
    services.cancel(world.street_staff, ended, "改为专项整治")
    rows = {r["unit"]: r for r in stats.report_on_time(Whistle.objects.all(), now=later)}
    assert rows[world.dept2.name]["missing"] == 1 and rows[world.dept.name]["missing"] == 0
    assert {s["status"] for s in whistle_out(cancelled)["summons"]} == {"waiting"}
