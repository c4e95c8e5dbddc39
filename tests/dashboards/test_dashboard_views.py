"""Dashboard pages render the KPI app's numbers for a hand-made month, and keep to the user's territory."""
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from dashboards.worlds import at, ticket_at
from jiesu.kpi import services as kpi
from jiesu.tickets.models import Callback, State

NOW = at(2026, 11, 20, 15, 0)


@pytest.fixture
def month(world, monkeypatch):
    """东华门: 3 requests today, 2 earlier this month (one resolved and satisfied, one neither), one
    overdue; 景山: 1 today; October: 2 in 东华门 (not this month). Rollups rebuilt as after a bulk load."""
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    dh, js = world.donghuamen, world.jingshan
    for i in range(3):  # dispatched: a street's map shows its territory's tickets once the hotline dispatched them
        ticket_at(dh, at(2026, 11, 20, 9 + i), "01.01.02", lead_unit=dh, dispatched_at=at(2026, 11, 20, 9 + i),
                  lon=dh.center_lon, lat=dh.center_lat)
    ticket_at(js, at(2026, 11, 20, 11), "04.01.03", lead_unit=js, dispatched_at=at(2026, 11, 20, 11),
              lon=js.center_lon, lat=js.center_lat)
    good = ticket_at(dh, at(2026, 11, 5, 10), "04.01.03", lead_unit=dh, state=State.CLOSED,
                     resolved="resolved", satisfied="satisfied")
    bad = ticket_at(dh, at(2026, 11, 6, 10), "04.01.03", lead_unit=dh, state=State.CLOSED,
                    resolved="unresolved", satisfied="dissatisfied")
    for t in (good, bad):
        Callback.objects.create(ticket=t, at=at(2026, 11, 10, 10), reached=True, resolved=t.resolved,
                                satisfied=t.satisfied)
    ticket_at(dh, at(2026, 11, 3, 10), "01.01.02", lead_unit=dh, state=State.DISPATCHED,
              dispatched_at=at(2026, 11, 3, 11), reply_due=at(2026, 11, 12, 17))
    for day in (1, 2):
        ticket_at(dh, at(2026, 10, day, 10), "01.01.02", lead_unit=dh)
    kpi.rebuild()
    return world


def cards(html):
    return dict(re.findall(r'data-card="(\w+)"><span class="label">[^<]*</span><span class="value">([^<]*)</span>',
                           html))


def spec(html, chart_id):
    found = re.search(rf'<script id="{chart_id}-spec" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def page(user, url):
    c = Client()
    c.force_login(user)
    return c.get(url)


def test_street_page_shows_its_numbers(month):
    r = page(month.street_staff, "/dashboards/units/110101001/")
    assert r.status_code == 200
    html = r.content.decode()
    figures = cards(html)
    assert figures["volume_today"] == "3" and figures["volume_month"] == "6" and figures["overdue"] == "1"
    assert figures["resolution"] == "50.0%" and figures["satisfaction"] == "50.0%"  # (1 + 0.5·0) ÷ 2, (1 + 0.8·0) ÷ 2
    top = spec(html, "chart-categories")
    assert dict(zip(top["categories"], top["series"][0]["data"])) == {"住房与物业": 4, "环境保护": 2}
    volume = spec(html, "chart-volume")
    assert volume["series"][0]["data"][-1] == 3 and sum(volume["series"][0]["data"]) == 8  # 90 days incl. October
    assert '<td>2026-11-20</td><td>3</td>' in html                     # the data table holds the same numbers
    yoy = spec(html, "chart-yoy")
    assert yoy["series"][0]["data"][-2:] == [2, 6] and yoy["categories"][-1] == "2026-11"
    heat = spec(html, "chart-heat")
    assert sum(c[2] for c in heat["cells"]) == 3                      # only 东华门's tickets with coordinates


def test_city_overview_for_a_supervisor(month):
    r = page(month.supervisor, "/dashboards/?measure=received&level=street")
    assert r.status_code == 200
    html = r.content.decode()
    figures = cards(html)
    assert figures["volume_today"] == "4" and figures["volume_month"] == "7"
    mapped = {v["name"]: v["value"] for v in spec(html, "chart-map")["values"]}
    assert mapped["110101001"] == 6 and mapped["110101002"] == 1
    assert sum(c[2] for c in spec(html, "chart-heat")["cells"]) == 4
    assert "示意" in html                                             # the schematic boundaries are labelled
    rates = page(month.supervisor, "/dashboards/?measure=satisfaction_rate").content.decode()
    districts = {v["name"]: v["value"] for v in spec(rates, "chart-map")["values"]}
    assert districts["110101"] == pytest.approx(0.5) and districts["110102"] is None


def test_district_page_maps_its_streets(month):
    html = page(month.district_staff, "/dashboards/units/110101/").content.decode()
    values = {v["name"]: v["value"] for v in spec(html, "chart-map")["values"]}
    assert values["110101001"] == 6 and all(code.startswith("110101") for code in values)
    assert cards(html)["volume_month"] == "7"


def test_a_street_cannot_see_another_streets_page(month):
    assert page(month.street2_staff, "/dashboards/units/110101001/").status_code == 403
    assert page(month.street_staff, "/dashboards/units/110101/").status_code == 403      # nor its district's
    assert page(month.xc_staff, "/dashboards/units/110101001/").status_code == 403
    assert page(month.district_staff, "/dashboards/units/110101002/").status_code == 200  # a district: its tree
    assert page(month.citizen, "/dashboards/").status_code == 403


def test_home_sends_units_to_their_own_page(month):
    r = page(month.street_staff, "/dashboards/")
    assert r.status_code == 302 and r.url == "/dashboards/units/110101001/"
    assert page(month.dept_staff, "/dashboards/").url == f"/dashboards/units/{month.dept.code}/"


def test_heat_map_of_a_street_user_keeps_to_the_street(month):
    html = page(month.street2_staff, "/dashboards/units/110101002/").content.decode()
    assert sum(c[2] for c in spec(html, "chart-heat")["cells"]) == 1


def test_geojson_is_labelled_schematic(month):
    r = page(month.supervisor, "/dashboards/geo/street.json?within=110101")
    data = r.json()
    assert r.status_code == 200 and data["schematic"] is True
    codes = {f["properties"]["code"] for f in data["features"]}
    assert "110101001" in codes and all(c.startswith("110101") for c in codes)
    assert page(month.supervisor, "/dashboards/geo/grid.json").status_code == 404


def test_english_page(month):
    c = Client()
    c.force_login(month.supervisor)
    c.cookies["django_language"] = "en"
    html = c.get("/dashboards/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "City overview" in html and "Data table" in html
