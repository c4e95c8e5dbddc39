"""What the desk says (audit 10): why it dropped a grid-first unit the negative list bars, and a street the
call-taker chose at intake worded as chosen (受理时选定), not as found in an address."""
from django.utils import translation

from jiesu.categories.models import Duty
from jiesu.dispatch import router
from jiesu.dispatch import services as desk
from tests.grids.conftest import gw  # noqa: F401  (the grid world's fixture)
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)
from .test_negative_grid_first import trash_ticket_and_suggestions


def test_the_suggestion_says_why_the_barred_grid_is_not_offered_first(gw):  # noqa: F811
    duty = Duty.objects.create(category=gw.trash, unit_kind="grid", negative=True)
    router.invalidate()
    with translation.override("zh-hans"):
        ticket, found = trash_ticket_and_suggestions(gw)
    trash = next(s for s in found if s.category == gw.trash)
    assert trash.mode != "grid_first"
    assert trash.explanation.endswith(f"；负面清单 #{duty.pk}：「暴露垃圾」不得派给 {gw.g1.name}，未建议网格先办")
    with translation.override("en"):
        ticket, found = trash_ticket_and_suggestions(gw)
    trash = next(s for s in found if s.category == gw.trash)
    assert trash.explanation.endswith(f"; negative list #{duty.pk}: “暴露垃圾” must not go to {gw.g1.name}, so the "
                                      "grid is not suggested to act first")


def test_an_unbarred_grid_first_says_nothing_of_the_list(gw):  # noqa: F811
    router.invalidate()
    with translation.override("zh-hans"):
        ticket, found = trash_ticket_and_suggestions(gw)
    assert found[0].mode == "grid_first" and "负面清单" not in found[0].explanation


def test_a_street_chosen_at_intake_is_worded_as_chosen(desk_world):  # noqa: F811
    w = desk_world
    chosen = new_ticket(w, address="东城区王府井大街")
    assert chosen.place_source == "chosen"
    with translation.override("zh-hans"):
        place = desk.suggestions_for(chosen).place
        assert place.reason == "受理时选定：东华门街道" and place.confidence > 0.95
    with translation.override("en"):
        assert place.reason == "chosen at intake: 东华门街道"


def test_a_street_found_from_the_address_keeps_the_addresss_reason(desk_world):  # noqa: F811
    w = desk_world
    from_address = new_ticket(w, street_code="", address="东城区王府井大街")
    with translation.override("zh-hans"):
        reason = desk.suggestions_for(from_address).place.reason
    assert "王府井大街" in reason and "受理时选定" not in reason


def test_a_place_from_coordinates_keeps_the_points_reason(gw):  # noqa: F811
    router.invalidate()
    with translation.override("zh-hans"):
        ticket, found = trash_ticket_and_suggestions(gw)
    assert ticket.place_source == "coordinates" and "受理时选定" not in found.place.reason
