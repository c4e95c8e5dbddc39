"""网上评价: a citizen answers the callback's questions (resolved? satisfied?) on their request's page or through the
API, instead of waiting for the hotline's call; "not resolved" or "not satisfied" sends it back to the unit, as a
callback does (docs/citizen.md)."""
import re

import pytest

from jiesu.accounts.models import Role, User
from jiesu.tickets.models import Callback, Ticket
from tickets.helpers import new_ticket, reply_to


def own_replied(world):
    t = new_ticket(world)
    Ticket.objects.filter(pk=t.pk).update(citizen_user=world.citizen)
    reply_to(world, Ticket.objects.get(pk=t.pk), text="已清理占道摊点")
    return Ticket.objects.get(pk=t.pk)


def test_the_page_asks_and_not_resolved_sends_it_back_to_the_unit(world, citizen_client):
    t = own_replied(world)
    html = citizen_client.get(f"/tickets/{t.pk}/").content.decode()
    form = re.search(r'(?s)<form[^>]*id="rate-form".*?</form>', html)
    assert form and f'action="/tickets/{t.pk}/act/rate/"' in form.group(0)
    assert form.group(0).count("<fieldset") == 2 and "<legend" in form.group(0)  # each question named for a reader
    assert 'value="unresolved"' in form.group(0) and 'value="dissatisfied"' in form.group(0)
    response = citizen_client.post(f"/tickets/{t.pk}/act/rate/", {"resolved": "unresolved",
                                                                  "satisfied": "dissatisfied", "note": "摊贩又回来了"})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.state == "dispatched" and t.rehandle_round == 1 and t.lead_unit == world.street
    callback = Callback.objects.get(ticket=t)
    assert callback.method == "web" and callback.reached and callback.agent == world.citizen
    html = citizen_client.get(f"/tickets/{t.pk}/").content.decode()
    assert "重新办理" in html and 'id="rate-form"' not in html


def test_resolved_and_satisfied_closes_it(world, citizen_client):
    t = own_replied(world)
    citizen_client.post(f"/tickets/{t.pk}/act/rate/", {"resolved": "resolved", "satisfied": "satisfied"})
    t.refresh_from_db()
    assert t.state == "closed" and t.close_reason == "callback" and t.satisfied == "satisfied"
    assert "回访后办结：解决，满意" in citizen_client.get(f"/tickets/{t.pk}/").content.decode()
    assert t.pk not in [x.pk for x in __import__("jiesu.tickets.queries", fromlist=["x"]).callback_queue()]


def test_an_answer_missing_is_refused_and_changes_nothing(world, citizen_client):
    t = own_replied(world)
    response = citizen_client.post(f"/tickets/{t.pk}/act/rate/", {"resolved": "resolved"}, follow=True)
    t.refresh_from_db()
    assert t.state == "replied" and not Callback.objects.filter(ticket=t).exists()
    html = response.content.decode()
    assert "请选择您是否满意" in html and "请记录市民" not in html  # the refusal says what is missing, to them


def test_only_the_citizen_of_a_replied_request_may_rate_it(world, client, citizen_client):
    t = own_replied(world)
    other = User.objects.create_user("cz2", password="pw", role=Role.CITIZEN)
    client.force_login(other)
    assert client.post(f"/tickets/{t.pk}/act/rate/", {"resolved": "resolved", "satisfied": "satisfied"}
                       ).status_code in (403, 404)
    client.force_login(world.street_staff)
    client.post(f"/tickets/{t.pk}/act/rate/", {"resolved": "resolved", "satisfied": "satisfied"})
    t.refresh_from_db()
    assert t.state == "replied"
    fresh = new_ticket(world)
    Ticket.objects.filter(pk=fresh.pk).update(citizen_user=world.citizen)
    assert 'id="rate-form"' not in citizen_client.get(f"/tickets/{fresh.pk}/").content.decode()
    citizen_client.post(f"/tickets/{fresh.pk}/act/rate/", {"resolved": "resolved", "satisfied": "satisfied"})
    assert Ticket.objects.get(pk=fresh.pk).state == "new"


def test_through_the_api(world, citizen_client):
    t = own_replied(world)
    assert "rate" in citizen_client.get(f"/api/v1/tickets/{t.pk}").json()["actions"]
    response = citizen_client.post(f"/api/v1/tickets/{t.pk}/rate", {"resolved": "partly", "satisfied": "dissatisfied"},
                                   content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "dispatched" and body["rehandle_round"] == 1 and "rate" not in body["actions"]
    refused = citizen_client.post(f"/api/v1/tickets/{t.pk}/rate", {"resolved": "resolved", "satisfied": "satisfied"},
                                  content_type="application/json")
    assert refused.status_code == 409

