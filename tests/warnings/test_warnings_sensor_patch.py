"""PATCH /api/v1/warnings/sensors/{code} changes only the fields sent (audit 2026-12-07): before, a field left out
was taken as null, so switching a sensor off alone was refused ("give a threshold") and changing the high
threshold wiped the low one — for a 室温 sensor the low threshold is the heating alarm itself."""
from django.test import Client

from jiesu.accounts.models import ApiToken
from jiesu.warnings.models import Sensor

BASE = "/api/v1/warnings/sensors"


def gateway(world):
    token = ApiToken.objects.create(user=world.street_staff, name="gateway")
    c = Client(HTTP_AUTHORIZATION=f"Bearer {token.key}")
    street = world.donghuamen
    r = c.post(BASE, {"code": "RT-7", "name": "东华门小区3号楼室温", "kind": "temperature", "lon": street.center_lon,
                      "lat": street.center_lat, "threshold_low": 16, "threshold_high": 30},
               content_type="application/json")
    assert r.status_code == 201, r.content
    return c


def patch(c, body):
    return c.patch(f"{BASE}/RT-7", body, content_type="application/json")


def test_switching_a_sensor_off_keeps_its_thresholds(world):
    c = gateway(world)
    r = patch(c, {"active": False})
    assert r.status_code == 200, r.content
    sensor = Sensor.objects.get(code="RT-7")
    assert sensor.active is False and (sensor.threshold_low, sensor.threshold_high) == (16, 30)


def test_changing_one_threshold_keeps_the_other(world):
    c = gateway(world)
    r = patch(c, {"threshold_high": 28})
    assert r.status_code == 200, r.content
    assert (r.json()["threshold_low"], r.json()["threshold_high"]) == (16, 28)
    r = patch(c, {"threshold_low": 18})
    assert (r.json()["threshold_low"], r.json()["threshold_high"]) == (18, 28)
    assert Sensor.objects.get(code="RT-7").active is True


def test_a_threshold_sent_as_null_is_removed_and_checked_against_the_other(world):
    c = gateway(world)
    r = patch(c, {"threshold_high": None})
    assert r.status_code == 200 and r.json()["threshold_high"] is None and r.json()["threshold_low"] == 16
    r = patch(c, {"threshold_low": None})           # then none would be left: refused, naming the field
    assert r.status_code == 400 and r.json()["field"] == "threshold_high"
    r = patch(c, {"threshold_high": 10})            # below the low threshold kept
    assert r.status_code == 400 and r.json()["field"] == "threshold_low"
    assert (Sensor.objects.get(code="RT-7").threshold_low, Sensor.objects.get(code="RT-7").threshold_high) == (16, None)
