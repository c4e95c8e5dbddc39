"""The hourly run forecasts once a week (audit 2026-12-07): the coming weeks' forecasts come from the weeks before
this one only, so rewriting them every hour changed nothing but cost the three-year count of every ticket each time —
40–49 s an hour at 200,000 tickets on SQLite (25 s of it the count), inside the worker's pass, before the deadline
scan's next turn. Now the first run of a week forecasts; the others only scan this week's counts."""
from datetime import timedelta

from jiesu.warnings import jobs
from jiesu.warnings.models import Alert, Forecast
from test_warnings_alerts import NOW, THIS_MONDAY, spike, steady_history


def test_the_forecasts_are_made_once_a_week_and_the_scan_every_run(world):
    steady_history(world, weeks=12)
    first = jobs.run_once(now=NOW)
    assert first["rows"] > 0
    made = dict(Forecast.objects.values_list("pk", "made_at"))
    spike(world, 30)
    later = jobs.run_once(now=NOW + timedelta(hours=1))
    assert later["rows"] == 0 and later["kept"] is True
    assert dict(Forecast.objects.values_list("pk", "made_at")) == made        # not rewritten
    assert Alert.objects.filter(district=world.dongcheng, week=THIS_MONDAY).exists()   # but scanned
    next_week = jobs.run_once(now=NOW + timedelta(days=7))
    assert next_week["rows"] > 0
    assert Forecast.objects.filter(week=THIS_MONDAY + timedelta(weeks=5), origin=THIS_MONDAY + timedelta(weeks=2)).exists()
