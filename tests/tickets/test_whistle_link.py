"""The 吹哨 link on the ticket page (lead street/department staff, open ticket) and on the grid ladder page."""
import pytest
from django.test import Client
from django.urls import reverse

from grids.conftest import gw  # noqa: F401  (fixture)
from jiesu.grids import services as grid_services
from jiesu.tickets import services
from tickets.helpers import new_ticket, replied_ticket
from whistles.conftest import ticket_world, world  # noqa: F401  (fixtures: the whistles' world over the tickets')


def page(user, url):
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def whistle_href(ticket):
    return f'{reverse("whistle_new")}?tickets={ticket.number}'


@pytest.mark.parametrize("lead", ["street", "dept"])
def test_the_lead_street_or_department_may_whistle_from_the_ticket(world, lead):  # noqa: F811
    ticket = new_ticket(world)
    unit, staff = (world.street, world.street_staff) if lead == "street" else (world.dept, world.dept_staff)
    services.dispatch(world.dispatcher, ticket, unit.pk, [world.dept2.pk])
    html = page(staff, reverse("ticket_detail", args=[ticket.pk]))
    assert f'href="{whistle_href(ticket)}"' in html and "吹哨" in html
    form = page(staff, whistle_href(ticket))  # the form links the ticket it was opened with
    assert ticket.number in form


def test_no_whistle_for_others_or_on_a_closed_ticket(world):  # noqa: F811
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, [world.dept2.pk])
    for user in (world.dept2_staff, world.dispatcher, world.supervisor, world.district_staff, world.call_taker):
        assert 'id="whistle-ticket"' not in page(user, reverse("ticket_detail", args=[ticket.pk])), user
    grid_ticket = new_ticket(world)
    services.dispatch(world.dispatcher, grid_ticket, world.grid.pk)  # a grid may not whistle, even as lead
    assert 'id="whistle-ticket"' not in page(world.grid_worker, reverse("ticket_detail", args=[grid_ticket.pk]))
    done = replied_ticket(world)
    assert 'id="whistle-ticket"' not in page(world.street_staff, reverse("ticket_detail", args=[done.pk]))


def test_the_grid_ladder_page_links_the_whistle_once_the_street_is_next(gw):  # noqa: F811
    report, _ = grid_services.file_report(gw.w1, grid_services.ReportData(
        text="暴露垃圾", category_code=gw.trash.code, lon=116.385, lat=39.915))
    ticket = report.ticket
    services.sign(gw.w1, ticket)
    assert whistle_href(ticket) not in page(gw.w1, reverse("grid_ticket", args=[ticket.pk]))  # next: the community
    grid_services.escalate(gw.w1, ticket, "需社区协调")
    assert f'href="{whistle_href(ticket)}"' in page(gw.community_staff, reverse("grid_ticket", args=[ticket.pk]))
