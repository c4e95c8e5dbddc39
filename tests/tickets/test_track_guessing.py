"""The public tracking page (/track/) answers anyone with a query code (8 hex digits, about 4.3 billion): without a
limit, a script could walk codes and read the progress of tens of thousands of tickets. An address that asks for
TRACK_MAX_MISSES codes that do not exist within SIGNIN_LOCK_MINUTES is refused for the rest of that window (429, in
the visitor's language), each miss recorded in the sign-in records; a right code still reads while under the limit,
and an administrator's unlock of the address clears it."""
from django.test import Client

from jiesu.accounts import signin
from jiesu.accounts.models import SignInEvent
from tickets.helpers import new_ticket

Kind = SignInEvent.Kind


def test_an_address_walking_codes_is_stopped(world, settings):
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_MISSES": 3}
    ticket = new_ticket(world)
    guesser, other = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="203.0.113.10")
    for code in ("AAAA0001", "AAAA0002"):
        assert guesser.get("/track/", {"code": code}).status_code == 200
    assert ticket.number in guesser.get("/track/", {"code": ticket.query_code}).content.decode(), "under the limit"
    third = guesser.get("/track/", {"code": "AAAA0003"})
    assert third.status_code == 200, "the miss that reaches the limit is still answered"
    refused = guesser.get("/track/", {"code": ticket.query_code})
    assert refused.status_code == 429
    page = refused.content.decode()
    assert ticket.number not in page and "查询码错误次数过多" in page and "分钟" in page
    assert SignInEvent.objects.filter(kind=Kind.TRACK_MISS, address="203.0.113.9").count() == 3
    assert ticket.number in other.get("/track/", {"code": ticket.query_code}).content.decode(), "another address"
    signin.unlock(address="203.0.113.9")
    assert ticket.number in guesser.get("/track/", {"code": ticket.query_code}).content.decode(), "unlocked"


def test_the_refusal_is_in_english_for_an_english_visitor(world, settings):
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_MISSES": 1}
    guesser = Client(REMOTE_ADDR="203.0.113.11", HTTP_ACCEPT_LANGUAGE="en")
    guesser.cookies["django_language"] = "en"
    guesser.get("/track/", {"code": "AAAA0001"})
    refused = guesser.get("/track/", {"code": "AAAA0002"})
    assert refused.status_code == 429 and "Too many wrong query codes" in refused.content.decode()
