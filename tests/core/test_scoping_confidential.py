"""Who reads a report (举报) or a confidential (保密) ticket, and the hotline's pool awaiting dispatch (audit 11,
finding 10): the hotline and the units it is dispatched to; never a unit for its territory."""
import json

import pytest

from jiesu.accounts.models import ApiToken, Role, User
from jiesu.core import scoping
from jiesu.grids import scoping as grid_scoping
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tests.tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tests.tickets.helpers import new_ticket

ACCUSATION = "举报东华门街道城管执法队员长期收受王府井摊贩好处费，请纪检部门调查，我怕被打击报复"


@pytest.fixture
def people(world):
    """Every user of the world, and a street supervisor and grid leader of the territory besides."""
    w = world
    w.street_leader = User.objects.create_user("leader", password="pw", role=Role.SUPERVISOR, unit=w.street)
    w.grid_staff = User.objects.create_user("gs", password="pw", role=Role.UNIT_STAFF, unit=w.grid)
    return w


def users(w):
    return [w.call_taker, w.dispatcher, w.callback_agent, w.supervisor, w.street_staff, w.street_b_staff,
            w.district_staff, w.dept_staff, w.dept2_staff, w.grid_worker, w.citizen, w.street_leader, w.grid_staff]


def readers(w, ticket):
    """The usernames that may read `ticket`, asked of can_view, after checking visible_tickets agrees."""
    found = set()
    for user in users(w):
        one = scoping.can_view(user, ticket)
        assert one == scoping.visible_tickets(user).filter(pk=ticket.pk).exists(), user.username
        if one:
            found.add(user.username)
    return found


HOTLINE = {"ct", "disp", "cb", "sup"}  # call-taker, dispatcher, callback agent, the city's supervisor


def report(w, **kw):
    return new_ticket(w, text=ACCUSATION, request_type="report", confidential=True, citizen_name="卫七",
                      citizen_phone="13877770001", **kw)


def test_a_report_is_read_by_the_hotline_only_until_it_is_dispatched(people):
    w = people
    ticket = report(w, street_code=w.grid.code)
    assert ticket.grid_id == w.grid.pk and ticket.state == "new"
    assert readers(w, ticket) == HOTLINE


def test_a_report_dispatched_elsewhere_stays_away_from_the_territory_it_accuses(people):
    w = people
    ticket = report(w, street_code=w.grid.code)
    services.dispatch(w.dispatcher, ticket, w.dept2.pk)  # the supervising department, not the street
    assert readers(w, ticket) == HOTLINE | {"dp2"}


def test_a_report_dispatched_to_a_street_is_read_by_it_and_the_district_it_copies(people):
    w = people
    ticket = report(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk, [w.dept.pk])
    assert readers(w, ticket) == HOTLINE | {"st", "leader", "ds", "dp"}


@pytest.mark.parametrize("kind", ["report", "confidential"])
def test_either_mark_alone_withholds_it(people, kind):
    w = people
    ticket = new_ticket(w, **({"request_type": "report"} if kind == "report" else {"confidential": True}))
    services.dispatch(w.dispatcher, ticket, w.dept2.pk)
    assert readers(w, ticket) == HOTLINE | {"dp2"}


def test_an_ordinary_ticket_reaches_its_territory_once_dispatched(people):
    w = people
    ticket = new_ticket(w, street_code=w.grid.code)
    assert readers(w, ticket) == HOTLINE  # the hotline's pool: not yet decided who handles it
    services.dispatch(w.dispatcher, ticket, w.dept2.pk)
    assert readers(w, ticket) == HOTLINE | {"dp2", "st", "leader", "ds", "gw", "gs"}


def test_the_citizen_who_submitted_it_reads_it(people):
    w = people
    mine, _ = services.create_ticket(w.citizen, services.IntakeData(
        text=ACCUSATION, channel="web", street_code=w.street.code, request_type="report", confidential=True))
    assert readers(w, mine) == HOTLINE | {"cz"}


def test_a_grid_workers_own_report_left_to_the_hotline_is_theirs_to_read(people):
    w = people
    ticket, _ = services.create_ticket(w.grid_worker, services.IntakeData(
        text="王府井大街井盖缺失", channel="patrol", street_code=w.grid.code))
    assert ticket.state == "new" and ticket.created_by == w.grid_worker
    assert readers(w, ticket) == HOTLINE | {"gw"}


def test_the_grid_page_lists_no_report_and_its_ticket_page_refuses_it(people):
    w = people
    hidden = report(w, street_code=w.grid.code)
    services.dispatch(w.dispatcher, hidden, w.dept2.pk)
    shown = new_ticket(w, street_code=w.grid.code)
    services.dispatch(w.dispatcher, shown, w.dept2.pk)
    waiting = new_ticket(w, street_code=w.grid.code)
    for user in (w.street_staff, w.grid_worker, w.grid_staff):
        assert list(grid_scoping.grid_tickets(user).filter(grid=w.grid)) == [shown], user.username
        assert not grid_scoping.can_see_ticket(user, hidden) and not grid_scoping.can_see_ticket(user, waiting)
        assert grid_scoping.can_see_ticket(user, shown)
    assert set(grid_scoping.grid_tickets(w.dispatcher).filter(grid=w.grid)) == {hidden, shown, waiting}


def test_the_auditors_steps_over_http(people, client):
    """finding 10's steps: the street's list of 待派单 and the report's page, the API as every territorial user."""
    w = people
    token = ApiToken.objects.create(user=w.call_taker, name="t")
    created = client.post("/api/v1/tickets", json.dumps({
        "text": ACCUSATION, "request_type": "report", "confidential": True, "street": w.street.code,
        "citizen_name": "卫七", "citizen_phone": "13877770001"}), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert created.status_code == 201
    pk = created.json()["id"]
    client.force_login(w.street_staff)
    listing = client.get("/tickets/?state=new").content.decode()
    assert Ticket.objects.get(pk=pk).number not in listing and "卫*" not in listing
    assert client.get(f"/tickets/{pk}/").status_code == 403
    for user in (w.street_staff, w.street_leader, w.district_staff, w.grid_worker):
        key = ApiToken.objects.create(user=user, name="t").key
        one = client.get(f"/api/v1/tickets/{pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
        assert one.status_code in (403, 404) and "好处费" not in one.content.decode(), user.username
        listed = client.get("/api/v1/tickets", HTTP_AUTHORIZATION=f"Bearer {key}").json()
        assert pk not in [t["id"] for t in listed.get("items", listed)], user.username
    one = client.get(f"/api/v1/tickets/{pk}", HTTP_AUTHORIZATION=f"Bearer {token.key}")
    assert one.status_code == 200 and "好处费" in one.json()["text"]
