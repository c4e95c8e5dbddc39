"""The figures a supervisor reads: how fast units report, for every unit (audit s36)."""
from datetime import timedelta

from django.test import Client

from jiesu.units.models import Unit
from jiesu.whistles import stats
from jiesu.whistles.models import Summons, Whistle
from whistles.conftest import whistle


def test_mean_time_to_report_per_unit_and_overall(world):
    w1, w2 = whistle(world), whistle(world, units=[(world.dept.pk, "meeting")])
    for w, unit, hours in ((w1, world.dept, 2), (w1, world.dept2, 5), (w2, world.dept, 4)):
        s = w.summons.get(unit=unit)
        Summons.objects.filter(pk=s.pk).update(state="checked_in", checked_in_at=s.summoned_at + timedelta(hours=hours))
    rows = {r["unit"]: r for r in stats.report_on_time(Whistle.objects.all())}
    assert rows[world.dept.name]["mean_hours_to_report"] == 3.0
    assert rows[world.dept2.name]["mean_hours_to_report"] == 5.0
    assert stats.summary(Whistle.objects.all())["mean_hours_to_report"] == round(11 / 3, 1)
    c = Client()
    c.force_login(world.district_staff)
    body = c.get("/whistles/stats/").content.decode()
    assert "平均报到用时" in body and "3.7" in body


def test_the_statistics_page_lists_every_unit_not_only_the_best_thirty(world):
    """The per-unit table stopped at 30 rows, best first: the unit that never reports was the one cut off."""
    units = [Unit.objects.create(code=f"CD-T{i:02d}", name=f"测试局{i:02d}", kind="department", parent=world.city)
             for i in range(32)]
    for part in (units[:16], units[16:]):
        w = whistle(world, units=[(u.pk, "meeting") for u in part])
        for s in w.summons.exclude(unit=units[-1]):
            Summons.objects.filter(pk=s.pk).update(state="checked_in", checked_in_at=s.summoned_at)
    Summons.objects.filter(unit=units[-1]).update(report_due=Summons.objects.get(unit=units[-1]).summoned_at)
    c = Client()
    c.force_login(world.district_staff)
    on_time = c.get("/whistles/stats/").context["on_time"]
    assert len(on_time) == 32 and units[-1].name in [r["unit"] for r in on_time]
