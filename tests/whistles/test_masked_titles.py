"""A whistle's linked tickets show their titles as the ticket page does: a confidential ticket's citizen numbers and
name masked for the street that raises the whistle (audit 11, finding 21)."""
from django.test import Client

from .conftest import contacted_ticket, whistle

TYPED = "我叫韩梅梅，电话13912345678，东华门大街早市占道经营"


def page(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_the_linked_tickets_of_a_whistle_show_a_confidential_title_masked(world):
    ticket = contacted_ticket(world, text=TYPED, title=TYPED[:20], citizen_name="韩梅梅", confidential=True)
    w = whistle(world, tickets=[ticket])
    shown = page(world.chief, f"/whistles/{w.pk}/")
    assert ticket.number in shown and "韩**" in shown
    assert "13912345678" not in shown and "韩梅梅" not in shown


def test_the_whistle_form_shows_the_tickets_it_links_masked(world):
    ticket = contacted_ticket(world, text=TYPED, title=TYPED[:20], citizen_name="韩梅梅", confidential=True)
    shown = page(world.street_staff, f"/whistles/new/?tickets={ticket.number}")
    assert ticket.number in shown and "韩**" in shown and "韩梅梅" not in shown and "13912345678" not in shown


def test_the_whistle_prefilled_from_an_open_ticket_is_masked_even_for_its_lead_unit(world):
    """The lead unit's staff may reveal an ordinary ticket's contact, but the whistle goes to every summoned unit."""
    ticket = contacted_ticket(world, text=TYPED, title=TYPED[:20], citizen_name="韩梅梅")
    shown = page(world.street_staff, f"/whistles/new/?tickets={ticket.number}")
    assert 'value="我叫韩**，电话139****5678，"' in shown and ">我叫韩**，电话139****5678，东华门大街" in shown
