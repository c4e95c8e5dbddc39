"""The dispatch form refuses a unit the negative list (负面清单) bars, then dispatches it once the box is ticked."""
import pytest

from jiesu.categories.models import Duty
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login, pick


@pytest.mark.django_db(transaction=True)
def test_the_dispatch_form_refuses_a_barred_unit_then_dispatches_it_when_confirmed(live_server, page, world):
    duty = Duty.objects.create(category=world.category, unit_kind="street", negative=True)
    ticket = new_ticket(world)
    login(page, live_server, "disp")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    form = page.locator("#act-dispatch form.dispatch-form")
    assert form.locator("input[name=confirm_negative]").count() == 0
    pick(page, f"#pick-lead_unit-{ticket.pk}", "东华门街道")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    entry = f"负面清单 #{duty.pk}：「占道经营」不得派给 东华门街道（所在街道）"
    assert entry in page.locator(".messages .error").inner_text()
    assert entry in form.locator(".field-error").first.inner_text()  # beside the lead unit
    assert Ticket.objects.get(pk=ticket.pk).state == "new"
    box = form.locator("input[name=confirm_negative]")
    assert form.locator("input[type=hidden][name=lead_unit]").input_value() == str(world.street.pk)  # kept
    box.check()
    form.locator("button[type=submit]").click()  # no reason yet: refused on the note, the box kept ticked
    page.wait_for_load_state()
    assert "越过负面清单派单须填写理由" in form.locator(".field-error").first.inner_text()
    assert box.is_checked()
    form.locator(f"#note-{ticket.pk}").fill("该路段由街道统一管理")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages .success").count() == 1
    ticket.refresh_from_db()
    assert ticket.state == "dispatched" and ticket.lead_unit == world.street
    assert f"越过负面清单派单：#{duty.pk} 东华门街道（理由：该路段由街道统一管理）" in page.locator("ol.timeline").inner_text()
