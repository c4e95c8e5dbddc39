"""The dispatcher's desk in a real browser: suggestion #1 accepted with the keyboard (1, Enter), then J and 2.

Takes docs/screenshots/dispatch-desk.png.
"""
import re

import pytest

from dispatch.desk_helpers import GAS, desk_world  # noqa: F401  (fixture)
from jiesu.core.tests_support import force_login, screenshot
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.tickets.models import State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket


@pytest.mark.django_db(transaction=True)
def test_accept_suggestion_one_with_the_keyboard(live_server, page, desk_world):
    w = desk_world
    w.dispatcher.display_name = "李强"
    w.dispatcher.save(update_fields=["display_name"])
    stall = new_ticket(w, text="东华门大街12号门前有商贩长期占道经营，堵塞人行道，老人孩子只能绕行。")
    gas = new_ticket(w, text=GAS + "，请马上派人查看", category_code="")
    force_login(page, live_server, w.dispatcher)
    page.goto(live_server.url + "/dispatch/")
    # the engine is not loaded in this process yet: the panels come by HTMX
    page.wait_for_selector(f"#desk-{stall.pk} input[name=rank][value='3']")
    page.wait_for_selector(f"#desk-{gas.pk} input[name=rank][value='3']")
    first = page.locator(f"#desk-{stall.pk}")
    assert "占道经营" in first.locator("li[data-rank='1']").inner_text()
    assert "东华门街道" in first.locator("li[data-rank='1'] .desk-unit").inner_text()
    assert "按建议派单" in first.locator(".desk-keys").inner_text()  # the keys are documented on the page
    # the gas leak reads as an emergency: it is pinned first, and J moves on to the stall
    assert page.locator("section[data-desk]").first.get_attribute("id") == f"desk-{gas.pk}"
    page.keyboard.press("j")

    page.keyboard.press("1")
    assert first.locator("input[name=rank][value='1']").is_checked()
    screenshot(page, "dispatch-desk", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_selector(".messages .success")
    assert f"{stall.number} 已按第 1 条建议派单" in page.locator(".messages .success").inner_text()
    stall.refresh_from_db()
    assert stall.state == State.DISPATCHED and stall.lead_unit == w.street and stall.category == w.category
    row = DispatchSuggestion.objects.get(ticket=stall)
    assert row.accepted_rank == 1 and row.source == "desk" and row.by == w.dispatcher

    # the gas ticket is now the only one: 2 chooses 占道经营 → the street (the dispatcher knows better); it reads
    # as a gas leak, so Enter asks first: the confirmation takes the focus, nothing is dispatched
    page.wait_for_selector(f"#desk-{gas.pk}.desk-current")
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    hold = page.locator(f"#desk-{gas.pk} .desk-hold")
    page.wait_for_selector(f"#desk-{gas.pk} .desk-hold.desk-hold-asked")
    assert "燃气泄漏" in hold.inner_text() and "已核实，仍按建议派单" in hold.inner_text()
    assert page.evaluate("document.activeElement.name") == "confirm"
    assert Ticket.objects.get(pk=gas.pk).state == State.NEW
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dispatch/$"))
    page.wait_for_selector(".messages .success")
    gas = Ticket.objects.get(pk=gas.pk)
    assert gas.state == State.DISPATCHED and gas.lead_unit == w.street
    assert DispatchSuggestion.objects.get(ticket=gas).accepted_rank == 2
    assert page.locator("section[data-desk]").count() == 0  # the queue is empty


@pytest.mark.django_db(transaction=True)
def test_the_intake_panel_reads_a_long_description_and_the_title(live_server, page, desk_world):
    """The panel POSTs what is typed (a description of thousands of characters does not fit in a URL) and
    prompts the emergency line for wording in the title alone."""
    w = desk_world
    force_login(page, live_server, w.call_taker)
    page.goto(live_server.url + "/intake/")
    page.fill("#id_text", "市民来电反映情况，请相关部门尽快处理。" + "楼道里堆放杂物很多年了，" * 300)
    page.fill("#id_title", "3号楼着火了，有人被困")
    alert = page.locator('#intake-alerts [data-emergency="119"]')
    alert.wait_for()
    assert "火情：请立即转 119" in alert.inner_text()
    assert "Too Long" not in page.locator("#dup-panel").inner_text()
