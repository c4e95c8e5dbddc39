"""The risk forecast page: the band chart with the alert, the alert list, scoping, acknowledging."""
import json
import re

from django.test import Client

from jiesu.warnings import services
from jiesu.warnings.models import Alert, AlertState
from test_warnings_alerts import NOW, THIS_MONDAY, spike, steady_history


def page(user, url, **post):
    c = Client()
    c.force_login(user)
    return c.post(url, post) if post else c.get(url)


def ready(world, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    steady_history(world, weeks=12)
    spike(world, 30)
    services.run_forecasts(now=NOW, replay=3)
    services.scan(now=NOW)


def test_board_draws_the_band_and_marks_the_alert(world, monkeypatch):
    ready(world, monkeypatch)
    r = page(world.supervisor, "/warnings/?district=110101&category=01.01")
    assert r.status_code == 200
    html = r.content.decode()
    spec = json.loads(re.search(r'<script id="chart-risk-spec" type="application/json">(.*?)</script>',
                                html, re.S).group(1))
    this_week = spec["categories"].index(f"{THIS_MONDAY:%m-%d}")
    assert spec["actual"][this_week] == 30 and spec["high"][this_week] < 30
    assert spec["alerts"] == [this_week]
    assert spec["actual"][this_week + 1] is None and spec["expected"][this_week + 1] is not None  # the future
    assert f"<td>{THIS_MONDAY:%Y-%m-%d}</td><td>30</td>" in html
    assert "风险预测图" in html


def test_board_keeps_to_the_district(world, monkeypatch):
    ready(world, monkeypatch)
    assert page(world.xc_staff, "/warnings/?district=110101").status_code == 403
    html = page(world.xc_staff, "/warnings/").content.decode()
    assert "住房与物业" not in html.split('id="alerts"')[1].split("</section>")[0]  # no 东城 alert listed
    assert page(world.street_staff, "/warnings/").status_code == 200              # its district's forecasts
    assert page(world.dept_staff, "/warnings/").status_code == 403


def test_acknowledging_from_the_page(world, monkeypatch):
    ready(world, monkeypatch)
    alert = Alert.objects.filter(district=world.dongcheng).first()
    r = page(world.district_staff, f"/warnings/alerts/{alert.pk}/acknowledge/", note="已部署物业专项检查")
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.note == "已部署物业专项检查"
    assert page(world.xc_staff, f"/warnings/alerts/{alert.pk}/acknowledge/", note="x").status_code == 404
