"""A longitude or latitude typed with a minus sign (-116.40, 39.91: a GPS app's west/south convention, or a stray
key) lies on the other side of the world: every place that refuses or leaves out such a point says that the sign is
wrong, not only that the point lies outside the city, and names the field holding the minus sign."""
import pytest
from django.utils import translation

from jiesu.core.errors import DomainError
from jiesu.dispatch import coords, locator
from jiesu.dispatch.models import GazetteerEntry
from jiesu.dispatch.wording import word
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tests.dispatch.test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)

SIGN_ZH = "中国境内经度和纬度都是正数（东经、北纬）：请去掉负号。"


def in_beijing(lon, lat):
    return 115.4 <= lon <= 117.6 and 39.4 <= lat <= 41.1


def test_the_field_with_the_minus_sign_is_named():
    with translation.override("zh-hans"):
        assert coords.negative_field(-116.40, 39.91, in_beijing) == "lon" and coords.sign_advice() == SIGN_ZH
        assert coords.negative_field(116.40, -39.91, in_beijing) == "lat"
        assert coords.negative_field(-116.40, -39.91, in_beijing) == "lon"
    with translation.override("en"):
        assert coords.sign_advice() == (
            "In China longitude and latitude are both positive (east, north): remove the minus sign.")


def test_no_hint_for_a_point_that_is_wrong_otherwise():
    assert coords.negative_field(116.40, 39.91, in_beijing) is None, "the city itself: nothing to say"
    assert coords.negative_field(-74.0, 40.7, in_beijing) is None, "New York: not the city with its sign taken off"
    assert coords.negative_field(-39.91, 116.40, in_beijing) is None, "swapped as well: not a sign slip"
    assert coords.negative_field("abc", 39.9, in_beijing) is None and coords.negative_field(float("nan"), 39.9, in_beijing) is None


def test_the_reason_of_a_point_outside_the_city_says_the_sign(dispatch_db):  # noqa: F811
    found = locator.locate_coordinates(-116.397, 39.909)
    assert found.unit is None
    with translation.override("zh-hans"):
        said = word(found.reason_parts)
    assert "-116.397000, 39.909000" in said and "请去掉负号" in said


def test_intake_refuses_it_on_the_field_with_the_sign(dispatch_db):  # noqa: F811
    from jiesu.accounts.models import Role, User

    user = User.objects.create_user("ct", password="x", role=Role.CALL_TAKER)  # a citizen's request is by the web
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        services.create_ticket(user, services.IntakeData(text="路灯不亮，晚上很黑", lon=116.397, lat=-39.909))
    assert refused.value.field == "lat" and SIGN_ZH in str(refused.value)
    assert Ticket.objects.count() == 0


def test_the_gazetteer_entry_names_the_sign(dispatch_db):  # noqa: F811
    from jiesu.units.models import Unit

    entry = GazetteerEntry(name="王府井书店", kind="landmark", unit=Unit.objects.get(code="110101001"),
                           lon=-116.41, lat=39.91)
    with translation.override("zh-hans"):
        problems = entry.problems()
    assert SIGN_ZH in problems["lon"]



def test_the_api_answer_says_the_sign_of_the_point_it_left_out(dispatch_db):  # noqa: F811
    """The API records the request without the point (as for any point outside the city) and its place_note says
    which sign to fix."""
    from django.test import Client

    from jiesu.accounts.models import Role, User
    from jiesu.tickets.models import TicketEvent
    from jiesu.units.models import Unit

    client = Client()
    client.force_login(User.objects.create_user("ct", password="pw", role=Role.CALL_TAKER,
                                                unit=Unit.objects.get(code="110101")))
    response = client.post("/api/v1/tickets", {"text": "路灯不亮，晚上很黑", "address": "东城区王府井大街",
                                               "lon": -116.4039, "lat": 39.9155}, content_type="application/json",
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 201, response.content
    assert response.json()["place_note"].endswith(SIGN_ZH)
    event = TicketEvent.objects.get(ticket_id=response.json()["id"], kind="intake")
    assert event.payload["point_outside"]["reason"][0] == "point_outside_sign"
