"""The negative list (负面清单) holds when a person dispatches: the service, the ticket page, the dispatch queue, the
API and the re-dispatch of an arbitration refuse a barred unit naming the field and the entry, and dispatch it
only when confirmed, the event naming the entries overridden."""
import json

import pytest
from django.test import Client
from django.utils import translation

from jiesu.accounts.models import ApiToken
from jiesu.categories.models import Duty
from jiesu.core.errors import DomainError
from jiesu.dispatch import services as desk
from jiesu.dispatch.router import RoutingTable
from jiesu.tickets import services
from jiesu.tickets.models import State, TicketEvent
from tests.tickets.helpers import new_ticket


@pytest.fixture
def barred(world):
    """占道经营's parent (街面秩序) bars the place's street: the entry on an ancestor applies to the leaf."""
    return Duty.objects.create(category=world.category.parent, unit_kind="street", negative=True)


def entry_words(duty, unit="东华门街道"):
    return f"负面清单 #{duty.pk}：「街面秩序」不得派给 {unit}（所在街道）"


def refusal(call):
    with pytest.raises(DomainError) as caught, translation.override("zh-hans"):
        call()
    return caught.value


def test_a_barred_lead_unit_is_refused_naming_the_field_and_the_entry(world, barred):
    ticket = new_ticket(world)
    exc = refusal(lambda: services.dispatch(world.dispatcher, ticket, world.street.pk))
    assert (exc.field, exc.code) == ("lead_unit", "negative_list")
    assert exc.message.startswith(entry_words(barred) + "。核实后")
    ticket.refresh_from_db()
    assert ticket.state == State.NEW and not ticket.assignments.exists()


def test_confirmed_it_is_dispatched_and_the_event_names_the_override(world, barred):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, note="街道已同意", confirm_negative=True)
    event = ticket.events.get(kind="dispatch")
    assert ticket.state == State.DISPATCHED and ticket.lead_unit == world.street
    assert event.payload["negative_override"] == [{"duty": barred.pk, "unit": "东华门街道",
                                                   "unit_id": world.street.pk, "role": "lead", "reason": "街道已同意"}]


def test_an_allowed_unit_needs_no_confirmation_and_the_event_says_nothing(world, barred):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk, [world.district.pk])
    assert "negative_override" not in ticket.events.get(kind="dispatch").payload


def test_a_barred_co_unit_is_refused_on_co_units(world):
    duty = Duty.objects.create(category=world.category, unit=world.dept2, negative=True)
    ticket = new_ticket(world)
    exc = refusal(lambda: services.dispatch(world.dispatcher, ticket, world.dept.pk, [world.dept2.pk]))
    assert exc.field == "co_units"
    assert exc.message.startswith(f"负面清单 #{duty.pk}：「占道经营」不得派给 市市场监督管理局。")
    services.dispatch(world.dispatcher, ticket, world.dept.pk, [world.dept2.pk], "已与街道核实", confirm_negative=True)
    assert ticket.events.get(kind="dispatch").payload["negative_override"][0]["role"] == "co"


def test_the_territory_decides_as_in_the_router(world):
    """An entry for another district does not bar; one for the ticket's district does."""
    Duty.objects.create(category=world.category, unit_kind="street", negative=True, territory=world.district_b)
    ticket = new_ticket(world)
    place = {"district": world.district, "street": world.street, "community": None, "grid": None}
    assert services.barred_units(world.category, place, [world.street]) == {}
    here = Duty.objects.create(category=world.category, unit_kind="street", negative=True, territory=world.district)
    assert services.barred_units(world.category, place, [world.street, world.dept]) == {world.street.pk: here}
    assert refusal(lambda: services.dispatch(world.dispatcher, ticket, world.street.pk)).field == "lead_unit"


def test_the_router_skips_what_the_service_refuses(world, barred):
    """One rule, read the same way: the router's suggestion never names the unit the service bars."""
    Duty.objects.create(category=world.category, unit_kind="street")
    table = RoutingTable({u.pk: u for u in type(world.street).objects.all()},
                         {c.pk: c for c in type(world.category).objects.all()}, list(Duty.objects.all()))
    top = table.route(world.category, world.street)[0]
    assert top.lead == world.district and f"#{barred.pk}" in top.explanation
    assert table.barring(world.category, world.street, world.street).id == barred.pk
    assert table.barring(world.category, world.street, world.district) is None


def test_the_desks_dispatch_is_refused_and_confirmed_the_same_way(world, barred):
    ticket = new_ticket(world)
    exc = refusal(lambda: desk.dispatch_and_log(world.dispatcher, ticket, world.street.pk, suggestions=[]))
    assert exc.field == "lead_unit"
    ticket, row = desk.dispatch_and_log(world.dispatcher, ticket, world.street.pk, suggestions=[],
                                        note="已与街道核实", confirm_negative=True)
    assert row.lead_unit_id == world.street.pk
    assert ticket.events.get(kind="dispatch").payload["negative_override"][0]["duty"] == barred.pk


def returned_ticket(world):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    return services.return_ticket(world.dept_staff, ticket, "不属于本单位职责")


def test_a_redispatch_after_a_return_is_held_to_the_list(world, barred):
    ticket = returned_ticket(world)
    exc = refusal(lambda: services.arbitrate(world.dispatcher, ticket, True, "", world.street.pk))
    assert exc.field == "lead_unit"
    ticket.refresh_from_db()
    assert ticket.state == State.RETURNED and ticket.lead_unit == world.dept
    services.arbitrate(world.dispatcher, ticket, True, "已与街道核实", world.street.pk, confirm_negative=True)
    event = ticket.events.get(kind="arbitrate")
    assert ticket.lead_unit == world.street and event.payload["negative_override"][0]["duty"] == barred.pk


# ── the pages ───────────────────────────────────────────────────────────────

def test_the_ticket_page_refuses_shows_the_box_then_dispatches_when_ticked(world, barred, client):
    ticket = new_ticket(world)
    client.force_login(world.dispatcher)
    url = f"/tickets/{ticket.pk}/act/dispatch/"
    form = {"lead_unit": world.street.pk, "category": world.category.code}
    page = client.post(url, form, follow=True).content.decode()
    assert entry_words(barred) in page and 'name="confirm_negative"' in page
    ticket.refresh_from_db()
    assert ticket.state == State.NEW
    assert 'name="confirm_negative"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()  # once only
    page = client.post(url, {**form, "confirm_negative": "1", "negative_units": world.street.pk, "note": "已与街道核实"},
                       follow=True).content.decode()
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED and ticket.lead_unit == world.street
    assert f"越过负面清单派单：#{barred.pk} 东华门街道（理由：已与街道核实）" in page  # the history


def test_the_dispatch_queue_refuses_and_offers_the_box_on_that_ticket(world, barred, client):
    ticket, other = new_ticket(world), new_ticket(world, text="西长安街路边有人占道摆摊卖水果")
    client.force_login(world.dispatcher)
    page = client.post(f"/tickets/{ticket.pk}/act/dispatch/", {"lead_unit": world.street.pk, "next": "/dispatch/"},
                       follow=True).content.decode()
    assert entry_words(barred) in page
    assert f'id="confirm-negative-dispatch-{ticket.pk}"' in page
    assert f'id="confirm-negative-dispatch-{other.pk}"' not in page
    client.post(f"/tickets/{ticket.pk}/act/dispatch/", {"lead_unit": world.street.pk, "confirm_negative": "1",
                                                        "negative_units": world.street.pk, "note": "已与街道核实",
                                                        "next": "/dispatch/"})
    ticket.refresh_from_db()
    assert ticket.lead_unit == world.street


def test_the_arbitration_queue_refuses_then_redispatches_when_ticked(world, barred, client):
    ticket = returned_ticket(world)
    client.force_login(world.dispatcher)
    form = {"decision": "uphold", "lead_unit": world.street.pk, "next": "/arbitration/"}
    page = client.post(f"/tickets/{ticket.pk}/act/arbitrate/", form, follow=True).content.decode()
    assert entry_words(barred) in page and f'id="confirm-negative-arbitrate-{ticket.pk}"' in page
    client.post(f"/tickets/{ticket.pk}/act/arbitrate/", {**form, "confirm_negative": "1",
                                                          "negative_units": world.street.pk, "note": "已与街道核实"})
    ticket.refresh_from_db()
    assert ticket.lead_unit == world.street and ticket.state == State.DISPATCHED


# ── the API ─────────────────────────────────────────────────────────────────

def api(user):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {ApiToken.objects.create(user=user, name='t').key}")
    return lambda url, body: client.post(url, json.dumps(body), content_type="application/json")


def test_the_api_answers_400_naming_the_field_and_dispatches_with_confirm_negative(world, barred):
    ticket = new_ticket(world)
    post = api(world.dispatcher)
    url = f"/api/v1/tickets/{ticket.pk}/dispatch"
    refused = post(url, {"lead_unit": world.street.pk})
    body = refused.json()
    assert refused.status_code == 400 and (body["field"], body["error"]) == ("lead_unit", "negative_list")
    assert body["message"].startswith(entry_words(barred)) and '"confirm_negative": true' in body["message"]
    assert post(url, {"lead_unit": world.street.pk, "confirm_negative": "yes"}).status_code in (400, 422)
    done = post(url, {"lead_unit": world.street.pk, "confirm_negative": True, "note": "已与街道核实"})
    assert done.status_code == 200 and done.json()["lead_unit"] == "东华门街道"
    event = TicketEvent.objects.get(ticket=ticket, kind="dispatch")
    assert event.payload["negative_override"] == [{"duty": barred.pk, "unit": "东华门街道",
                                                   "unit_id": world.street.pk, "role": "lead", "reason": "已与街道核实"}]


def test_the_api_arbitration_needs_confirm_negative_too(world, barred):
    ticket = returned_ticket(world)
    post = api(world.dispatcher)
    url = f"/api/v1/tickets/{ticket.pk}/arbitrate"
    refused = post(url, {"uphold": True, "lead_unit": world.street.pk})
    assert refused.status_code == 400 and refused.json()["field"] == "lead_unit"
    assert post(url, {"uphold": True, "lead_unit": world.street.pk, "confirm_negative": True,
                      "note": "已与街道核实"}).status_code == 200


def test_the_check_reads_the_catalogue_in_two_queries(world, barred, django_assert_num_queries):
    place = {"district": world.district, "street": world.street, "community": None, "grid": None}
    with django_assert_num_queries(2):  # the category's chain, its negative entries (none with a territory)
        found = services.barred_units(world.category, place, [world.street, world.district, world.dept])
    assert found == {world.street.pk: barred}
