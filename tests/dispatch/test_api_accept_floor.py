"""The API's accept is held to the desk's one-key floor: a suggestion shown under 5 %, which Enter does not dispatch
on the desk, needs "confirm": true (409 below_floor, field confirm); the cold start, whose percentages only rank, and
a click on the desk's button are not held to it."""
from jiesu.dispatch import duplicates, engine
from jiesu.dispatch.models import DispatchSuggestion
from jiesu.tickets.models import State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .namesake_helpers import STALL, NamesakeColdStart, namesake_world  # noqa: F401  (fixture)


def accept(client, ticket, **body):
    return client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept", body, content_type="application/json")


def test_a_suggestion_under_the_floor_needs_confirm(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    shown = client.get(f"/api/v1/dispatch/tickets/{ticket.pk}/suggestions").json()["suggestions"][2]
    assert shown["confidence"] < 0.05 and shown["category"]["code"] == "01.01.03"
    r = accept(client, ticket, rank=3)
    assert r.status_code == 409
    assert r.json() == {"error": "below_floor", "field": "confirm", "message": (
        '第 3 条建议显示的把握为 4%，不足 5%：模型只是猜测。核实后在请求中加上 "confirm": true，即可按建议派单。')}
    assert Ticket.objects.get(pk=ticket.pk).state == State.NEW
    client.cookies["django_language"] = "en"
    assert accept(client, ticket, rank=3).json()["message"] == (
        'Suggestion #3 is shown at 4%, under 5%: the model is guessing. Check it, then send "confirm": true to '
        "dispatch it as suggested.")
    r = accept(client, ticket, rank=3, confirm=True)
    assert r.status_code == 200 and r.json()["accepted_rank"] == 3 and r.json()["lead"]["id"] == w.dept.pk
    assert DispatchSuggestion.objects.get(ticket=ticket).source == "api"


def test_a_suggestion_at_the_floor_or_above_needs_no_confirm(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    r = accept(client, new_ticket(w, text=STALL, category_code=""), rank=2)
    assert r.status_code == 200 and r.json()["accepted_rank"] == 2


def test_a_stale_expectation_is_told_before_the_floor(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    r = accept(client, new_ticket(w, text=STALL, category_code=""), rank=3, expect_category="01.01.01")
    assert r.status_code == 409 and r.json()["error"] == "conflict"


def test_the_floors_refusal_names_the_holds_the_same_confirm_answers(namesake_world, client):
    w = namesake_world
    earlier, later = new_ticket(w, text=STALL), new_ticket(w, text=STALL + "，还是没人管")
    duplicates.propose_merge(w.call_taker, later, earlier.pk)
    client.force_login(w.dispatcher)
    r = accept(client, later, rank=3)
    assert r.status_code == 409 and r.json()["error"] == "below_floor"
    assert r.json()["message"] == (f"第 3 条建议显示的把握为 4%，不足 5%：模型只是猜测。受理时建议合并到工单 {earlier.number}，"
                                   '尚未决定。核实后在请求中加上 "confirm": true，即可按建议派单。')
    held = accept(client, later, rank=1)  # at the floor or above: the hold alone, as before
    assert held.status_code == 400 and held.json()["field"] == "confirm"


def test_the_cold_start_is_not_held_to_the_floor(namesake_world, client, monkeypatch):
    w = namesake_world
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: NamesakeColdStart())
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    assert client.get(f"/api/v1/dispatch/tickets/{ticket.pk}/suggestions").json()["cold_start"] is True
    r = accept(client, ticket, rank=3)
    assert r.status_code == 200 and r.json()["accepted_rank"] == 3


def test_a_click_on_the_desk_still_dispatches_under_the_floor(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    client.post(f"/dispatch/desk/{ticket.pk}/accept/", {"rank": "3", "next": "/dispatch/"})
    assert Ticket.objects.get(pk=ticket.pk).state == State.DISPATCHED
    assert DispatchSuggestion.objects.get(ticket=ticket).source == "desk"


def test_a_suggestion_without_a_handling_unit_is_refused_before_any_confirm(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    nowhere = new_ticket(w, text="摆摊占道经营的事情想咨询一下", category_code="", street_code="")  # no place named
    shown = client.get(f"/api/v1/dispatch/tickets/{nowhere.pk}/suggestions").json()["suggestions"]
    rank = next(s["rank"] for s in shown if s["lead"]["kind"] == "hotline_center" and s["confidence"] < 0.05)
    r = accept(client, nowhere, rank=rank)
    assert r.status_code == 400 and r.json()["field"] == "rank" and "请手工选择单位" in r.json()["message"]
