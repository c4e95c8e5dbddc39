"""What the pages show of a ticket's text to who may not reveal the contact (audit 11, finding 21)."""
from .test_text_masking import CONFIDENTIAL_TEXT, MASKED_TEXT, confidential  # noqa: F401 (a fixture)


def page_of(client, user, url):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_the_work_list_shows_the_unit_the_title_and_the_text_masked(world, client, confidential):
    page = page_of(client, world.street_staff, "/work/")
    assert "139****5678" in page and "110101********1234" in page
    assert "13912345678" not in page and "韩梅梅" not in page and "1391234567" not in page


def test_the_grid_page_of_a_ticket_masks_its_text_and_title(world, client, confidential):
    page = page_of(client, world.supervisor, f"/grids/tickets/{confidential.pk}/")
    assert MASKED_TEXT in page and "13912345678" not in page and "1391234567" not in page
    assert CONFIDENTIAL_TEXT in page_of(client, world.call_taker, f"/tickets/{confidential.pk}/")
