"""Changing who is summoned mid-way, and closing while a unit is still at it (audit s36)."""
import pytest
from datetime import timedelta

from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.whistles import jobs, services, stats
from jiesu.whistles.models import SummonsState, Whistle, WhistleEvent
from whistles.conftest import whistle
from whistles.test_api import client_for, post
from whistles.test_bad_input import page_client


def _one_accepted_task(world, w, unit=None):
    task = services.add_task(world.street_staff, w, (unit or world.street).pk, "清理", "无摊点")
    staff = {world.street.pk: world.street_staff, world.dept2.pk: world.dept2_staff}[(unit or world.street).pk]
    services.report_progress(staff, task, "已清理", done=True)
    services.accept_task(world.chief, task, True)
    return task


def test_a_whistle_does_not_close_over_a_pending_objection(world):
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    services.object_to(world.dept_staff, s, "本局无此职责")
    _one_accepted_task(world, w)
    with pytest.raises(Conflict) as exc:
        services.close(world.street_staff, w, "已处置")
    assert world.dept.name in exc.value.message
    assert Whistle.objects.get(pk=w.pk).state == "active"
    services.decide_objection(world.street_staff, s, True, "确无职责")
    assert services.close(world.street_staff, w, "已处置").state == "closed"


def test_the_whistling_unit_withdraws_a_unit_it_no_longer_needs(world):
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    with pytest.raises(Forbidden):
        services.withdraw(world.dept_staff, s, "不需要")
    with pytest.raises(DomainError) as exc:
        services.withdraw(world.street_staff, s, "  ")
    assert exc.value.field == "reason"
    services.withdraw(world.street_staff, s, "经会商，人社局无需参与")
    s.refresh_from_db()
    assert s.state == SummonsState.RELEASED and s.objection_upheld is None
    event = WhistleEvent.objects.get(whistle=w, kind="withdraw")
    assert event.summons == s and event.note == "经会商，人社局无需参与" and event.actor == world.street_staff
    with pytest.raises(Conflict):
        services.check_in(world.dept_staff, s, "黄磊", "116.4", "39.9")
    with pytest.raises(Conflict):
        services.withdraw(world.street_staff, s, "again")
    later = s.report_due + timedelta(hours=1)
    assert jobs.scan_once(now=later) == (1, 0)                          # only 市场监管 is overdue
    rows = {r["unit"]: r for r in stats.report_on_time(Whistle.objects.all(), now=later)}
    assert rows[world.dept.name]["missing"] == 0
    with pytest.raises(DomainError):                                    # no task for a withdrawn unit
        services.add_task(world.street_staff, w, world.dept.pk, "说明政策", "书面答复")


def test_a_unit_with_an_unfinished_task_is_not_withdrawn(world):
    w = whistle(world)
    task = services.add_task(world.street_staff, w, world.dept2.pk, "取缔", "无摊点")
    s = w.summons.get(unit=world.dept2)
    with pytest.raises(Conflict):
        services.withdraw(world.street_staff, s, "不需要了")
    services.report_progress(world.dept2_staff, task, "已取缔", done=True)
    services.accept_task(world.chief, task, True)
    services.withdraw(world.street_staff, s, "任务已完成，先行撤离")
    assert w.summons.get(unit=world.dept2).state == SummonsState.RELEASED


def test_withdrawing_through_the_page_and_the_api(world):
    w = whistle(world)
    s1, s2 = w.summons.get(unit=world.dept), w.summons.get(unit=world.dept2)
    r = page_client(world.street_staff).post(f"/whistles/{w.pk}/act/withdraw/",
                                             {"summons": s1.pk, "reason": "无需参与"}, follow=True)
    assert [m.level_tag for m in r.context["messages"]] == ["success"]
    assert "撤回" in r.content.decode()                                  # the timeline says it
    r = post(client_for(world.street_staff), f"/{w.pk}/summons/{s2.pk}/withdraw", {"reason": ""})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = post(client_for(world.dept2_staff), f"/{w.pk}/summons/{s2.pk}/withdraw", {"reason": "x"})
    assert r.status_code == 403
    r = post(client_for(world.street_staff), f"/{w.pk}/summons/{s2.pk}/withdraw", {"reason": "无需参与"})
    assert r.status_code == 200 and {s["state"] for s in r.json()["summons"]} == {"released"}


def test_a_withdrawn_unit_leaves_its_inbox(world):
    """The 本单位报到 inbox (and GET /summoned) still listed a whistle the unit was released from, as work to do."""
    w = whistle(world)
    services.withdraw(world.street_staff, w.summons.get(unit=world.dept), "无需参与")
    c = page_client(world.dept_staff)
    assert w.title not in c.get("/whistles/summoned/").content.decode()
    assert c.get("/whistles/").context["inbox_count"] == 0
    assert client_for(world.dept_staff).get("/api/v1/whistles/summoned").json() == []
    assert client_for(world.dept2_staff).get("/api/v1/whistles/summoned").json()[0]["id"] == w.pk
    assert c.get(f"/whistles/{w.pk}/").status_code == 200               # its history stays readable


def test_a_released_unit_is_neither_rated_nor_supervised(world):
    """A unit whose objection was upheld (not its matter) or that was withdrawn could still be given 1 star by the
    street (its monthly score) and be sent 督办 notices."""
    w = whistle(world)
    s = w.summons.get(unit=world.dept)
    services.object_to(world.dept_staff, s, "本局无此职责")
    services.decide_objection(world.street_staff, s, True, "确无职责")
    with pytest.raises(Conflict):
        services.supervise(world.district_staff, w, world.dept.pk, "请报到")
    _one_accepted_task(world, w, world.dept2)
    services.close(world.street_staff, w, "已处置")
    for rater in (world.street_staff, world.district_staff):
        with pytest.raises(DomainError) as exc:
            services.rate(rater, w, world.dept.pk, 1, 1, 1)
        assert exc.value.field == "unit"
    services.rate(world.street_staff, w, world.dept2.pk, 5, 5, 5)
    targets = page_client(world.district_staff).get(f"/whistles/{w.pk}/").context["rate_targets"]
    assert [u for u, _side in targets] == [world.street, world.dept2]
