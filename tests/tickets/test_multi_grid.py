"""A grid worker on several grids handles the tickets of every one of them (and of no other grid)."""
import pytest
from django.test import Client
from django.urls import reverse

from grids.conftest import gw  # noqa: F401  (fixture)
from jiesu.core import scoping
from jiesu.core.errors import Forbidden
from jiesu.tickets import services
from jiesu.tickets.models import Notice, State
from jiesu.tickets.services import IntakeData


def assigned_to(w, grid):
    ticket, _ = services.create_ticket(w.call_taker, IntakeData(
        text="小区门口暴露垃圾无人清运", citizen_name="张三", citizen_phone="13812345678",
        category_code=w.trash.code, street_code=w.street.code))
    return services.dispatch(w.dispatcher, ticket, grid.pk)


def test_a_worker_handles_a_ticket_of_their_second_grid(gw):  # noqa: F811
    assert gw.w1.unit == gw.g1 and scoping.acting_unit_ids(gw.w1) == {gw.g1.pk, gw.g2.pk}
    ticket = assigned_to(gw, gw.g2)
    assert services.relation_of(gw.w1, ticket) == "lead"
    assert scoping.can_view(gw.w1, ticket) and ticket in scoping.visible_tickets(gw.w1)
    assert services.reveal_contact(gw.w1, ticket)["phone"] == "13812345678"
    services.sign(gw.w1, ticket)
    services.contact(gw.w1, ticket, "已电话联系")
    ticket = services.reply(gw.w1, ticket, "已清运", True)
    assert ticket.state == State.REPLIED
    assignment = ticket.assignments.get(active=True, role="lead")
    assert assignment.unit == gw.g2 and assignment.signed_at and assignment.replied_at


def test_not_for_a_grid_they_are_not_on(gw):  # noqa: F811
    ticket = assigned_to(gw, gw.g3)
    assert services.relation_of(gw.w1, ticket) is None
    assert not scoping.can_view(gw.w1, ticket) and ticket not in scoping.visible_tickets(gw.w1)
    with pytest.raises(Forbidden):
        services.sign(gw.w1, ticket)
    assert services.relation_of(gw.w2, ticket) == "lead"  # g3's own worker
    services.sign(gw.w2, ticket)


def test_the_ticket_page_offers_the_second_grids_actions_and_reads_its_notices(gw):  # noqa: F811
    ticket = assigned_to(gw, gw.g2)
    Notice.objects.create(ticket=ticket, unit=gw.g2, kind="overdue", text="超时", created_at=ticket.created_at)
    client = Client()
    client.force_login(gw.w1)
    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert f'/tickets/{ticket.pk}/act/sign/' in html
    assert Notice.objects.get(ticket=ticket).read_at is not None
    other = assigned_to(gw, gw.g3)
    assert client.get(reverse("ticket_detail", args=[other.pk])).status_code in (403, 404)
