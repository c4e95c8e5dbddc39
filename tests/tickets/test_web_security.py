"""Attachments are served only within scope; the UI is Chinese unless the user chooses English."""
from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.tickets import services
from tests.tickets.helpers import new_ticket


def test_attachment_served_only_to_those_who_may_see_the_ticket(world, client):
    photo = SimpleUploadedFile("road.png", b"\x89PNG" + b"1" * 64, content_type="image/png")
    ticket = new_ticket(world, attachments=[photo])
    attachment = ticket.attachments.get()
    url = f"/tickets/{ticket.pk}/attachments/{attachment.pk}/"
    client.force_login(world.street_staff)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    client.force_login(world.street_b_staff)
    assert client.get(url).status_code == 403
    assert client.get(f"/media/{attachment.file.name}").status_code == 404


def test_chinese_by_default_even_for_english_browsers(world, client):
    client.force_login(world.call_taker)
    page = client.get("/intake/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert page["Content-Language"] == "zh-hans" and "受理" in page.content.decode()
    client.cookies["django_language"] = "en"
    english = client.get("/intake/")
    assert english["Content-Language"] == "en" and "Intake" in english.content.decode()


def test_opening_the_ticket_marks_the_units_notices_read(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    services.supervise(world.supervisor, ticket, "请加快")
    notice = ticket.notices.get()
    assert notice.read_at is None
    client.force_login(world.street_staff)
    client.get(f"/tickets/{ticket.pk}/")
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_arbitration_on_the_page_that_redispatches_is_logged_as_the_desks(world, client):
    from jiesu.dispatch.models import DispatchSuggestion

    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk)
    services.return_ticket(world.dept_staff, ticket, "不属于本单位职责")
    client.force_login(world.dispatcher)
    r = client.post(f"/tickets/{ticket.pk}/act/arbitrate/", {"decision": "uphold", "lead_unit": str(world.street.pk)})
    assert r.status_code == 302
    row = DispatchSuggestion.objects.get(ticket=ticket)
    assert (row.source, row.lead_unit_id, row.by) == ("desk", world.street.pk, world.dispatcher)
    ticket.refresh_from_db()
    assert ticket.lead_unit == world.street
