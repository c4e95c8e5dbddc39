"""The intake page's place line with a point and an address: it says what 受理 records, the address over a point
in a schematic boundary, in the words the intake event keeps."""
import pytest
from django.utils import translation

from dashboards.worlds import geo_world
from jiesu.accounts.models import Role, User
from jiesu.core.tests_support import force_login
from jiesu.dispatch.wording import word
from jiesu.tickets.models import Ticket, TicketEvent
from jiesu.tickets.queries import stored_parts
from jiesu.units.models import Unit


@pytest.mark.django_db(transaction=True)
def test_the_place_line_weighs_the_point_as_intake_records_it(live_server, page, settings):
    world = geo_world(settings)
    call_taker = User.objects.create_user("ct", password="pw", role=Role.CALL_TAKER,
                                          unit=Unit.objects.get(kind="hotline_center"))
    force_login(page, live_server, call_taker)
    page.goto(live_server.url + "/intake/")
    page.fill("#id_address", "东城区王府井大街")
    page.wait_for_function("document.getElementById('address-place').dataset.state === 'found'")
    assert "以地址为准" not in page.locator("#address-place").inner_text()  # the address alone
    page.fill("#id_lon", str(world.jingshan.center_lon))  # a point in 景山街道's schematic boundary
    page.fill("#id_lat", str(world.jingshan.center_lat))
    page.wait_for_function("document.getElementById('address-place').textContent.includes('以地址为准')")
    line = page.locator("#address-place").inner_text()
    page.fill("#id_text", "王府井大街路灯不亮，晚上很黑")
    page.click("#intake-form button[type=submit]")
    page.wait_for_url("**/tickets/*/")
    ticket = Ticket.objects.get()
    assert ticket.street_id == world.donghuamen.pk and ticket.lon == pytest.approx(world.jingshan.center_lon)
    recorded = TicketEvent.objects.get(ticket=ticket, kind="intake").payload["place"]
    with translation.override("zh-hans"):
        assert line == f"定位：东城区 · 东华门街道（{word(stored_parts(recorded['reason']))}）"
