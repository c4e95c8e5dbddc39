"""The citizen's progress page in Chromium, on a desktop and on a phone (390 × 844): the state and what happens next
are on the first screen, readable (text size, contrast), and nothing runs off the side (docs/citizen.md)."""
import pytest

from jiesu.core.tests_support import force_login
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket, reply_to

PHONE = {"width": 390, "height": 844}


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a, b):
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


LOOK = """el => {
  const rgb = s => s.match(/[0-9.]+/g).slice(0, 3).map(Number);
  let bg = null, node = el;
  while (node) { const c = getComputedStyle(node).backgroundColor;
    if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') { bg = rgb(c); break; } node = node.parentElement; }
  const box = el.getBoundingClientRect();
  return {size: parseFloat(getComputedStyle(el).fontSize), color: rgb(getComputedStyle(el).color),
          background: bg || [255, 255, 255], top: box.top, bottom: box.bottom};
}"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"])
def test_the_next_step_of_a_rehandled_request_is_readable_on_the_first_screen(world, live_server, page, viewport):
    t = new_ticket(world)
    Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    reply_to(world, Ticket.objects.get(pk=t.pk))
    services.record_callback(world.callback_agent, Ticket.objects.get(pk=t.pk), True, "unresolved", "dissatisfied")
    page.set_viewport_size(viewport)
    force_login(page, live_server, world.citizen)
    page.goto(f"{live_server.url}/tickets/{t.pk}/")
    said = page.locator("#next-step")
    assert "重新办理" in said.inner_text()
    look = said.evaluate(LOOK)
    assert look["size"] >= 14 and look["bottom"] <= viewport["height"]
    assert contrast(look["color"], look["background"]) >= 4.5
    badge = page.locator(".facts .badge").evaluate(LOOK)
    assert contrast(badge["color"], badge["background"]) >= 4.5
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@pytest.mark.django_db(transaction=True)
def test_my_requests_fits_a_phone(world, live_server, page):
    for _ in range(3):
        t = new_ticket(world)
        Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    page.set_viewport_size(PHONE)
    force_login(page, live_server, world.citizen)
    page.goto(f"{live_server.url}/my/")
    assert page.locator("table.list tbody tr").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("td .badge").first.inner_text() == "正在分派"
