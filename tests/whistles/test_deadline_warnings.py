"""A summoned unit is warned before its report (and task) deadline, once, not only 督办-ed when overdue
(audit s37: a department's clerk learned of a deadline only when it had passed)."""
from datetime import timedelta

from django.test import Client

from jiesu.whistles import jobs, services
from jiesu.whistles.models import Summons, Task, WhistleNotice
from whistles.conftest import whistle


def _kinds(w):
    return list(w.events.values_list("kind", flat=True))


def test_a_summoned_unit_is_warned_once_at_80_percent_of_its_report_time(world):
    w = whistle(world, mode="quick")                         # on site: report within 30 clock minutes
    s = w.summons.get(unit=world.dept)
    start, due = s.summoned_at, s.report_due
    assert due - start == timedelta(minutes=30)
    services.check_in(world.dept2_staff, w.summons.get(unit=world.dept2), person="王五", lon=116.4, lat=39.9)
    assert jobs.warn_once(now=start + timedelta(minutes=23)) == (0, 0)          # not yet (80 % = 24 min)
    assert jobs.warn_once(now=start + timedelta(minutes=25)) == (1, 0)          # 人社局 only: 市场监管 reported
    assert jobs.warn_once(now=start + timedelta(minutes=27)) == (0, 0)          # once
    notice = WhistleNotice.objects.get(kind=WhistleNotice.WARNING)
    assert notice.unit == world.dept and "报到" in notice.text
    s.refresh_from_db()
    assert s.warned_at == start + timedelta(minutes=25)
    assert _kinds(w).count("report_warning") == 1
    # the warning does not stand in for the overdue 督办
    assert jobs.scan_once(now=due + timedelta(minutes=1)) == (1, 0)
    assert WhistleNotice.objects.filter(unit=world.dept, kind=WhistleNotice.SUPERVISE).count() == 1


def test_the_worker_job_warns_too_and_a_unit_already_overdue_gets_no_warning(world):
    w = whistle(world, mode="quick")
    s = w.summons.get(unit=world.dept)
    jobs.scan_once(now=s.report_due + timedelta(minutes=5))   # the first scan runs only after the deadline
    assert not WhistleNotice.objects.filter(kind=WhistleNotice.WARNING).exists()
    w2 = whistle(world, mode="quick", units=[(world.dept.pk, "on_site")])
    s2 = w2.summons.get()
    jobs.scan_once(now=s2.summoned_at + timedelta(minutes=25))   # PERIODIC_JOBS runs scan_once
    assert WhistleNotice.objects.filter(kind=WhistleNotice.WARNING, whistle=w2, unit=world.dept).count() == 1


def test_a_task_is_warned_before_it_falls_due(world):
    w = whistle(world, mode="quick")                  # tasks of a quick whistle run on the clock
    task = services.add_task(world.street_staff, w, world.dept2.pk, "取缔占道摊点", "路面无摊点")
    start = task.created_at
    Task.objects.filter(pk=task.pk).update(due=start + timedelta(hours=10))
    Summons.objects.filter(whistle=w).update(warned_at=start)      # the report warnings are not this test's
    assert jobs.warn_once(now=start + timedelta(hours=7)) == (0, 0)
    assert jobs.warn_once(now=start + timedelta(hours=8, minutes=1)) == (0, 1)
    assert jobs.warn_once(now=start + timedelta(hours=9)) == (0, 0)
    notice = WhistleNotice.objects.get(kind=WhistleNotice.WARNING)
    assert notice.unit == world.dept2 and "取缔占道摊点" in notice.text
    assert "task_warning" in _kinds(w)


def test_the_department_sees_the_warning_on_its_board(world):
    w = whistle(world, mode="quick")
    jobs.warn_once(now=w.summons.get(unit=world.dept).summoned_at + timedelta(minutes=25))
    c = Client()
    c.force_login(world.dept_staff)
    body = c.get("/whistles/").content.decode()
    assert "临期预警" in body
