"""A summoned department reads its own figures, never another department's (audit s37, DESIGN §1: a department
sees what concerns it). The whistling unit, its district and the city read every summoned unit's."""
from datetime import timedelta

from django.test import Client

from jiesu.whistles import services
from jiesu.whistles.models import Summons
from whistles.conftest import whistle


def _shared_closed_and_rated(world):
    """One whistle summoning both departments: 人社局 reports on time, 市场监管局 late; both rated by the street."""
    w = whistle(world)
    for unit, hours in ((world.dept, 1), (world.dept2, 40)):
        s = w.summons.get(unit=unit)
        Summons.objects.filter(pk=s.pk).update(state="checked_in", checked_in_at=s.summoned_at + timedelta(hours=hours))
    task = services.add_task(world.street_staff, w, world.dept2.pk, "取缔", "无摊点")
    services.report_progress(world.dept2_staff, task, "完成", done=True)
    services.accept_task(world.street_staff, task, True)
    w = services.close(world.street_staff, w, "已处置")
    services.rate(world.street_staff, w, world.dept.pk, 5, 5, 5, "人社局到场及时")
    services.rate(world.street_staff, w, world.dept2.pk, 1, 2, 1, "市场监管局拖延推诿")
    return w


def _client(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_summoned_department_sees_only_its_own_rates_and_ratings(world):
    w = _shared_closed_and_rated(world)
    page = _client(world.dept_staff).get("/whistles/stats/")
    assert [r["unit"] for r in page.context["on_time"]] == [world.dept.name]
    assert [r.unit[1] for r in page.context["rollup"]] == [world.dept.name]
    assert page.context["summary"]["report_on_time_rate"] == 1.0          # its own check-in only
    body = page.content.decode()
    assert world.dept2.name not in body
    api = _client(world.dept_staff)
    data = api.get("/api/v1/whistles/stats").json()
    assert [r["unit"] for r in data["report_on_time"]] == [world.dept.name]
    assert [r["unit"] for r in api.get("/api/v1/whistles/ratings").json()] == [world.dept.name]
    one = api.get(f"/api/v1/whistles/{w.pk}").json()
    assert [r["unit"]["name"] for r in one["ratings"]] == [world.dept.name]
    detail = api.get(f"/whistles/{w.pk}/").content.decode()
    assert "市场监管局拖延推诿" not in detail and "人社局到场及时" in detail   # nor in the timeline
    notes = [e["note"] for e in api.get(f"/api/v1/whistles/{w.pk}/events").json()]
    assert "人社局到场及时" in notes and "市场监管局拖延推诿" not in notes


def test_the_whistling_street_and_the_district_see_every_summoned_unit(world):
    w = _shared_closed_and_rated(world)
    for user in (world.street_staff, world.district_staff, world.supervisor):
        page = _client(user).get("/whistles/stats/")
        assert {r["unit"] for r in page.context["on_time"]} == {world.dept.name, world.dept2.name}
        assert {r.unit[1] for r in page.context["rollup"]} == {world.dept.name, world.dept2.name}
        assert page.context["summary"]["report_on_time_rate"] == 0.5
        one = _client(user).get(f"/api/v1/whistles/{w.pk}").json()
        assert len(one["ratings"]) == 2
        notes = [e["note"] for e in _client(user).get(f"/api/v1/whistles/{w.pk}/events").json()]
        assert "人社局到场及时" in notes and "市场监管局拖延推诿" in notes
