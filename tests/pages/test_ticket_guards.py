"""Scoping, masking and intake refusals, in a real browser."""
import pytest

from jiesu.tickets import services
from jiesu.tickets.models import Attachment, Ticket, TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .test_ticket_flow import login, logout


@pytest.mark.django_db(transaction=True)
def test_street_cannot_open_another_streets_ticket(live_server, page, world):
    ticket = new_ticket(world)  # in 东华门街道
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    login(page, live_server, "stb")  # 西长安街街道
    response = page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    assert response.status == 403
    assert "403" in page.locator("main").inner_text()
    assert page.locator("a[href='/']").count() >= 1  # a way back
    assert ticket.title not in page.content() and "138" not in page.locator("main").inner_text()
    # nor can it act on it
    status = page.evaluate("""async (url) => {
        const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const r = await fetch(url, {method: 'POST', headers: {'X-CSRFToken': token}});
        return r.status; }""", live_server.url + f"/tickets/{ticket.pk}/act/sign/")
    assert status == 403
    ticket.refresh_from_db()
    assert ticket.state == "dispatched"
    # its own work list does not show it
    page.goto(live_server.url + "/work/")
    assert ticket.number not in page.content()


@pytest.mark.django_db(transaction=True)
def test_handling_unit_sees_masked_phone_and_reveal_is_recorded(live_server, page, world):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    login(page, live_server, "st")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    contact = page.locator(".card .contact-box")
    assert "138****5678" in contact.inner_text()
    assert "13812345678" not in page.content()
    assert "张*" in contact.inner_text()
    assert not TicketEvent.objects.filter(ticket=ticket, kind="contact_revealed").exists()
    contact.locator("button").click()  # 显示号码
    page.locator(".contact-box .phone", has_text="13812345678").wait_for()
    assert "张三" in page.locator(".card .contact-box").inner_text()
    event = TicketEvent.objects.get(ticket=ticket, kind="contact_revealed")
    assert event.actor == world.street_staff and event.actor_unit == world.street
    # the reveal shows in the timeline after a reload
    page.reload()
    assert page.locator("ol.timeline > li.ev-contact_revealed").count() == 1
    # a co-handling or copied unit (the district) sees the mask and no button
    logout(page)
    login(page, live_server, "ds")
    page.goto(live_server.url + f"/tickets/{ticket.pk}/")
    assert "138****5678" in page.locator(".card .contact-box").inner_text()
    assert page.locator(".contact-box button").count() == 0


@pytest.mark.django_db(transaction=True)
def test_intake_bad_input_shows_the_field_error_and_writes_nothing(live_server, page, world):
    before = (Ticket.objects.count(), TicketEvent.objects.count(), Attachment.objects.count())
    login(page, live_server, "ct")
    page.goto(live_server.url + "/intake/")
    # 1. no description
    page.fill("#id_citizen_name", "李四")
    page.fill("#id_citizen_phone", "13900002222")
    page.fill("#id_address", "王府井大街1号")
    page.click("#intake-form button[type=submit]")
    page.wait_for_load_state()
    field = page.locator(".field.has-error", has=page.locator("#id_text"))
    assert field.count() == 1
    assert field.locator(".field-error").inner_text().strip()
    assert page.input_value("#id_citizen_name") == "李四"  # nothing typed is lost
    assert page.input_value("#id_address") == "王府井大街1号"
    # 2. coordinates outside the city (Shanghai)
    page.fill("#id_text", "路灯不亮，晚上很黑")
    page.fill("#id_lon", "121.47")
    page.fill("#id_lat", "31.23")
    page.click("#intake-form button[type=submit]")
    page.wait_for_load_state()
    field = page.locator(".field.has-error", has=page.locator("#id_lon"))
    assert field.count() == 1
    assert field.locator(".field-error").inner_text().strip()
    assert page.input_value("#id_text") == "路灯不亮，晚上很黑"
    assert page.input_value("#id_lon") == "121.47"
    # 3. not a number
    page.fill("#id_lat", "北纬39度")
    page.click("#intake-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".field.has-error", has=page.locator("#id_lat")).count() == 1
    assert (Ticket.objects.count(), TicketEvent.objects.count(), Attachment.objects.count()) == before
