"""The forecast job on the database: rows per district × category, frozen past weeks, alerts, scoping."""
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client

from dashboards.worlds import at, category, ticket_at
from jiesu.warnings import services
from jiesu.warnings.models import Alert, AlertState, Forecast

NOW = at(2026, 11, 20, 15, 0)          # a Friday; the week began on Monday 16 Nov
THIS_MONDAY = NOW.date() - timedelta(days=4)


def steady_history(world, weeks=20, per_week=3, code="01.01.02"):
    """`per_week` requests every week (Tuesdays) in 东华门, for `weeks` weeks before this one."""
    for w in range(1, weeks + 1):
        day = NOW - timedelta(weeks=w, days=3)
        for i in range(per_week):
            ticket_at(world.donghuamen, day + timedelta(minutes=i), code)


def spike(world, n, code="01.01.02"):
    for i in range(n):
        ticket_at(world.donghuamen, NOW - timedelta(hours=10, minutes=i), code)


def test_job_writes_forecasts_and_raises_an_alert_for_the_spike(world):
    steady_history(world)
    spike(world, 30)
    made = services.run_forecasts(now=NOW, replay=2)
    assert made["rows"] > 0 and made["replayed"] > 0
    property_service = category("01.01")  # level 2 of 01.01.02
    row = Forecast.objects.get(district=world.dongcheng, category=property_service, week=THIS_MONDAY)
    assert row.origin == THIS_MONDAY and row.horizon == 1
    assert 2 <= row.expected <= 4 and row.high < 30
    future = Forecast.objects.filter(district=world.dongcheng, category=property_service, week__gt=THIS_MONDAY)
    assert future.count() == services.DEFAULT_HORIZON
    assert Forecast.objects.filter(district=None, category=None, week=THIS_MONDAY).exists()  # the city, all
    result = services.scan(now=NOW)
    assert result["alerts"] >= 1
    alert = Alert.objects.get(district=world.dongcheng, category=property_service, week=THIS_MONDAY)
    assert alert.actual == 30 and alert.partial and alert.state == AlertState.OPEN
    assert alert.ratio > 5
    assert not Alert.objects.filter(week__lt=THIS_MONDAY).exists()  # the steady weeks stayed in their band
    assert not Alert.objects.filter(district=world.xicheng).exists()
    row.refresh_from_db()
    assert row.actual == 30 and not row.complete


def test_rerunning_keeps_past_weeks_frozen_and_does_not_duplicate(world):
    steady_history(world, weeks=12)
    services.run_forecasts(now=NOW, replay=1)
    before = {(f.series, f.week): (f.expected, f.made_at) for f in Forecast.objects.filter(week__lte=THIS_MONDAY)}
    count = Forecast.objects.count()
    spike(world, 30)                            # new data must not rewrite weeks that have begun
    services.run_forecasts(now=NOW + timedelta(hours=1), replay=1)
    after = {(f.series, f.week): (f.expected, f.made_at) for f in Forecast.objects.filter(week__lte=THIS_MONDAY)}
    assert after == before
    assert Forecast.objects.count() == count
    services.scan(now=NOW)
    assert services.scan(now=NOW + timedelta(hours=1))["alerts"] == 0  # the alert is updated, not raised again
    assert Alert.objects.filter(week=THIS_MONDAY).count() == Alert.objects.filter(week=THIS_MONDAY).values(
        "forecast").distinct().count()


def test_a_week_that_ended_is_marked_complete(world):
    steady_history(world, weeks=12)
    services.run_forecasts(now=NOW, replay=1)
    services.scan(now=NOW + timedelta(days=7))
    last_week = Forecast.objects.filter(week=THIS_MONDAY).first()
    assert last_week.complete is True


def test_who_sees_which_forecasts(world):
    steady_history(world, weeks=12)
    spike(world, 30)
    services.run_forecasts(now=NOW, replay=1)
    services.scan(now=NOW)
    assert services.forecast_district_ids(world.supervisor) is None
    assert services.forecast_district_ids(world.street_staff) == {world.dongcheng.pk}
    assert not services.visible_alerts(world.xc_staff).exists()
    assert services.visible_alerts(world.street_staff).exists()
    with pytest.raises(PermissionDenied):
        services.forecast_district_ids(world.dept_staff)
    with pytest.raises(PermissionDenied):
        services.forecast_district_ids(world.citizen)
    alert = Alert.objects.filter(district=world.dongcheng).first()
    with pytest.raises(PermissionDenied):
        services.acknowledge(world.xc_staff, alert, "不是本区")
    services.acknowledge(world.district_staff, alert, "已安排专项排查")
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == world.district_staff


def test_api_lists_alerts_and_forecasts_in_scope(world):
    from jiesu.accounts.models import ApiToken

    steady_history(world, weeks=12)
    spike(world, 30)
    services.run_forecasts(now=NOW, replay=1)
    services.scan(now=NOW)
    token = ApiToken.objects.create(user=world.xc_staff, name="t")
    r = Client(HTTP_AUTHORIZATION=f"Bearer {token.key}").get("/api/v1/warnings/alerts")
    assert r.status_code == 200 and r.json() == []
    token = ApiToken.objects.create(user=world.supervisor, name="t")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    alerts = c.get("/api/v1/warnings/alerts").json()
    assert any(a["district"] == "110101" and a["category"] == "01.01" and a["actual"] == 30 for a in alerts)
    rows = c.get("/api/v1/warnings/forecasts", {"district": "110101", "category": "01.01"}).json()
    assert [r["week"] for r in rows][:2] == [str(THIS_MONDAY - timedelta(weeks=1)), str(THIS_MONDAY)]
    token = ApiToken.objects.create(user=world.dept_staff, name="t")
    r = Client(HTTP_AUTHORIZATION=f"Bearer {token.key}").get("/api/v1/warnings/alerts")
    assert r.status_code == 403


def test_command_runs_and_backtests(world, capsys):
    steady_history(world, weeks=14)
    call_command("warnings", "backtest", "--origins", "4")
    out = capsys.readouterr().out
    assert '"source": "database"' in out and '"coverage"' in out
