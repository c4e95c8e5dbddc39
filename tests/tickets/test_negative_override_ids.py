"""A re-handling (重办) under a recorded negative-list override (负面清单) matches it by ids: the entry's and the unit's
(services.same_entry). A unit renamed since is still the unit overridden; a namesake in another district (八里庄街道
of 朝阳区 and of 海淀区) is another unit; an override recorded before the facts held unit ids is matched by the unit's
name, its dispatch's lead unit by the event's lead_id. The words shown keep the names as recorded."""
import pytest

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Duty
from jiesu.tickets import services
from jiesu.tickets.models import State
from jiesu.units.models import Unit
from tests.tickets.helpers import new_ticket, reply_to

REASON = "该摊点在街道管辖的步行街内"


@pytest.fixture
def barred(world):
    """Tickets of 占道经营 must not go to a street (东华门街道, 西长安街街道)."""
    return Duty.objects.create(category=world.category, unit_kind="street", negative=True)


def dissatisfied(world, ticket):
    services.record_callback(world.callback_agent, ticket, True, "unresolved", "dissatisfied")
    ticket.refresh_from_db()
    return ticket.events.filter(kind="callback").latest("id")


def rename(unit, name):
    unit.name = name
    unit.save()


def written_before_unit_ids(ticket):
    """The ticket's dispatch event as one written before the facts held unit ids."""
    event = ticket.events.get(kind="dispatch")
    event.payload["negative_override"] = [{k: v for k, v in o.items() if k != "unit_id"}
                                          for o in event.payload["negative_override"]]
    event.save(update_fields=["payload"])
    return event


# ── the match ──────────────────────────────────────────────────────────────

def test_same_entry_matches_ids_when_both_have_them_and_names_otherwise():
    recorded = {"duty": 52, "unit": "东华门街道", "unit_id": 7, "role": "lead"}
    assert services.same_entry(recorded, {"duty": 52, "unit": "东华门街道办事处", "unit_id": 7, "role": "lead"})
    assert not services.same_entry(recorded, {"duty": 52, "unit": "东华门街道", "unit_id": 8, "role": "lead"})
    assert not services.same_entry(recorded, {"duty": 53, "unit": "东华门街道", "unit_id": 7, "role": "lead"})
    old = {"duty": 52, "unit": "东华门街道", "role": "lead"}
    assert services.same_entry(old, {"duty": 52, "unit": "东华门街道", "unit_id": 8, "role": "lead"})
    assert not services.same_entry(old, {"duty": 52, "unit": "东华门街道办事处", "unit_id": 7, "role": "lead"})


# ── a unit renamed, namesakes ─────────────────────────────────────────────────

def test_a_unit_renamed_between_the_override_and_the_rehandling_is_still_the_unit_overridden(world, barred,
                                                                                             client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, note=REASON, confirm_negative=[world.street.pk])
    rename(world.street, "东华门街道办事处")
    reply_to(world, ticket, dispatch=False)
    event = dissatisfied(world, ticket)
    assert event.payload["outcome"] == "rehandle"
    assert (ticket.state, ticket.lead_unit, ticket.rehandle_round) == (State.DISPATCHED, world.street, 1)
    assert event.payload["negative_override_kept"] == [
        {"duty": barred.pk, "unit": "东华门街道", "unit_id": world.street.pk, "role": "lead", "reason": REASON}]
    client.force_login(world.dispatcher)
    history = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f"按此前越过负面清单派单的决定重办：#{barred.pk} 东华门街道（理由：{REASON}）" in history


def test_namesakes_in_two_districts_are_not_confused(world):
    """Dispatched to 朝阳区's 八里庄街道 past an entry barring it, 海淀区's as co unit (not barred then); the entry is
    then pointed at 海淀区's: its override for 朝阳区's does not carry 海淀区's (by name it did)."""
    chaoyang = Unit.objects.create(code="110105", name="朝阳区", kind="district", parent=world.city)
    haidian = Unit.objects.create(code="110108", name="海淀区", kind="district", parent=world.city)
    cy = Unit.objects.create(code="110105017", name="八里庄街道", kind="street", parent=chaoyang)
    hd = Unit.objects.create(code="110108022", name="八里庄街道", kind="street", parent=haidian)
    cy_staff = User.objects.create_user("cy", password="pw", role=Role.UNIT_STAFF, unit=cy)
    duty = Duty.objects.create(category=world.category, unit=cy, negative=True)
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, cy.pk, [hd.pk], note=REASON, confirm_negative=[cy.pk])
    assert ticket.events.get(kind="dispatch").payload["negative_override"] == [
        {"duty": duty.pk, "unit": "八里庄街道", "unit_id": cy.pk, "role": "lead", "reason": REASON}]
    Duty.objects.filter(pk=duty.pk).update(unit=hd)
    services.sign(cy_staff, ticket)
    services.contact(cy_staff, ticket, "")
    services.reply(cy_staff, ticket, "已清理占道摊点", True)
    event = dissatisfied(world, ticket)
    assert event.payload["outcome"] == "rehandle_barred"
    assert event.payload["negative_list"] == [{"duty": duty.pk, "unit": "八里庄街道", "unit_id": hd.pk, "role": "co"}]
    assert ticket.state == State.NEW and not ticket.assignments.filter(active=True).exists()


# ── events written before the facts held unit ids ─────────────────────────────

def test_an_old_override_without_ids_still_matches_by_name(world, barred):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, [world.street_b.pk], note=REASON,
                      confirm_negative=[world.street.pk, world.street_b.pk])
    written_before_unit_ids(ticket)
    reply_to(world, ticket, dispatch=False)
    event = dissatisfied(world, ticket)
    assert event.payload["outcome"] == "rehandle"
    assert event.payload["negative_override_kept"] == [  # the lead's id read from the dispatch's lead_id
        {"duty": barred.pk, "unit": "东华门街道", "role": "lead", "reason": REASON, "unit_id": world.street.pk},
        {"duty": barred.pk, "unit": "西长安街街道", "role": "co", "reason": REASON}]
    assert set(ticket.assignments.filter(active=True).values_list("unit_id", flat=True)) >= {
        world.street.pk, world.street_b.pk}


def test_an_old_override_of_a_lead_renamed_since_is_matched_by_the_dispatchs_lead_id(world, barred):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk, note=REASON, confirm_negative=[world.street.pk])
    written_before_unit_ids(ticket)
    rename(world.street, "东华门街道办事处")
    reply_to(world, ticket, dispatch=False)
    assert dissatisfied(world, ticket).payload["outcome"] == "rehandle"
