"""The dashboards in a real browser: the charts are drawn (canvas), a data table opens, the risk
forecast page shows its band. Takes docs/screenshots/dashboard.png and risk-forecast.png."""
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards.worlds import geo_world, ticket_at
from jiesu.core.tests_support import force_login, screenshot
from jiesu.kpi import services as kpi
from jiesu.tickets.models import State
from jiesu.units.models import Unit
from jiesu.warnings import services as warnings

CATEGORIES = ("01.01.02", "01.03.01", "04.01.03", "02.05.01", "03.01.01", "06.01.01", "09.02.03")


def busy_city(world, n=400, seed=5):
    """`n` requests over the last 90 days in the streets of 东城 and 西城, with coordinates, lead units
    and a few overdue; a wave of heating requests this week."""
    rng = random.Random(seed)
    now = timezone.now()
    grids = list(Unit.objects.filter(kind="grid").select_related("street"))
    for i in range(n):
        grid = rng.choice(grids)
        street = grid.street
        created = now - timedelta(days=rng.random() * 89, hours=rng.random() * 3)
        overdue = i % 40 == 0
        ticket_at(street, created, rng.choice(CATEGORIES), lead_unit=street, lon=grid.center_lon,
                  lat=grid.center_lat, state=State.DISPATCHED if overdue else State.NEW,
                  reply_due=now - timedelta(hours=5) if overdue else None)
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(25):
        grid = rng.choice(grids)
        ticket_at(grid.street, midnight + (now - midnight) * (i + 1) / 26, "02.05.01", lead_unit=grid.street,
                  lon=grid.center_lon, lat=grid.center_lat)
    kpi.rebuild()
    warnings.run_forecasts(replay=6)
    warnings.scan()


@pytest.mark.django_db(transaction=True)
def test_overview_draws_its_charts_and_opens_a_data_table(live_server, page, settings):
    world = geo_world(settings)
    busy_city(world)
    force_login(page, live_server, world.supervisor)
    page.goto(live_server.url + "/dashboards/")
    assert page.locator("h1").inner_text() == "全市总览"
    for chart in ("chart-map", "chart-heat", "chart-volume", "chart-categories", "chart-weekday", "chart-yoy"):
        page.wait_for_selector(f"#{chart}[data-drawn='1'] canvas")
    assert page.locator(".dash-chart canvas").count() >= 6
    today = page.locator("[data-card=volume_today] .value").inner_text()
    assert int(today) >= 25
    button = page.locator("#chart-volume-card .table-toggle")
    assert button.inner_text() == "数据表" and page.locator("#chart-volume-table").is_hidden()
    button.click()
    table = page.locator("#chart-volume-table")
    assert table.is_visible() and button.get_attribute("aria-expanded") == "true"
    first_row = table.locator("tbody tr").first.locator("td")
    assert first_row.nth(0).inner_text() == f"{timezone.localdate():%Y-%m-%d}"
    assert first_row.nth(1).inner_text() == today                    # the table holds the chart's numbers
    page.locator("#chart-map-card .table-toggle").click()
    assert page.locator("#chart-map-table tbody tr").count() == 16   # every district
    assert "示意" in page.locator("#chart-map-card").inner_text()
    page.locator("#chart-map-table").evaluate("el => el.hidden = true")
    page.locator("#chart-map-card .table-toggle").evaluate("el => el.setAttribute('aria-expanded', 'false')")
    page.locator("#chart-volume-card .table-toggle").click()
    screenshot(page, "dashboard")


@pytest.mark.django_db(transaction=True)
def test_street_user_lands_on_its_own_page(live_server, page, settings):
    world = geo_world(settings)
    busy_city(world, n=120)
    force_login(page, live_server, world.street_staff)
    page.goto(live_server.url + "/dashboards/")
    assert page.url.endswith("/dashboards/units/110101001/")
    page.wait_for_selector("#chart-heat[data-drawn='1'] canvas")
    page.wait_for_selector("#chart-rates[data-drawn='1'] canvas")
    response = page.goto(live_server.url + "/dashboards/units/110101002/")
    assert response.status == 403


@pytest.mark.django_db(transaction=True)
def test_risk_forecast_page(live_server, page, settings):
    world = geo_world(settings)
    busy_city(world)
    force_login(page, live_server, world.supervisor)
    page.goto(live_server.url + "/warnings/?district=110101&category=02.05")
    page.wait_for_selector("#chart-risk[data-drawn='1'] canvas")
    assert "风险预测图" in page.locator("h1").inner_text()
    page.locator("#chart-risk-card .table-toggle").click()
    assert page.locator("#chart-risk-table tbody tr").count() == 17    # 12 weeks before, this one, 4 ahead
    page.locator("#chart-risk-card .table-toggle").click()
    screenshot(page, "risk-forecast")
