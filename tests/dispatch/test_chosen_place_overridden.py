"""A place the call-taker (or an app) chose and a point typed beside it that lies in another street: the point
decides, as designed, and this is no longer silent: the intake event keeps the place chosen and not taken, the
ticket's history says it, and the API's answer says it."""
from django.test import Client
from django.utils import translation

from jiesu.accounts.models import Role, User
from jiesu.core.templatetags.jiesu_ui import event_details
from jiesu.tickets import services
from jiesu.tickets.models import TicketEvent
from jiesu.units.models import Unit
from tests.dispatch.test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)

DONGHUAMEN, JINGSHAN = "110101001", "110101002"


def center(code):
    unit = Unit.objects.filter(code=code).defer("geometry").get()
    return unit.center_lon, unit.center_lat


def call_taker():
    return User.objects.create_user("ct", password="pw", role=Role.CALL_TAKER, unit=Unit.objects.get(code="110101"))


def intake_payload(ticket):
    return TicketEvent.objects.get(ticket=ticket, kind="intake").payload


def test_a_chosen_street_the_point_overrides_is_kept_and_said(dispatch_db):  # noqa: F811
    lon, lat = center(DONGHUAMEN)
    ticket, _created = services.create_ticket(call_taker(), services.IntakeData(
        text="路灯不亮，晚上很黑", street_code=JINGSHAN, lon=lon, lat=lat))
    assert ticket.street.code == DONGHUAMEN, "the point decides, as before"
    payload = intake_payload(ticket)
    assert payload["place"]["chosen_not_taken"] == "景山街道"
    with translation.override("zh-hans"):
        said = event_details(TicketEvent.objects.get(ticket=ticket, kind="intake"))
    assert any(str(line).startswith("选定的位置（景山街道）未采用：坐标（WGS-84）落在东华门") for line in said), said


def test_a_chosen_place_the_point_agrees_with_says_nothing_more(dispatch_db):  # noqa: F811
    lon, lat = center(DONGHUAMEN)
    for code in (DONGHUAMEN, "110101"):  # the street itself, or its district: the point only makes it finer
        ticket, _created = services.create_ticket(call_taker() if code == DONGHUAMEN else User.objects.get(
            username="ct"), services.IntakeData(text=f"路灯不亮，晚上很黑 {code}", street_code=code, lon=lon, lat=lat))
        assert "chosen_not_taken" not in (intake_payload(ticket).get("place") or {})


def test_the_api_answer_says_the_chosen_place_was_not_taken(dispatch_db):  # noqa: F811
    lon, lat = center(DONGHUAMEN)
    client = Client()
    client.force_login(call_taker())
    response = client.post("/api/v1/tickets", {"text": "路灯不亮，晚上很黑", "street": JINGSHAN, "lon": lon, "lat": lat},
                           content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 201, response.content
    assert response.json()["street"] == DONGHUAMEN
    assert "选定的位置（景山街道）未采用" in response.json()["place_note"]
