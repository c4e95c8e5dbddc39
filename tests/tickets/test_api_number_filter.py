"""The API's ticket list finds a ticket by its number or by an old system's number (an imported ticket), as the
ticket search's number box does, within the caller's territory."""
from jiesu.tickets import services
from tests.tickets.helpers import new_ticket
from tests.tickets.test_api import client_for
from tests.tickets.test_unit_history_and_old_numbers import as_imported


def numbers_listed(client, number, **filters):
    body = client.get("/api/v1/tickets", {"number": number, **filters}).json()
    assert body["count"] == len(body["items"])
    return [item["number"] for item in body["items"]]


def test_the_list_finds_a_ticket_by_its_number_or_query_code(world, client):
    ticket = new_ticket(world)
    other = new_ticket(world)
    api = client_for(client, world.call_taker)
    assert numbers_listed(api, ticket.number) == [ticket.number]
    assert numbers_listed(api, ticket.query_code.lower()) == [ticket.number]
    # a number one digit off that neither ticket bears (the day's counter depends on the tests run before)
    unknown = next(n for n in (f"{ticket.number[:-1]}{d}" for d in "9876543210")
                   if n not in (ticket.number, other.number))
    assert numbers_listed(api, unknown) == []


def test_the_list_finds_an_imported_ticket_by_its_old_systems_number(world, client):
    bj = as_imported(new_ticket(world), "BJ12345-00010")
    nyc = as_imported(new_ticket(world), "BJ12345-00010", source="nyc311")
    as_imported(new_ticket(world), "BJ12345-00011")
    api = client_for(client, world.call_taker)
    assert sorted(numbers_listed(api, " BJ12345-00010 ")) == sorted([bj.number, nyc.number])
    assert numbers_listed(api, "BJ12345-0001") == []
    assert numbers_listed(api, "BJ12345-00010", state="closed") == []


def test_without_a_number_the_list_is_unfiltered(world, client):
    new_ticket(world)
    new_ticket(world)
    assert len(numbers_listed(client_for(client, world.call_taker), "")) == 2


def test_a_unit_outside_the_territory_gets_nothing_by_number(world, client):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.street.pk)
    old = as_imported(ticket, "BJ12345-00005")
    assert numbers_listed(client_for(client, world.street_staff), "BJ12345-00005") == [old.number]
    outside = client_for(client, world.street_b_staff)
    assert numbers_listed(outside, "BJ12345-00005") == []
    assert numbers_listed(outside, old.number) == []
