"""Intake weighs a point against the address given with it as the desk does (locator.weigh_address): the point
wins, except in a schematic boundary where an address at least as sure does; the intake event says which one
decided and why, in the same words the intake page's place line gets from the locate API."""
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from jiesu.accounts.models import Role
from jiesu.dispatch import router
from jiesu.dispatch.wording import word
from jiesu.tickets import services
from jiesu.tickets.models import PlaceSource, TicketEvent
from jiesu.tickets.queries import stored_parts
from jiesu.units.models import Unit
from tests.dispatch.test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)

ADDRESS = "东城区王府井大街"  # 东华门街道 (110101001)


@pytest.fixture
def call_taker(dispatch_db):
    return get_user_model().objects.create_user("ct", password="pw", role=Role.CALL_TAKER,
                                                unit=Unit.objects.get(code="110101"))


def other_street():
    """A street of 东城区 other than the one the address names, its centre a point inside it."""
    return Unit.objects.filter(code="110101002").defer("geometry").get()


def intake(user, **place):
    ticket, _created = services.create_ticket(user, services.IntakeData(text="路灯不亮，晚上很黑", **place))
    return ticket, TicketEvent.objects.get(ticket=ticket, kind="intake").payload


def located_by_api(user, **params):
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/dispatch/locate", params)
    assert response.status_code == 200
    return response.json()


def recorded_reason(payload):
    with translation.override("zh-hans"):
        return word(stored_parts(payload["place"]["reason"]))


def test_an_address_beats_a_point_in_a_schematic_boundary_and_the_event_says_why(call_taker):
    street = other_street()
    ticket, payload = intake(call_taker, address=ADDRESS, lon=street.center_lon, lat=street.center_lat)
    assert ticket.street.code == "110101001" and ticket.place_source == PlaceSource.ADDRESS
    assert ticket.lon == pytest.approx(street.center_lon), "the point is kept on the ticket all the same"
    assert payload["place"]["by"] == "address" and payload["place"]["reason"][0] == "address_over_schematic"
    assert "示意边界不可靠，以地址为准" in recorded_reason(payload)
    line = located_by_api(call_taker, address=ADDRESS, lon=street.center_lon, lat=street.center_lat)
    assert line["street"]["code"] == ticket.street.code and line["reason"] == recorded_reason(payload)


def test_a_point_in_a_real_boundary_beats_the_address(call_taker):
    street = other_street()
    Unit.objects.filter(code__startswith="110101002").update(schematic=False)
    router.invalidate()
    ticket, payload = intake(call_taker, address=ADDRESS, lon=street.center_lon, lat=street.center_lat)
    assert ticket.street.code == "110101002" and ticket.place_source == PlaceSource.COORDINATES
    assert payload["place"]["by"] == "coordinates" and payload["place"]["reason"][0] == "point_over_address"
    assert recorded_reason(payload).endswith("；地址指向东华门街道，与坐标不一致，以坐标为准")
    line = located_by_api(call_taker, address=ADDRESS, lon=street.center_lon, lat=street.center_lat)
    assert line["street"]["code"] == ticket.street.code and line["reason"] == recorded_reason(payload)


def test_an_agreeing_address_and_an_unknown_one_are_said_too(call_taker):
    street = Unit.objects.filter(code="110101001").defer("geometry").get()
    agreeing, payload = intake(call_taker, address=ADDRESS, lon=street.center_lon, lat=street.center_lat)
    assert agreeing.street_id == street.pk and payload["place"]["reason"][0] == "point_agrees"
    unknown, payload = intake(call_taker, address="火星基地3号", lon=street.center_lon, lat=street.center_lat)
    assert unknown.street_id == street.pk and unknown.place_source == PlaceSource.COORDINATES
    assert payload["place"]["reason"][0] == "with_notes" and "no_place" not in payload


def test_a_point_alone_records_no_weighing(call_taker):
    street = other_street()
    ticket, payload = intake(call_taker, lon=street.center_lon, lat=street.center_lat)
    assert ticket.street.code == "110101002" and ticket.place_source == PlaceSource.COORDINATES
    assert "place" not in payload
