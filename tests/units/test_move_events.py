"""A unit moved (a community to another street, a grid to another community) or merged: every open ticket of it
says so in its history — one `unit_moved` event per ticket, naming the unit, its parent before and after, and who
moved it — written in batches (one INSERT per batch, not one per ticket), so a unit with 50,000 open tickets moves
fast. Closed tickets keep their history as it was (they were handled and assessed where they were)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from jiesu.core.templatetags.jiesu_ui import event_details, event_label
from jiesu.tickets import services as tickets
from jiesu.tickets.models import TicketEvent
from jiesu.units import services
from jiesu.units.models import Unit
from tests.tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tests.tickets.helpers import new_ticket
from tests.units.test_api import admin_client  # noqa: F401  (fixture)
from tests.units.test_reorganisation import change, errors_of


def moves_of(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind="unit_moved"))


@pytest.mark.django_db
def test_a_community_moved_writes_one_event_on_each_open_ticket_saying_from_to_and_who(world, admin_client):
    open_ticket = new_ticket(world, street_code=world.grid.code)
    tickets.dispatch(world.dispatcher, open_ticket, world.dept.pk)
    waiting = new_ticket(world, street_code=world.community.code)  # not dispatched yet: open too
    closed = new_ticket(world, street_code=world.grid.code)
    tickets.close_special(world.dispatcher, closed, "market")
    elsewhere = new_ticket(world)  # placed at the street itself: the community's move is not its business

    response = change(admin_client, world.community, parent=world.street_b.pk, code="110102001009")
    assert response.status_code == 302, errors_of(response)

    admin = response.wsgi_request.user
    for ticket in (open_ticket, waiting):
        ticket.refresh_from_db()
        [event] = moves_of(ticket)
        assert event.actor_id == admin.pk
        assert event.from_state == event.to_state == ticket.state
        p = event.payload
        assert p["unit"] == {"id": world.community.pk, "code": "110102001009", "name": world.community.name,
                             "old_code": world.community.code}
        assert p["from"] == {"id": world.street.pk, "code": world.street.code, "name": world.street.name}
        assert p["to"] == {"id": world.street_b.pk, "code": world.street_b.code, "name": world.street_b.name}
        with translation.override("zh-hans"):
            assert event_label(event.kind) == "所属组织调整"
            said = "；".join(str(d) for d in event_details(event))
        assert world.street.name in said and world.street_b.name in said and world.community.name in said, said
    assert moves_of(closed) == [] and moves_of(elsewhere) == []


@pytest.mark.django_db
def test_a_grid_moved_to_another_community_writes_the_event(world, admin_client):
    other = Unit.objects.create(code="110101001002", name="东华门第二社区", kind="community", parent=world.street)
    ticket = new_ticket(world, street_code=world.grid.code)
    response = change(admin_client, world.grid, parent=other.pk, code="110101001002001")
    assert response.status_code == 302, errors_of(response)
    [event] = moves_of(ticket)
    assert (event.payload["from"]["id"], event.payload["to"]["id"]) == (world.community.pk, other.pk)
    ticket.refresh_from_db()
    assert ticket.community_id == other.pk


@pytest.mark.django_db
def test_renaming_or_editing_without_a_move_writes_no_event(world, admin_client):
    ticket = new_ticket(world, street_code=world.grid.code)
    response = change(admin_client, world.community, name="东华门新社区", phone="010-1234")
    assert response.status_code == 302, errors_of(response)
    assert moves_of(ticket) == []


@pytest.mark.django_db
def test_a_merge_writes_one_event_on_each_open_ticket_of_the_street_and_below(world, admin_client):
    at_street = new_ticket(world)  # placed at the street itself
    in_grid = new_ticket(world, street_code=world.grid.code)
    for t in (at_street, in_grid):
        tickets.dispatch(world.dispatcher, t, world.dept.pk)
    response = admin_client.post("/admin/units/unit/", {
        "action": "merge_into", "_selected_action": [world.street.pk], "into": world.street_b.code}, follow=True)
    assert not Unit.objects.get(pk=world.street.pk).active
    admin = response.wsgi_request.user

    [event] = moves_of(at_street)  # the street itself went into street_b
    assert event.actor_id == admin.pk and event.payload["merged_into"] == {
        "id": world.street_b.pk, "code": world.street_b.code, "name": world.street_b.name}
    assert event.payload["unit"]["id"] == world.street.pk
    [event] = moves_of(in_grid)  # its community now hangs under street_b: once, not twice
    assert event.payload["unit"]["id"] == world.community.pk
    assert (event.payload["from"]["id"], event.payload["to"]["id"]) == (world.street.pk, world.street_b.pk)


@pytest.mark.django_db
def test_the_events_are_written_in_batches_not_one_insert_per_ticket(world):
    made = [new_ticket(world, street_code=world.grid.code) for _i in range(12)]
    community = Unit.objects.get(pk=world.community.pk)
    old_path, old_code = community.path, community.code
    community.parent, community.code = world.street_b, "110102001009"
    community.save()
    with CaptureQueriesContext(connection) as seen:
        services.refresh_subtree(community, old_path, old_code, user=world.supervisor)
    inserts = [q for q in seen.captured_queries
               if q["sql"].startswith("INSERT") and TicketEvent._meta.db_table in q["sql"]]
    assert len(inserts) == 1, [q["sql"][:80] for q in inserts]
    assert TicketEvent.objects.filter(ticket__in=made, kind="unit_moved", actor=world.supervisor).count() == 12
