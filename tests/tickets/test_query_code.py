"""A ticket's query code (查询码, /track/) is 12 hex digits (48 bits), as the importer's: 8 digits (32 bits) gave a
new ticket about a 1 % chance of drawing a code already taken once the city holds tens of millions of tickets, and
the intake then failed on the unique constraint. A code already taken is drawn again."""
from jiesu.tickets import models, services
from tickets.helpers import new_ticket


def test_a_new_code_has_twelve_hex_digits(world):
    code = new_ticket(world).query_code
    assert len(code) == 12 and int(code, 16) >= 0 and code == code.upper()


def test_a_query_code_already_taken_is_drawn_again(world, monkeypatch):
    first = new_ticket(world)
    drawn = iter([first.query_code.lower(), "abcdef012345"])
    monkeypatch.setattr(models.secrets, "token_hex", lambda n: next(drawn))
    ticket, created = services.create_ticket(world.call_taker, services.IntakeData(
        text="王府井大街路灯不亮，晚上很黑", street_code="110101001", citizen_name="李四", citizen_phone="13900001111"))
    assert created and ticket.query_code == "ABCDEF012345"
    assert models.Ticket.objects.filter(query_code=first.query_code).count() == 1
