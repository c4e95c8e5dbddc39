"""Overriding the negative list (负面清单), audit 9: the 退单审核 form keeps the unit refused and its box confirms
only that unit; an override needs a reason, stored and shown; a re-handling the list now bars goes to the
dispatch queue; the API's boolean errors are in the user's language."""
import json
import re

import pytest

from jiesu.categories.models import Duty
from jiesu.tickets import services
from jiesu.tickets.models import AssignmentState, Callback, State
from tests.tickets.helpers import new_ticket, replied_ticket
from tests.tickets.test_negative_list import api, refusal


@pytest.fixture
def barred(world):
    """Tickets of 占道经营 must not go to a street (东华门街道, 西长安街街道)."""
    return Duty.objects.create(category=world.category, unit_kind="street", negative=True)


def returned_with_suggestion(world):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    return services.return_ticket(world.dept_staff, ticket, "不属于本单位职责", world.street_b.pk)


def arbitrate_form(ticket, world, page, **more):
    return {"decision": "uphold", "lead_unit": world.street.pk, "next": page, **more}


def picked_lead(page, ticket):
    """The unit id the 退单审核 form of `ticket` holds."""
    form = page[page.index(f'/tickets/{ticket.pk}/act/arbitrate/'):]
    return int(re.search(r'<input type="hidden" name="lead_unit" value="(\d*)"', form).group(1))


@pytest.mark.parametrize("page", ["/arbitration/", "ticket"])
def test_after_a_refusal_the_arbitration_form_keeps_the_unit_submitted(world, barred, client, page):
    ticket = returned_with_suggestion(world)
    page = f"/tickets/{ticket.pk}/" if page == "ticket" else page
    client.force_login(world.dispatcher)
    assert picked_lead(client.get(page).content.decode(), ticket) == world.street_b.pk  # the unit's suggestion
    shown = client.post(f"/tickets/{ticket.pk}/act/arbitrate/", arbitrate_form(ticket, world, page),
                        follow=True).content.decode()
    assert "东华门街道" in shown and picked_lead(shown, ticket) == world.street.pk
    assert f'name="negative_units" value="{world.street.pk}"' in shown


def test_the_box_ticked_for_the_refused_unit_dispatches_that_unit_with_the_reason(world, barred, client):
    ticket = returned_with_suggestion(world)
    client.force_login(world.dispatcher)
    url = f"/tickets/{ticket.pk}/act/arbitrate/"
    client.post(url, arbitrate_form(ticket, world, "/arbitration/"))
    client.post(url, arbitrate_form(ticket, world, "/arbitration/", confirm_negative="1",
                                    negative_units=world.street.pk, note="该摊点在街道管辖的步行街内"))
    ticket.refresh_from_db()
    assert ticket.lead_unit == world.street and ticket.state == State.DISPATCHED
    event = ticket.events.get(kind="arbitrate")
    assert event.payload["negative_override"] == [{"duty": barred.pk, "unit": "东华门街道",
                                                   "unit_id": world.street.pk, "role": "lead",
                                                   "reason": "该摊点在街道管辖的步行街内"}]
    history = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"越过负面清单派单：#{barred.pk} 东华门街道（理由：该摊点在街道管辖的步行街内）" in history


def test_a_box_ticked_for_another_unit_confirms_nothing(world, barred, client):
    """The box was shown for 东华门街道; posted with another barred unit it does not pass that one."""
    ticket = returned_with_suggestion(world)
    client.force_login(world.dispatcher)
    client.post(f"/tickets/{ticket.pk}/act/arbitrate/", arbitrate_form(
        ticket, world, "/arbitration/", lead_unit=world.street_b.pk, confirm_negative="1",
        negative_units=world.street.pk, note="已与街道核实"))
    ticket.refresh_from_db()
    assert ticket.state == State.RETURNED and ticket.lead_unit == world.dept
    assert not ticket.events.filter(kind="arbitrate").exists()
    page = client.get("/arbitration/").content.decode()
    assert "不得派给 西长安街街道" in page and f'name="negative_units" value="{world.street_b.pk}"' in page


def test_the_old_box_alone_confirms_nothing(world, barred, client):
    ticket = new_ticket(world)
    client.force_login(world.dispatcher)
    client.post(f"/tickets/{ticket.pk}/act/dispatch/", {"lead_unit": world.street.pk, "confirm_negative": "1",
                                                        "note": "已与街道核实"})
    ticket.refresh_from_db()
    assert ticket.state == State.NEW


def test_an_override_without_a_reason_is_refused_naming_the_note(world, barred):
    ticket = new_ticket(world)
    exc = refusal(lambda: services.dispatch(world.dispatcher, ticket, world.street.pk, confirm_negative=True))
    assert (exc.field, exc.code) == ("note", "negative_reason")
    assert exc.message.startswith("越过负面清单派单须填写理由")
    ticket.refresh_from_db()
    assert ticket.state == State.NEW
    services.dispatch(world.dispatcher, ticket, world.dept.pk, confirm_negative=True)  # nothing overridden
    assert "negative_override" not in ticket.events.get(kind="dispatch").payload


def test_the_page_keeps_the_box_ticked_when_the_reason_is_missing(world, barred, client):
    ticket = new_ticket(world)
    client.force_login(world.dispatcher)
    url = f"/tickets/{ticket.pk}/act/dispatch/"
    form = {"lead_unit": world.street.pk, "category": world.category.code}
    client.post(url, form)
    page = client.post(url, {**form, "confirm_negative": "1", "negative_units": world.street.pk},
                       follow=True).content.decode()
    assert "越过负面清单派单须填写理由" in page
    assert re.search(r'name="confirm_negative" value="1" id="confirm-negative-dispatch-\d+" checked', page)
    client.post(url, {**form, "confirm_negative": "1", "negative_units": world.street.pk, "note": "街道已同意"})
    ticket.refresh_from_db()
    assert ticket.lead_unit == world.street


def test_the_api_override_needs_a_note_and_stores_it(world, barred):
    ticket = new_ticket(world)
    post = api(world.dispatcher)
    url = f"/api/v1/tickets/{ticket.pk}/dispatch"
    refused = post(url, {"lead_unit": world.street.pk, "confirm_negative": True})
    assert refused.status_code == 400 and (refused.json()["field"], refused.json()["error"]) == (
        "note", "negative_reason")
    assert "越过负面清单派单须填写理由" in refused.json()["message"]
    assert post(url, {"lead_unit": world.street.pk, "confirm_negative": True, "note": "已与街道核实"}).status_code == 200
    assert ticket.events.get(kind="dispatch").payload["negative_override"][0]["reason"] == "已与街道核实"


@pytest.mark.parametrize("value", ["true", 1, "yes"])
def test_the_api_says_in_chinese_that_confirm_negative_is_a_boolean(world, barred, value):
    ticket = new_ticket(world)
    answer = api(world.dispatcher)(f"/api/v1/tickets/{ticket.pk}/dispatch",
                                   {"lead_unit": world.street.pk, "confirm_negative": value})
    assert answer.status_code in (400, 422)
    assert "越过负面清单派单（confirm_negative） 须为 true 或 false" in json.dumps(answer.json(), ensure_ascii=False)


# ── re-handling (重办) ────────────────────────────────────────────────────────

def test_a_rehandling_the_list_now_bars_goes_to_the_dispatch_queue_saying_why(world, client):
    ticket = replied_ticket(world)
    duty = Duty.objects.create(category=world.category, unit_kind="street", negative=True)
    services.record_callback(world.callback_agent, ticket, True, "unresolved", "dissatisfied")
    ticket.refresh_from_db()
    assert ticket.state == State.NEW and ticket.lead_unit is None and ticket.rehandle_round == 1
    assert not ticket.assignments.filter(active=True).exists()
    assert ticket.assignments.filter(state=AssignmentState.WITHDRAWN).exists()
    assert Callback.objects.filter(ticket=ticket, satisfied="dissatisfied").count() == 1
    event = ticket.events.get(kind="callback")
    assert event.payload["outcome"] == "rehandle_barred"
    assert event.payload["negative_list"] == [{"duty": duty.pk, "unit": "东华门街道", "unit_id": world.street.pk,
                                               "role": "lead"}]
    client.force_login(world.dispatcher)
    assert ticket.pk in [t.pk for t in client.get("/dispatch/").context["page"]]
    history = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"负面清单 #{duty.pk} 已禁止东华门街道接收「占道经营」，请重新派单" in history


def test_a_rehandling_nothing_bars_goes_back_to_the_unit(world):
    ticket = replied_ticket(world)
    services.record_callback(world.callback_agent, ticket, True, "unresolved", "dissatisfied")
    ticket.refresh_from_db()
    assert ticket.state == State.DISPATCHED and ticket.lead_unit == world.street and ticket.rehandle_round == 1
    assert ticket.events.get(kind="callback").payload["outcome"] == "rehandle"


def test_the_ticket_search_lists_the_tickets_dispatched_despite_the_list(world, barred, client):
    """Overrides are what a supervisor audits later: one filter finds them."""
    overridden, ordinary = new_ticket(world), new_ticket(world)
    services.dispatch(world.dispatcher, overridden, world.street.pk, note="属地兜底，已与街道确认",
                      confirm_negative=True)
    services.dispatch(world.dispatcher, ordinary, world.dept.pk)
    client.force_login(world.dispatcher)
    found = client.get("/tickets/", {"negative_override": "1"}).content.decode()
    assert overridden.number in found and ordinary.number not in found
    everything = client.get("/tickets/").content.decode()
    assert overridden.number in everything and ordinary.number in everything
    assert "越过负面清单派单的工单" in everything
