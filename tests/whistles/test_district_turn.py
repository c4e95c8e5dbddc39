"""After 提级 the district runs the whistle (区级吹哨): it summons further units — its own departments and streets,
and the city's departments — moves report and task deadlines (延期, with a reason), lists and accepts tasks, closes
and rates; the street keeps reading everything but no longer runs it; each unit summoned or given a new deadline gets
a notice; a summoned unit reads its own figures only (audit s38)."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiesu.accounts.models import Role, User
from jiesu.core.errors import Conflict, DomainError, Forbidden
from jiesu.units.models import Unit
from jiesu.whistles import services
from jiesu.whistles.api import whistle_out
from jiesu.whistles.models import Summons, WhistleNotice
from whistles.conftest import whistle


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def _district_dept(world, code="110101-CGW", name="东城区城市管理委员会", parent=None):
    return Unit.objects.create(code=code, name=name, kind="department", parent=parent or world.district)


def _raised(world):
    w = whistle(world)
    return services.raise_to_district(world.street_staff, w, "两部门逾期未报到")


def test_after_raising_the_district_runs_the_whistle_and_the_street_no_longer_does(world):
    cgw = _district_dept(world)
    jtw = _district_dept(world, "CD-JTW", "市交通委员会", world.city)
    other = _district_dept(world, "110102-CGW", "西城区城市管理委员会", world.district_b)
    w = whistle(world)
    with pytest.raises(Forbidden):   # before 提级 the district supervises and rates, it does not run the whistle
        services.summon(world.district_staff, w, cgw.pk, "written")
    w = services.raise_to_district(world.street_staff, w, "两部门逾期未报到")
    with pytest.raises(Forbidden):
        services.summon(world.street_staff, w, cgw.pk, "written")
    s = services.summon(world.district_staff, w, cgw.pk, "written")
    assert s.summoned_at and s.report_due
    services.summon(world.district_staff, w, jtw.pk, "meeting")   # the city's departments too
    for unit in (other, world.street_b, world.district_b):   # not another district's units
        with pytest.raises(DomainError) as exc:
            services.summon(world.district_staff, w, unit.pk, "written")
        assert exc.value.field == "unit"
    event = w.events.get(kind="summon", summons=s)
    assert event.actor == world.district_staff and event.actor_unit == world.district
    notices = WhistleNotice.objects.filter(whistle=w, kind=WhistleNotice.SUMMONED, created_by=world.district_staff)
    assert sorted(n.unit.name for n in notices) == sorted([cgw.name, jtw.name])
    # tasks: the district lists them, the street no longer does
    with pytest.raises(Forbidden):
        services.add_task(world.street_staff, w, cgw.pk, "清理摊点", "路面无摊点")
    task = services.add_task(world.district_staff, w, cgw.pk, "清理摊点", "路面无摊点")
    # another district's staff does nothing to it
    stb_district = User.objects.create_user("ds2", password="pw", role=Role.UNIT_STAFF, unit=world.district_b)
    with pytest.raises(Forbidden):
        services.add_task(stb_district, w, cgw.pk, "x", "y")
    cgw_staff = User.objects.create_user("cgw", password="pw", role=Role.UNIT_STAFF, unit=cgw)
    services.check_in(cgw_staff, s, "李明")
    services.report_progress(cgw_staff, task, "已清理", done=True)
    with pytest.raises(Forbidden):
        services.accept_task(world.street_staff, task, True)
    services.accept_task(world.district_staff, task, True)
    with pytest.raises(Forbidden):
        services.close(world.street_staff, w, "已整治")
    services.close(world.district_staff, w, "区级联合执法，摊点清理完毕")
    w.refresh_from_db()
    assert w.state == "closed" and w.events.get(kind="close").actor_unit == world.district
    # ratings: the district rates the unit it summoned; that unit reads its own figures only
    services.rate(world.district_staff, w, cgw.pk, 5, 5, 5, "到场及时")
    services.rate(world.district_staff, w, world.dept.pk, 1, 1, 1, "拒不报到")
    assert [r["unit"]["name"] for r in whistle_out(w, cgw_staff)["ratings"]] == [cgw.name]
    assert len(whistle_out(w, world.street_staff)["ratings"]) == 2


def test_deadlines_are_moved_with_a_reason_by_whoever_runs_the_whistle(world):
    w = whistle(world)
    s = Summons.objects.get(whistle=w, unit=world.dept)
    Summons.objects.filter(pk=s.pk).update(warned_at=timezone.now())
    later = timezone.now() + timedelta(days=3)
    with pytest.raises(Forbidden):
        services.set_report_due(world.dept_staff, s, later.isoformat(), "请宽限")
    for due, reason, field in (("2020-01-01", "延期", "due"), ("", "延期", "due"), ("2026-13-01", "延期", "due"),
                               (later.isoformat(), " ", "reason")):
        with pytest.raises(DomainError) as exc:
            services.set_report_due(world.street_staff, s, due, reason)
        assert exc.value.field == field
    s = services.set_report_due(world.street_staff, s, later.isoformat(), "部门申请延期一天，经协调同意")
    assert abs((s.report_due - later).total_seconds()) < 1
    assert s.warned_at is None   # the warning goes again before the new deadline
    event = w.events.get(kind="report_due_set")
    assert event.note.startswith("部门申请延期") and event.payload["previous"] and event.payload["unit"] == world.dept.name
    assert WhistleNotice.objects.filter(whistle=w, unit=world.dept, kind=WhistleNotice.DEADLINE).count() == 1
    w = services.raise_to_district(world.street_staff, w, "会商无果")
    with pytest.raises(Forbidden):
        services.set_report_due(world.street_staff, s, later.isoformat(), "再延")
    s = services.set_report_due(world.district_staff, s, (later + timedelta(days=1)).isoformat(), "区里再给一天")
    task = services.add_task(world.district_staff, w, world.dept.pk, "出具处置意见", "书面意见")
    with pytest.raises(Forbidden):
        services.set_task_due(world.street_staff, task, (later + timedelta(days=9)).isoformat(), "延")
    task = services.set_task_due(world.district_staff, task, (later + timedelta(days=9)).isoformat(), "需现场勘验")
    assert task.due > later + timedelta(days=8)
    assert w.events.filter(kind="task_due_set", task=task).count() == 1
    assert WhistleNotice.objects.filter(whistle=w, unit=world.dept, kind=WhistleNotice.DEADLINE).count() == 3
    s2 = Summons.objects.get(whistle=w, unit=world.dept2)
    dept2 = services.check_in(world.dept2_staff, s2)
    with pytest.raises(Conflict):   # nothing to extend once it has reported
        services.set_report_due(world.district_staff, dept2, later.isoformat(), "延")


def test_page_and_api_after_raising(world):
    cgw = _district_dept(world)
    w = _raised(world)
    street_page = _client(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="act-summon"' not in street_page and 'id="act-close"' not in street_page
    assert 'id="run-by-district"' in street_page and world.district.name in street_page.split('id="run-by-district"')[1][:300]
    page = _client(world.district_staff).get(f"/whistles/{w.pk}/").content.decode()
    assert 'id="act-summon"' in page and 'id="act-close"' in page and 'id="act-add_task"' in page
    assert 'action="/whistles/%d/act/set_report_due/"' % w.pk in page
    api = _client(world.district_staff)
    r = api.post(f"/api/v1/whistles/{w.pk}/summons", {"unit": cgw.pk, "form": "written"},
                 content_type="application/json")
    assert r.status_code == 200 and cgw.name in [s["unit"]["name"] for s in r.json()["summons"]]
    cgw_staff = User.objects.create_user("cgw", password="pw", role=Role.UNIT_STAFF, unit=cgw)
    row = _client(cgw_staff).get("/whistles/summoned/").content.decode().split(f'data-whistle="{w.pk}"')[1][:900]
    assert "已提级" in row and world.district.name in row   # the inbox says who summons it: the district
    r = api.post(f"/api/v1/whistles/{w.pk}/summons", {"unit": world.street_b.pk}, content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "unit"
    sid = Summons.objects.get(whistle=w, unit=world.dept).pk
    r = api.post(f"/api/v1/whistles/{w.pk}/summons/{sid}/deadline", {"due": "2026-02-30", "reason": "延"},
                 content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "due"
    due = (timezone.localtime() + timedelta(days=4)).date().isoformat()
    r = api.post(f"/api/v1/whistles/{w.pk}/summons/{sid}/deadline", {"due": due, "reason": "区里协调延期"},
                 content_type="application/json")
    assert r.status_code == 200 and r.json()["run_by"] == "district"
    assert _client(world.street_staff).post(f"/api/v1/whistles/{w.pk}/summons/{sid}/deadline",
                                            {"due": due, "reason": "x"},
                                            content_type="application/json").status_code == 403
    # the page's form
    _client(world.district_staff).post(f"/whistles/{w.pk}/act/set_report_due/",
                                       {"summons": sid, "due": due + "T16:00", "reason": "再延至下午四点"})
    assert timezone.localtime(Summons.objects.get(pk=sid).report_due).hour == 16


def test_a_deadline_already_passed_is_not_moved_the_miss_stays_on_record(world):
    """延期 is asked before the deadline (as for tickets): moving it afterwards would turn a unit that never reported
    (missing, 督办 sent) or a task overdue into an on-time one on the statistics."""
    from jiesu.whistles.models import Task

    w = whistle(world)
    task = services.add_task(world.street_staff, w, world.dept.pk, "出具处置意见", "书面意见")
    past = timezone.now() - timedelta(hours=1)
    Summons.objects.filter(whistle=w, unit=world.dept).update(report_due=past)
    Task.objects.filter(pk=task.pk).update(due=past)
    later = (timezone.now() + timedelta(days=2)).isoformat()
    with pytest.raises(Conflict):
        services.set_report_due(world.street_staff, Summons.objects.get(whistle=w, unit=world.dept), later, "补报")
    with pytest.raises(Conflict):
        services.set_task_due(world.street_staff, task, later, "补办")
    assert not w.events.filter(kind__in=("report_due_set", "task_due_set")).exists()
    page = _client(world.street_staff).get(f"/whistles/{w.pk}/").content.decode()   # nor offered on the page
    assert page.count("/act/set_report_due/") == 1 and "/act/set_task_due/" not in page   # the other unit's only


def test_the_tickets_learn_of_the_raise_and_the_street_is_told_to_reply_when_the_district_closes(world):
    from whistles.conftest import contacted_ticket

    t = contacted_ticket(world)
    w = whistle(world, tickets=[t])
    w = services.raise_to_district(world.street_staff, w, "两部门逾期未报到")
    assert t.events.get(kind="whistle_to_district").note == "两部门逾期未报到"   # TicketEvent.kind: 24 characters
    task = services.add_task(world.district_staff, w, world.street.pk, "牵头答复市民", "答复到位")
    services.report_progress(world.street_staff, task, "已落实", done=True)
    services.accept_task(world.district_staff, task, True)
    services.close(world.district_staff, w, "区级联合执法，摊点清理完毕")
    t.refresh_from_db()
    assert t.state == "contacted"   # the district does not answer the street's citizen; the street does
    notice = WhistleNotice.objects.get(whistle=w, unit=world.street, kind=WhistleNotice.CLOSED)
    assert t.number in notice.text and "摊点清理完毕" in notice.text


def test_the_api_lists_the_whistles_raised_to_the_district(world):
    w = _raised(world)
    whistle(world, title="另一件事")
    rows = _client(world.district_staff).get("/api/v1/whistles?raised=true").json()
    assert [(r["id"], r["run_by"]) for r in rows] == [(w.pk, "district")]
    assert len(_client(world.district_staff).get("/api/v1/whistles").json()) == 2
