"""The city dashboard's 超时 card in a browser: imported history past its deadline is left out of the number and
said under it in a small grey line."""
from datetime import timedelta

import pytest
from django.utils import timezone

from dashboards.worlds import geo_world, ticket_at
from jiesu.core.tests_support import force_login
from jiesu.kpi import services as kpi
from jiesu.tickets.models import State


@pytest.mark.django_db(transaction=True)
def test_the_overdue_card_says_how_many_imported_tickets_it_left_out(live_server, page, settings):
    world = geo_world(settings)
    now = timezone.now()
    for days, key in ((2, None), (40, "import:legacy:1"), (41, "import:legacy:2")):
        due = now - timedelta(days=days)
        ticket_at(world.donghuamen, due - timedelta(hours=1), lead_unit=world.donghuamen, state=State.DISPATCHED,
                  dispatch_due=due, reply_due=now - timedelta(hours=5), idempotency_key=key)
    kpi.rebuild()
    force_login(page, live_server, world.supervisor)
    page.goto(live_server.url + "/dashboards/")
    card = page.locator("[data-card=overdue]")
    assert card.locator(".value").inner_text() == "1"
    note = card.locator("[data-card-note]")
    assert note.is_visible() and note.inner_text() == "另有 2 件历史导入工单超期，未计入"
    sizes = note.evaluate("el => [getComputedStyle(el).fontSize, getComputedStyle(el.previousElementSibling).fontSize]")
    assert float(sizes[0].rstrip("px")) < float(sizes[1].rstrip("px"))  # smaller than the number it explains
    assert note.evaluate("el => getComputedStyle(el).color") == card.locator(".label").evaluate(
        "el => getComputedStyle(el).color")  # the labels' muted grey
