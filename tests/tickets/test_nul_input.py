"""A NUL character (U+0000) in any input is refused naming it, on both databases, and nothing changes.

PostgreSQL can neither store nor compare text holding NUL: before, the API stored it on SQLite and
answered a 500 (a DataError) on PostgreSQL, as did a page's form or search.
"""
from jiesu.tickets.models import Ticket, TicketEvent
from tests.tickets.helpers import new_ticket
from tests.tickets.test_api import BODY, client_for, post


def test_the_api_refuses_a_nul_in_a_value_naming_its_path_and_writes_nothing(world, client):
    c = client_for(client, world.call_taker)
    for field in ("text", "citizen_name", "address"):
        response = post(c, "/api/v1/tickets", {**BODY, field: "王府井\x00大街"})
        assert response.status_code == 400, field
        assert response.json()["field"] == field and "U+0000" in response.json()["message"]
    nested = post(c, "/api/v1/tickets", {**BODY, "extra": [{"note": "a\x00"}]})
    assert nested.status_code == 400 and nested.json()["field"] == "extra.0.note"
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0
    # the six characters \u0000 as text are no NUL: the request goes through
    literal = post(c, "/api/v1/tickets", {**BODY, "text": "路灯不亮 \\u0000 是转义写法"})
    assert literal.status_code == 201 and Ticket.objects.get().text.endswith("\\u0000 是转义写法")


def test_a_header_or_query_parameter_with_a_nul_is_refused(world, client):
    c = client_for(client, world.call_taker)
    response = post(c, "/api/v1/tickets", BODY, HTTP_IDEMPOTENCY_KEY="call\x0042")
    assert response.status_code == 400 and response.json()["field"] == "Idempotency-Key"
    client.force_login(world.dispatcher)
    page = client.get("/tickets/", {"q": "路灯\x00"})
    assert page.status_code == 400 and page["Content-Type"].startswith("text/plain")
    assert "“q”含有空字符" in page.content.decode()
    assert Ticket.objects.count() == 0


def test_a_page_form_with_a_nul_changes_nothing(world, client):
    ticket = new_ticket(world)
    client.force_login(world.dispatcher)
    response = client.post(f"/tickets/{ticket.pk}/act/close_special/", {"special_class": "consult", "note": "已\x00答复"})
    assert response.status_code == 400 and "“note”" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == "new" and not TicketEvent.objects.filter(ticket=ticket, kind="close_special").exists()
    client.cookies["django_language"] = "en"
    english = client.post(f"/tickets/{ticket.pk}/act/close_special/", {"note": "\x00"})
    assert english.status_code == 400 and "holds a NUL character" in english.content.decode()
