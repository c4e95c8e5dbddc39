"""A citizen submits a request on the web or through the API: the channel is theirs (web, app, API), never the
hotline's phone, a grid worker's patrol, a sensor or an import, which count in other statistics; the web form asks
them in their own words (docs/citizen.md)."""
import re

from jiesu.tickets.models import Ticket


def test_the_citizens_form_has_no_channel_choice_and_speaks_to_them(world, citizen_client):
    html = citizen_client.get("/intake/").content.decode()
    assert '<input type="hidden" name="channel" value="web">' in html
    assert '<select name="channel"' not in html
    assert "受理市民诉求" not in html and "提交诉求" in html


def test_a_citizen_cannot_file_a_request_as_a_phone_call_or_an_import(world, citizen_client):
    for channel in ("phone", "import", "patrol", "sensor"):
        response = citizen_client.post("/intake/", {"channel": channel, "text": "小区门口路灯不亮已经一周",
                                                    "street": world.street.code, "category": world.category.code})
        assert response.status_code == 400, channel
    assert not Ticket.objects.exists()
    response = citizen_client.post("/intake/", {"channel": "web", "text": "小区门口路灯不亮已经一周",
                                                "street": world.street.code, "category": world.category.code})
    assert response.status_code == 302
    assert Ticket.objects.get().channel == "web"


def test_through_the_api(world, citizen_client):
    refused = citizen_client.post("/api/v1/tickets", {"text": "小区门口路灯不亮已经一周", "channel": "phone",
                                                      "street": world.street.code}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["field"] == "channel"
    for channel in ("app", "api"):
        made = citizen_client.post("/api/v1/tickets", {"text": f"小区门口路灯不亮已经一周（{channel}）", "channel": channel,
                                                       "street": world.street.code}, content_type="application/json")
        assert made.status_code == 201 and made.json()["channel"] == channel


def test_the_call_taker_still_chooses_the_channel(world, client):
    client.force_login(world.call_taker)
    html = client.get("/intake/").content.decode()
    assert re.search(r'<select name="channel"', html) and "受理市民诉求" in html
