"""Audit 12, finding 13: a request whose point lies outside the city is recorded without the point (kept in the
intake event), placed from what else it says or by no one (to the hotline centre), and the answer says so."""
import pytest

from jiesu.core.errors import DomainError
from jiesu.tickets import services
from jiesu.tickets.models import Ticket, TicketEvent
from tests.tickets.test_api import BODY, client_for, post

SHANGHAI = {"lon": 121.47, "lat": 31.23, "coord_system": "gcj02"}


def test_a_point_outside_the_city_is_left_out_and_the_place_chosen_is_kept(world, client):
    response = post(client_for(client, world.call_taker), "/api/v1/tickets", {**BODY, **SHANGHAI})
    assert response.status_code == 201
    body = response.json()
    assert body["lon"] is None and body["lat"] is None and body["street"] == "110101001"
    assert body["place_note"].startswith("坐标不在本市范围内") and "按地址或选定的位置定位" in body["place_note"]
    event = TicketEvent.objects.get(ticket_id=body["id"], kind="intake")
    assert event.payload["point_outside"]["lon"] == 121.47 and event.payload["point_outside"]["coord_system"] == "gcj02"


def test_a_point_outside_the_city_and_nothing_else_goes_to_the_hotline_centre(world, client):
    body = {k: v for k, v in BODY.items() if k != "street"}
    response = post(client_for(client, world.call_taker), "/api/v1/tickets", {**body, **SHANGHAI})
    assert response.status_code == 201
    assert "12345热线中心" in response.json()["place_note"]
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert ticket.district_id is None and ticket.lon is None
    event = TicketEvent.objects.get(ticket=ticket, kind="intake")
    assert event.payload["point_outside"]["reason"][0] == "point_outside"
    assert event.payload["no_place"] == event.payload["point_outside"]["reason"], "why no place: the point, not 'nothing given'"


def test_a_point_inside_the_city_says_nothing(world, client):
    response = post(client_for(client, world.call_taker), "/api/v1/tickets", BODY)
    assert response.status_code == 201 and response.json()["place_note"] is None


def test_the_call_takers_form_still_refuses_it_on_the_field(world):
    """A call-taker's typo is corrected while the caller is on the line: only the API leaves the point out."""
    with pytest.raises(DomainError) as refused:
        services.create_ticket(world.call_taker, services.IntakeData(text="路灯不亮，晚上很黑", lon=121.47, lat=31.23))
    assert refused.value.field == "lon" and Ticket.objects.count() == 0
