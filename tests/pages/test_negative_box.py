"""The box 「已核实：越过负面清单派单」 in a real browser (audit 10): it stays only while the form holds a unit the
refusal named, unticked when it goes, shown again when a refused unit is chosen again."""
import pytest

from jiesu.categories.models import Duty
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login, pick


def refused_on_the_ticket_page(page, live_server, world):
    """The ticket page's dispatch form after a refusal of 东华门街道: (ticket, form, box label, box)."""
    Duty.objects.create(category=world.category, unit_kind="street", negative=True)
    ticket = new_ticket(world)
    login(page, live_server, "disp")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    form = page.locator("#act-dispatch form.dispatch-form")
    pick(page, f"#pick-lead_unit-{ticket.pk}", "东华门街道")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    label = form.locator("label.confirm-negative")
    return ticket, form, label, label.locator("input[name=confirm_negative]")


@pytest.mark.django_db(transaction=True)
def test_choosing_another_lead_hides_and_unticks_the_box_and_the_refused_one_shows_it_again(live_server, page,
                                                                                            world):
    ticket, form, label, box = refused_on_the_ticket_page(page, live_server, world)
    assert label.is_visible() and not box.is_checked()
    box.check()
    pick(page, f"#pick-lead_unit-{ticket.pk}", "市人力资源")
    label.wait_for(state="hidden")
    assert not box.is_checked()
    pick(page, f"#pick-lead_unit-{ticket.pk}", "东华门街道")
    label.wait_for(state="visible")
    assert not box.is_checked()  # shown again, to be ticked again: a decision is not carried over silently


@pytest.mark.django_db(transaction=True)
def test_a_refused_co_unit_shows_the_box_and_removing_it_hides_it(live_server, page, world):
    ticket, form, label, box = refused_on_the_ticket_page(page, live_server, world)
    pick(page, f"#pick-lead_unit-{ticket.pk}", "市人力资源")
    label.wait_for(state="hidden")
    page.fill(f"#pick-co_units-{ticket.pk}", "东华门街道")
    page.press(f"#pick-co_units-{ticket.pk}", "Enter")
    form.locator(".chips .chip").first.wait_for()
    label.wait_for(state="visible")
    form.locator(".chips .chip-x").first.click()
    label.wait_for(state="hidden")


@pytest.mark.django_db(transaction=True)
def test_a_box_ticked_then_left_behind_confirms_nothing(live_server, page, world):
    """Ticked for the street, then the dispatcher chose a department: it is dispatched there with no override."""
    ticket, form, label, box = refused_on_the_ticket_page(page, live_server, world)
    box.check()
    form.locator(f"#note-{ticket.pk}").fill("该路段由街道统一管理")
    pick(page, f"#pick-lead_unit-{ticket.pk}", "市人力资源")
    label.wait_for(state="hidden")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages .success").count() == 1
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.lead_unit == world.dept
    assert "negative_override" not in ticket.events.get(kind="dispatch").payload
