"""Audit of how places come in (2026-12-07), at intake: the API and the page refuse what the ticket cannot keep,
naming the field, before anything is written, and agree on the same input."""
import json

import pytest

from jiesu.accounts.models import ApiToken
from jiesu.tickets.models import Ticket
from tests.grids.conftest import fast_passwords, gw  # noqa: F401  (fixtures)

TEXT = "路边井盖丢失，晚上很危险"


@pytest.fixture
def api(gw, client):
    token = ApiToken.objects.create(user=gw.call_taker, name="test")

    def post(url="/api/v1/tickets", **body):
        return client.post(url, json.dumps({"text": TEXT, **body}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token.key}")
    return post


def test_the_api_refuses_a_point_that_is_not_numbers_as_the_locate_api_does(gw, api, client):
    """`true` was read as 1.0 (the ticket recorded, its point 1.0, 39.91 "outside the city") and NaN answered a 400
    of its own; GET /api/v1/dispatch/locate answers both with the schema's 422 naming the field."""
    refused = api(lon=True, lat=39.91)
    assert refused.status_code == 422 and refused.json()["field"] == "lon"
    assert refused.json()["message"] == "经度（lon） 必须是数字。"
    nan = api(lon=116.41, lat=float("nan"))
    assert nan.status_code == 422 and nan.json()["message"] == "纬度（lat） 必须是有限的数字。"
    assert Ticket.objects.count() == 0
    client.force_login(gw.call_taker)
    located = client.get("/api/v1/dispatch/locate", {"lon": 116.41, "lat": "NaN"})
    assert (located.status_code, located.json()["message"]) == (nan.status_code, nan.json()["message"])
    assert api(lon="116.41", lat=39.91).status_code == 201, "a number in a string is read, as before"
    suggest = api("/api/v1/dispatch/suggest", lon=True, lat=39.91)
    assert (suggest.status_code, suggest.json()["message"]) == (refused.status_code, refused.json()["message"])
    assert suggest.json()["field"] == "lon", "the body's field, as sent (it was params.lon)"


def test_the_page_reads_a_point_typed_in_chinese_input_mode_and_says_what_a_pasted_pair_is(gw, client):
    """With a Chinese input method on, the full stop key types 。: 「116。41」 was refused as not a number. A map's
    coordinate picker copies both numbers (116.41,39.91): the page says so, under the field."""
    client.force_login(gw.call_taker)
    typed = client.post("/intake/", {"channel": "phone", "text": TEXT, "lon": "116。41", "lat": "３９．９１"})
    assert typed.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.lon, ticket.lat, ticket.street) == (116.41, 39.91, gw.street)
    pasted = client.post("/intake/", {"channel": "phone", "text": TEXT, "lon": "116.41,39.91", "lat": ""})
    assert pasted.status_code == 400 and pasted.context["form"].errors["lon"] == [
        "请输入数字，如 116.397。 “116.41,39.91”像是经度和纬度两个数：请分别填写经度和纬度。"]
    comma = client.post("/intake/", {"channel": "phone", "text": TEXT, "lon": "116.41", "lat": "39,91"})
    assert comma.context["form"].errors["lat"] == ["请输入数字，如 39.909。 小数点请用“.”，如 39.91。"]
    assert Ticket.objects.count() == 1


def test_the_locate_api_reads_the_point_as_the_page_does(gw, api, client):
    """The intake page's line under 地址 sends the fields as typed to GET /dispatch/locate: 116。41 (read by the page)
    was a 422 there, and the line kept the place of the address alone."""
    client.force_login(gw.call_taker)
    located = client.get("/api/v1/dispatch/locate", {"lon": "116。41", "lat": "３９．９１"})
    assert located.status_code == 200 and located.json()["street"]["code"] == gw.street.code
    assert api(lon="116。41", lat="39.91").json()["street"] == gw.street.code
