"""A citizen adds a photo to their open request from its page (补充材料): the lifecycle lets them (attach), the page
gave them no way; the page shows the photos they sent, not the units' (docs/citizen.md)."""
import re

from django.core.files.uploadedfile import SimpleUploadedFile

from jiesu.tickets import services
from jiesu.tickets.models import Attachment, Ticket
from tickets.helpers import new_ticket, reply_to


def png(name="scene.png"):
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n" + b"0" * 64, content_type="image/png")


def own(world):
    t = new_ticket(world)
    Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    return Ticket.objects.get(pk=t.pk)


def test_the_citizen_adds_a_photo_to_an_open_request_and_sees_it(world, citizen_client):
    t = own(world)
    html = citizen_client.get(f"/tickets/{t.pk}/").content.decode()
    form = re.search(r'(?s)<form[^>]*id="attach-form".*?</form>', html)
    assert form and 'enctype="multipart/form-data"' in form.group(0)
    assert re.search(r'<label for="attach-photo"', form.group(0)) and 'id="attach-photo"' in form.group(0)
    response = citizen_client.post(f"/tickets/{t.pk}/act/attach/", {"photo": png()})
    assert response.status_code == 302
    photo = Attachment.objects.get(ticket=t)
    assert photo.uploaded_by == world.citizen
    html = citizen_client.get(f"/tickets/{t.pk}/").content.decode()
    assert f"/tickets/{t.pk}/attachments/{photo.pk}/" in html
    assert citizen_client.get(f"/tickets/{t.pk}/attachments/{photo.pk}/").status_code == 200


def test_the_units_photos_are_not_listed_and_a_closed_request_takes_none(world, citizen_client):
    t = own(world)
    services.dispatch(world.dispatcher, t, world.street.pk)
    unit_photo = services.add_attachment(world.street_staff, Ticket.objects.get(pk=t.pk), png("inside.png"))
    html = citizen_client.get(f"/tickets/{t.pk}/").content.decode()
    assert f"/attachments/{unit_photo.pk}/" not in html
    reply_to(world, Ticket.objects.get(pk=t.pk), dispatch=False)
    services.record_callback(world.callback_agent, Ticket.objects.get(pk=t.pk), True, "resolved", "satisfied")
    assert 'id="attach-form"' not in citizen_client.get(f"/tickets/{t.pk}/").content.decode()
