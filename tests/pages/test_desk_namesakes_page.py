"""The desk in a real browser tells two suggestions of one name apart (audit 11, finding 2): each 占道经营 with its
parents' path, and the flash of a dispatch by keys names the one sent."""
import re

import pytest

from dispatch.namesake_helpers import STALL, namesake_world  # noqa: F401  (fixture)
from jiesu.core.tests_support import force_login
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.tickets.models import State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket


@pytest.mark.django_db(transaction=True)
def test_the_panel_shows_the_two_paths_and_the_flash_the_one_dispatched(live_server, page, namesake_world):
    w = namesake_world
    ticket = new_ticket(w, text=STALL, category_code="")
    force_login(page, live_server, w.dispatcher)
    page.goto(live_server.url + "/dispatch/")
    page.wait_for_selector(f"#desk-{ticket.pk} input[name=rank][value='3']")
    panel = page.locator(f"#desk-{ticket.pk}")
    shown = [panel.locator(f"li[data-rank='{rank}'] .desk-cat").inner_text() for rank in "12"]
    assert shown == ["占道经营（城市管理部件与事件 / 街面秩序类）", "占道经营（城市管理 / 街面秩序）"]
    assert "东城区" in panel.locator("li[data-rank='1'] .desk-unit").inner_text()
    assert "东华门街道" in panel.locator("li[data-rank='2'] .desk-unit").inner_text()
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/dispatch/$"))
    flash = page.locator(".messages .success")
    flash.wait_for()
    assert f"{ticket.number} 已按第 2 条建议派单：占道经营（城市管理 / 街面秩序） → 东华门街道。" in flash.inner_text()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.state == State.DISPATCHED and ticket.category == w.category and ticket.lead_unit == w.street
    assert DispatchSuggestion.objects.get(ticket=ticket).category_rank == 2
