"""A volume alert's life after it is raised (audit 2026-12-07): it follows its week's count down as well as up, an
acknowledgement is not overwritten by a second one, and two scans at once (two workers) raise each alert once."""
import pytest

from jiesu.core.errors import DomainError
from jiesu.tickets.models import Ticket
from jiesu.warnings import services
from jiesu.warnings.models import Alert, AlertState, Forecast
from test_warnings_alerts import NOW, THIS_MONDAY, spike, steady_history
from tests.threads import at_once
from dashboards.worlds import category


def raised(world):
    steady_history(world, weeks=12)
    spike(world, 30)
    services.run_forecasts(now=NOW, replay=1)
    services.scan(now=NOW)
    return Alert.objects.get(district=world.dongcheng, category=category("01.01"), week=THIS_MONDAY)


def reclassify_spike(world):
    """The dispatcher finds 28 of the week's 物业服务 requests were 供热 (another level-2 category)."""
    spiked = Ticket.objects.filter(created_at__gte=NOW.replace(hour=0), category=category("01.01.02"))
    ids = list(spiked.values_list("pk", flat=True)[:28])
    Ticket.objects.filter(pk__in=ids).update(category=category("02.05.01"))


def test_an_open_alert_goes_when_its_week_falls_back_into_its_band(world):
    alert = raised(world)
    reclassify_spike(world)
    services.scan(now=NOW)
    row = Forecast.objects.get(pk=alert.forecast_id)
    assert row.actual == 2 and row.actual <= row.high
    assert not Alert.objects.filter(pk=alert.pk).exists()     # before: still open, saying 30 came in


def test_an_acknowledged_alert_stays_with_its_count_brought_up_to_date(world):
    alert = raised(world)
    services.acknowledge(world.district_staff, alert, "已安排专项排查")
    reclassify_spike(world)
    services.scan(now=NOW)
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.note == "已安排专项排查"
    assert alert.actual == 2                                  # what the page and the chart say alike


def test_a_second_acknowledgement_does_not_overwrite_the_first(world):
    alert = raised(world)
    first, second = Alert.objects.get(pk=alert.pk), Alert.objects.get(pk=alert.pk)   # two pages open at once
    services.acknowledge(world.district_staff, first, "已安排专项排查")
    with pytest.raises(DomainError) as refused:
        services.acknowledge(world.supervisor, second, "知道了")
    assert refused.value.code == "conflict"
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.district_staff and alert.note == "已安排专项排查"


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_raise_each_alert_once(world):
    steady_history(world, weeks=12)
    spike(world, 30)
    services.run_forecasts(now=NOW, replay=1)
    results, errors = at_once(lambda: services.scan(now=NOW), 2)
    assert errors == []
    assert sorted(r["alerts"] for r in results)[0] == 0 and sum(r["alerts"] for r in results) == Alert.objects.count()
    assert Alert.objects.filter(district=world.dongcheng, category=category("01.01"), week=THIS_MONDAY).count() == 1


def test_the_page_says_so_when_the_alert_was_acknowledged_meanwhile(world):
    from django.test import Client
    from django.urls import reverse

    alert = raised(world)
    services.acknowledge(world.district_staff, alert, "已安排专项排查")
    c = Client()
    c.force_login(world.supervisor)
    page = c.post(reverse("warning_acknowledge", args=[alert.pk]), {"note": "知道了"}, follow=True).content.decode()
    assert "该预警已有人确认" in page
    alert.refresh_from_db()
    assert alert.note == "已安排专项排查"
