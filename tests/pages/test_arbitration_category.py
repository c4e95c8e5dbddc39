"""退单审核 in a real browser: the dispatcher corrects the category with the unit (audit 11, finding 19); a category
that corrects nothing is refused next to its field, in Chinese, the form keeping what was chosen."""
import pytest

from jiesu.tickets import services
from jiesu.tickets.models import State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login, pick


@pytest.mark.django_db(transaction=True)
def test_an_upheld_return_corrects_the_category_with_the_unit(live_server, page, world):
    ticket = new_ticket(world, text="王府井大街楼下饭馆油烟扰民，燃气味也很重")
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    services.return_ticket(world.street_staff, ticket, "燃气不属于街道职责")
    login(page, live_server, "disp")
    page.goto(live_server.url + "/arbitration/")
    card = page.locator(f"#r{ticket.returns.get().pk}")
    pick(page, f"#pick-lead_unit-{ticket.pk}", "市市场监督管理局")
    pick(page, f"#pick-category-{ticket.pk}", "占道经营")
    card.locator("button[value=uphold]").click()
    page.wait_for_load_state()
    error = card.locator(".field-error")
    assert error.inner_text() == "诉求类别：工单已归为「占道经营」，无需更正。"
    assert page.input_value(f"#pick-lead_unit-{ticket.pk}") == "市市场监督管理局"  # kept for the second try
    assert Ticket.objects.get(pk=ticket.pk).state == State.RETURNED
    pick(page, f"#pick-category-{ticket.pk}", "燃气泄漏")
    card.locator(f"#arb-note-{ticket.pk}").fill("燃气归市场监管，类别改为燃气泄漏")
    card.locator("button[value=uphold]").click()
    page.wait_for_load_state()
    assert page.locator(".messages .success").count() == 1
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.state, ticket.category, ticket.lead_unit) == (State.DISPATCHED, world.gas, world.dept2)
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    assert "类别：占道经营 → 燃气泄漏" in page.locator("body").inner_text()
