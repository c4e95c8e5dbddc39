"""The intake panel says what the ticket's record will say (audit 11, finding 12): the repeat box compares the place
the ticket is recorded with, as the stored flag does, and the two similarities on the screen are named apart."""
import re

from jiesu.dispatch import duplicates
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from .test_duplicates_db import fresh_index  # noqa: F401  (autouse: a fresh index of open tickets)
from tickets.helpers import new_ticket

EARLIER = "东华门大街88号门口的路灯不亮，晚上很黑"
AGAIN = "东华门大街88号门口的路灯还是不亮，上次反映过了"
PHONE = "13811110001"


def panel(client, user, **params):
    client.force_login(user)
    return client.post("/intake-check/", {"text": AGAIN, "citizen_phone": PHONE, **params}).content.decode()


def stored_flag(world, street_code):
    """The flag the intake stores for the request once recorded (duplicates.after_intake → flag_repeats)."""
    ticket = new_ticket(world, text=AGAIN, citizen_phone=PHONE, street_code=street_code)
    duplicates.flag_repeats(world.call_taker, ticket)
    return ticket.events.get(kind=duplicates.PROPOSED)


def repeat_box(html):
    return re.search(r'<div class="dup-alert dup-repeat".*?</div>\s*</div>\s*</div>', html, re.S).group(0)


def test_a_place_read_only_in_the_description_is_not_shown_as_the_same_street_the_record_denies(world, client):
    earlier = new_ticket(world, text=EARLIER, citizen_phone=PHONE)
    html = panel(client, world.call_taker)
    box = repeat_box(html)
    assert f'data-repeat="{earlier.pk}"' in box and "地点未知" in box and "同街道" not in box
    assert "data-place-from-text" in box
    assert "同街道" in html  # the similar list still compares the place read in the description, and says so
    flag = stored_flag(world, "")
    assert flag.payload["place_reason"] == "unknown" and "地点未知" in flag.note
    assert f"全文相似 {flag.payload['text_similarity']:.0%}" in box


def test_a_chosen_street_is_compared_in_the_box_and_the_flag_alike(world, client):
    new_ticket(world, text=EARLIER, citizen_phone=PHONE)
    box = repeat_box(panel(client, world.call_taker, street=world.street.code))
    assert "同街道" in box and "data-place-from-text" not in box
    flag = stored_flag(world, world.street.code)
    assert flag.payload["place_reason"] == "street" and "同街道" in flag.note
    assert f"全文相似 {flag.payload['text_similarity']:.0%}" in box


def test_the_two_similarities_of_one_pair_are_named_apart(world, client):
    earlier = new_ticket(world, text=EARLIER, citizen_phone=PHONE)
    html = panel(client, world.call_taker, street=world.street.code)
    item = re.search(rf'<li class="dup-item[^"]*" data-ticket="{earlier.pk}">.*?</li>', html, re.S).group(0)
    assert re.search(r"文本相似 \d+%（不计地名）", item)
    assert re.search(r"全文相似 \d+%", repeat_box(html)) and "全文相似" not in item
