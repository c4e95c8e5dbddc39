"""The accuracy page's per-rule link lists the tickets the rule auto-dispatched, by the category its auto-dispatch
logged: one corrected out of the rule's category afterwards stays in the rule's list."""
import re
from html import unescape

from django.test import Client

from jiesu.dispatch import services as desk
from jiesu.dispatch.models import AutoDispatchRule
from jiesu.tickets import services
from jiesu.tickets.models import Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)


def client_of(user):
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_a_ticket_corrected_out_of_the_rules_category_stays_in_the_rules_list(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category, threshold=0.8, enabled=True)
    stall, fruit = (new_ticket(w, text=text) for text in ("东华门大街有人占道经营，堵塞人行道", "南池子路口水果摊摆到马路上"))
    assert desk.auto_dispatch_new_tickets().dispatched == 2
    services.correct_category(w.dispatcher, Ticket.objects.get(pk=fruit.pk), w.consult.code, "回访时核实是政策咨询")
    by_hand = new_ticket(w, text="王府井大街夜市摊位占了消防通道")
    services.dispatch(w.dispatcher, by_hand, w.street.pk)
    client = client_of(w.supervisor)
    html = client.get("/dispatch/accuracy/?weeks=4").content.decode()
    rules = html[html.index('id="acc-rules"'):]
    link = unescape(re.search(r'href="(/tickets/\?[^"]*01\.01\.01[^"]*)"', rules).group(1))
    assert link == "/tickets/?auto_dispatched=1&auto_category=01.01.01"
    listed = client.get(link).content.decode()
    assert stall.number in listed and fruit.number in listed  # the corrected one too: the rule dispatched it
    assert by_hand.number not in listed
    assert "自动派单时的类别" in listed and 'value="占道经营"' in listed  # the filter shows, and can be cleared
    assert fruit.number not in client.get("/tickets/?auto_dispatched=1&category=01.01.01").content.decode()
