"""Sensors through the API: registration, readings, threshold → one ticket per incident, refusals, roles."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jiesu.accounts.models import ApiToken
from jiesu.tickets.models import Channel, State, Ticket, TicketEvent
from jiesu.warnings.models import Sensor, SensorIncident, SensorReading

BASE = "/api/v1/warnings/sensors"


def client_for(user):
    token = ApiToken.objects.create(user=user, name="gateway")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token.key}")


def post(c, path, body):
    return c.post(BASE + path, body, content_type="application/json")


def sensor_body(street, **kw):
    return {"code": "WL-001", "name": "东华门大街下穿桥", "kind": "water_level", "lon": street.center_lon,
            "lat": street.center_lat, "threshold_high": 0.3, **kw}


@pytest.fixture
def registered(world):
    c = client_for(world.street_staff)
    r = post(c, "", sensor_body(world.donghuamen))
    assert r.status_code == 201, r.content
    return c


def reading(c, value, minutes_ago=0, code="WL-001"):
    when = timezone.now() - timedelta(minutes=minutes_ago)
    return post(c, f"/{code}/readings", {"value": value, "at": when.isoformat()})


def test_registration_places_the_sensor_and_defaults_owner_and_category(world, registered):
    body = registered.get(f"{BASE}/WL-001").json()
    assert body["street"] == "110101001" and body["district"] == "110101"
    assert body["owner"] == "110101001" and body["category"] == "02.02.02"


def test_readings_past_the_threshold_make_one_ticket_per_incident(world, registered):
    c = registered
    r = reading(c, 0.1, 50)
    assert r.status_code == 201 and r.json()["breach"] == "" and r.json()["ticket"] is None
    first = reading(c, 0.45, 40).json()
    assert first["breach"] == "high" and first["ticket_created"] is True
    assert first["ticket"] is None      # the gateway's unit may not read the ticket before it is dispatched to it
    ticket = Ticket.objects.get(channel=Channel.SENSOR)
    assert ticket.street == world.donghuamen and ticket.category.code == "02.02.02" and ticket.state == State.NEW
    assert "0.45" in ticket.title and ticket.anonymous
    second = reading(c, 0.6, 30).json()
    assert second["ticket_created"] is False and second["incident"] == first["incident"]
    assert Ticket.objects.filter(channel=Channel.SENSOR).count() == 1
    incident = SensorIncident.objects.get()
    assert incident.readings == 2 and incident.peak_value == 0.6
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["intake", "sensor_alarm"]
    reading(c, 0.2, 20)                                     # back to normal: recorded on the ticket
    again = reading(c, 0.5, 10).json()                      # and up again while the ticket is open: same ticket
    assert again["incident"] == first["incident"] and not again["ticket_created"]
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == ["intake", "sensor_alarm", "sensor_cleared", "sensor_alarm"]
    Ticket.objects.filter(pk=ticket.pk).update(state=State.CLOSED)   # handled and closed meanwhile
    fresh = reading(c, 0.7, 5).json()
    assert fresh["ticket_created"] is True and fresh["incident"] != first["incident"]
    assert Ticket.objects.filter(channel=Channel.SENSOR).count() == 2


def test_posting_the_same_reading_again_is_harmless(world, registered):
    when = (timezone.now() - timedelta(minutes=3)).isoformat()
    r1 = post(registered, "/WL-001/readings", {"value": 0.9, "at": when})
    r2 = post(registered, "/WL-001/readings", {"value": 0.9, "at": when})
    assert r1.status_code == 201 and r2.status_code == 200
    assert r1.json()["incident"] == r2.json()["incident"] is not None
    assert SensorReading.objects.count() == 1 and Ticket.objects.count() == 1


@pytest.mark.parametrize("body, field", [
    ({"value": "high"}, "value"),
    ({"value": 7.5e3}, "value"),                      # beyond what a water-level gauge measures
    ({"value": 0.2, "at": "2099-01-01T00:00:00+08:00"}, "at"),
    ({"value": 0.2, "at": "2020-01-01T00:00:00+08:00"}, "at"),
    ({}, "value"),
])
def test_bad_readings_are_refused_naming_the_field(world, registered, body, field):
    r = post(registered, "/WL-001/readings", body)
    assert r.status_code in (400, 422)
    assert r.json()["field"] == field and r.json()["message"]
    assert SensorReading.objects.count() == 0


@pytest.mark.parametrize("change, field", [
    ({"kind": "radar"}, "kind"),
    ({"code": "has space"}, "code"),
    ({"threshold_high": None}, "threshold_high"),
    ({"threshold_low": 0.5, "threshold_high": 0.3}, "threshold_low"),
    ({"threshold_high": 999}, "threshold_high"),
    ({"lon": 121.47, "lat": 31.23}, "lon"),             # 上海
    ({"name": ""}, "name"),
])
def test_bad_registrations_are_refused_naming_the_field(world, change, field):
    r = post(client_for(world.street_staff), "", sensor_body(world.donghuamen, **change))
    assert r.status_code in (400, 422), r.content
    assert r.json()["field"] == field
    assert not Sensor.objects.exists()


def test_registration_stays_in_the_users_territory(world):
    c = client_for(world.street_staff)
    r = post(c, "", sensor_body(world.jingshan))                     # a point in 景山
    assert r.status_code == 400 and r.json()["field"] == "lon"
    r = post(c, "", sensor_body(world.donghuamen, owner="110101002"))  # someone else's unit
    assert r.status_code == 403
    r = post(client_for(world.citizen), "", sensor_body(world.donghuamen))
    assert r.status_code == 403
    r = post(client_for(world.supervisor), "", sensor_body(world.jingshan, owner="110101002", code="WL-JS"))
    assert r.status_code == 201
    assert post(c, "", sensor_body(world.donghuamen, code="WL-JS")).json()["field"] == "code"  # taken


def test_only_the_responsible_unit_posts_readings(world, registered):
    other = client_for(world.street2_staff)
    assert other.get(f"{BASE}/WL-001").status_code == 404             # not in 景山's territory
    assert reading(other, 0.9).status_code == 404
    district = client_for(world.district_staff)
    assert district.get(f"{BASE}/WL-001").status_code == 200           # in 东城's territory: may look
    assert reading(district, 0.9).status_code == 403                   # but is not the gateway
    assert client_for(world.xc_staff).get(BASE).json() == []
    assert SensorReading.objects.count() == 0


def test_a_switched_off_sensor_refuses_readings(world, registered):
    r = registered.patch(f"{BASE}/WL-001", {"threshold_high": 0.4, "active": False}, content_type="application/json")
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["threshold_high"] == 0.4
    r = reading(registered, 0.9)
    assert r.status_code == 400 and r.json()["field"] == "sensor"
