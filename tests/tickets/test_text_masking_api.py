"""What the API gives of a ticket's text to who may not reveal the contact (audit 11, finding 21)."""
import json

from .test_api import client_for
from .test_text_masking import CONFIDENTIAL_TEXT, MASKED_TEXT, confidential  # noqa: F401 (a fixture)


def test_the_api_masks_the_text_and_the_title_as_the_fields(world, client, confidential):
    body = client_for(client, world.street_staff).get(f"/api/v1/tickets/{confidential.pk}").json()
    assert body["citizen_name"] == "韩**" and body["citizen_phone"] == "139****5678"
    assert body["text"] == MASKED_TEXT and body["title"] == MASKED_TEXT[:40]
    listed = client.get("/api/v1/tickets").json()["items"]
    assert [t["text"] for t in listed if t["id"] == confidential.pk] == [MASKED_TEXT]


def test_the_api_gives_the_call_taker_the_text_whole(world, client, confidential):
    body = client_for(client, world.call_taker).get(f"/api/v1/tickets/{confidential.pk}").json()
    assert body["text"] == CONFIDENTIAL_TEXT and body["citizen_name"] == "韩**"
    assert json.dumps(body, ensure_ascii=False).count("13912345678") == 1  # in the text, never in the field


def test_the_events_notes_are_masked_for_who_may_not_reveal_the_contact(world, client, confidential):
    """A note quoting the citizen (a call-taker's follow-up) is read as the text is: masked for the street's staff."""
    from jiesu.tickets import services

    services.record_event(confidential, "note", world.call_taker, note="市民再次来电，电话13912345678，韩梅梅本人")
    url = f"/api/v1/tickets/{confidential.pk}/events"
    notes = [e["note"] for e in client_for(client, world.street_staff).get(url).json() if e["kind"] == "note"]
    assert notes == ["市民再次来电，电话139****5678，韩**本人"]
    notes = [e["note"] for e in client_for(client, world.call_taker).get(url).json() if e["kind"] == "note"]
    assert notes == ["市民再次来电，电话13912345678，韩梅梅本人"]
