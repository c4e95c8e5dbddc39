"""A hot problem's ticket list shows each title as the ticket page does: masked for who may not reveal the contact
(audit 11, finding 21)."""
from django.test import Client
from django.urls import reverse

from jiesu.hotspots import services
from jiesu.hotspots.models import Hotspot
from tickets.helpers import new_ticket

from .conftest import SAME


def test_the_hotspot_page_masks_a_title_cut_from_a_callers_words(world):
    new_ticket(world, text="我叫韩梅梅，电话13912345678，" + SAME[0], title="", citizen_name="韩梅梅")
    for text in SAME[1:]:
        new_ticket(world, text=text)
    services.run_hotspots(days=30)
    hotspot = Hotspot.objects.get(street=world.street)
    client = Client()
    client.force_login(world.supervisor)
    page = client.get(reverse("hotspot_detail", args=[hotspot.pk])).content.decode()
    assert "我叫韩**，电话139****5678" in page and "13912345678" not in page
