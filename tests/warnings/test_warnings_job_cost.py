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


def test_the_scan_writes_in_a_few_queries_whatever_the_number_of_series(world):
    """Before: a save and an alert look-up per forecast row — 2,754 queries for the 1,377 series of 16 districts ×
    ~80 categories, 8.7 s at 200,000 tickets; each scan of the week rewrote every row even when nothing changed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    steady_history(world, weeks=12)
    spike(world, 30)
    jobs.run_once(now=NOW)
    pending = Forecast.objects.filter(complete=False, week__lte=THIS_MONDAY).count()
    assert pending > 20
    Alert.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        result = jobs.services.scan(now=NOW + timedelta(hours=1))
    assert result["alerts"] >= 2 and len(queries) <= 12, (len(queries), pending)
    alert = Alert.objects.get(district=world.dongcheng, category__code="01.01", week=THIS_MONDAY)
    assert alert.actual == 30 and alert.partial
