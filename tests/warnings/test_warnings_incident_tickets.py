"""A sensor incident's ticket on the risk page and in the readings API: its number, state and link only for who may
read the ticket (scoping.visible_tickets); who may only see the sensor (its district, its street, its own unit before
the hotline dispatched the ticket) reads a neutral 「已生成工单（无权查看）」. A confidential ticket dispatched to a
department stays out of the street's and the district's sight."""
from django.test import Client
from django.urls import reverse

from jiesu.tickets import services as ticket_services
from jiesu.tickets.models import Ticket
from jiesu.warnings.models import SensorIncident
from test_warnings_sensors import client_for, reading, registered  # noqa: F401  (a fixture)

NEUTRAL = "已生成工单（无权查看）"


def incidents_table(user):
    c = Client()
    c.force_login(user)
    r = c.get("/warnings/")
    assert r.status_code == 200
    return r.content.decode().split('id="sensors"')[1]


def shows(user, ticket):
    """Whether the page's incidents table shows the ticket (number and link), else the neutral words."""
    html = incidents_table(user)
    link = reverse("ticket_detail", args=[ticket.pk])
    if ticket.number in html:
        assert f'href="{link}"' in html and ticket.get_state_display() in html and NEUTRAL not in html
        return True
    assert f'href="{link}"' not in html and NEUTRAL in html
    return False


def test_an_undispatched_sensor_ticket_is_the_hotlines_until_dispatched(world, registered):
    posted = reading(registered, 0.9)                               # the street's gateway, the sensor's owner
    assert posted.status_code == 201
    body = posted.json()
    assert body["ticket_created"] is True and body["incident"] is not None
    assert body["ticket"] is None                                    # a ticket it may not read yet: no number
    ticket = SensorIncident.objects.get().ticket
    assert shows(world.supervisor, ticket) and shows(world.dispatcher, ticket)
    assert not shows(world.district_staff, ticket) and not shows(world.street_staff, ticket)
    ticket_services.dispatch(world.dispatcher, ticket, world.donghuamen.pk)
    ticket.refresh_from_db()
    assert shows(world.street_staff, ticket) and shows(world.district_staff, ticket)   # plain tickets still show
    again = reading(registered, 0.95, minutes_ago=0.5).json()        # joins the incident: now the street's ticket
    assert again["ticket"] == ticket.number and again["incident"] == body["incident"]


def test_a_confidential_sensor_ticket_dispatched_elsewhere_stays_out_of_their_sight(world, registered):
    first = reading(registered, 0.9).json()
    ticket = SensorIncident.objects.get().ticket
    Ticket.objects.filter(pk=ticket.pk).update(confidential=True)
    ticket.refresh_from_db()
    ticket_services.dispatch(world.dispatcher, ticket, world.dept.pk)
    ticket.refresh_from_db()
    for user in (world.street_staff, world.district_staff):
        assert not shows(user, ticket)
        assert ticket.title not in incidents_table(user)
    assert shows(world.supervisor, ticket) and shows(world.dispatcher, ticket)
    again = reading(registered, 0.95, minutes_ago=0.5).json()
    assert again["incident"] == first["incident"] and again["ticket"] is None
    by_admin = reading(client_for(world.admin), 0.97, minutes_ago=0.2).json()
    assert by_admin["ticket"] == ticket.number                       # the administrator reads every ticket
