"""The dispatch queue reads its cards' holds in one pass (services.holds_of): with the engine warm (a server that has
run a while) a page's statements do not grow with its cards, and each card says what the ticket's own holds() says.
Real duplicates index, real database; the desk's stub classifier (desk_helpers)."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from jiesu.dispatch import duplicates
from jiesu.dispatch import services as desk
from jiesu.tickets import services
from jiesu.tickets.models import State, Ticket
from tickets.conftest import world  # noqa: F401  (fixture)
from tickets.helpers import new_ticket

from .desk_helpers import GAS, desk_world  # noqa: F401  (fixture)
from .test_duplicates_db import fresh_index  # noqa: F401  (autouse: every check looks at the database's latest rows)

SMOKE = "东华门大街楼下饭馆油烟扰民"
PLAIN = ("小区门口的路灯坏了好几天，晚上很黑", "楼上装修噪音太大，周末早上七点就开始", "公园厕所一直没有水",
         "树枝挡住了路口的红绿灯", "共享单车堆在单元门口进不去")
EVERY_KIND = {"emergency", "report", "confidential", "accuses_unit", "merge", "same_caller", "near_duplicate"}


def _first_three(w):
    """A page of three: a ticket proposed for merging into a ticket merged since (the proposal follows it), and two
    that say almost the same as it and as each other (each the other's near duplicate, the proposed one a candidate
    marked as such). Every kind of statement a page's holds read."""
    handling = new_ticket(w, text="王府井大街人行道上的井盖丢了，很危险", citizen_phone="13855550100")
    services.dispatch(w.dispatcher, handling, w.street.pk)
    named = new_ticket(w, text="王府井大街井盖丢了，晚上看不见", citizen_phone="13855550101")
    proposed = new_ticket(w, text=SMOKE, citizen_phone="13855550102")
    duplicates.propose_merge(w.call_taker, proposed, named.pk)
    services.merge(w.dispatcher, named, handling)
    new_ticket(w, text=SMOKE, citizen_phone="13855550103")
    new_ticket(w, text=SMOKE, citizen_phone="13855550104")


def _twelve_more(w):
    """Every other kind of hold: emergency wording, a report, a confidential request, an accusation, the same
    caller's repeat, a proposal into an open ticket, a third near duplicate; and tickets nothing holds. The tickets
    proposed into are not all known at once, as on the first page: the proposals' second read of tickets is made
    on both pages (duplicates._proposals_of, at most five statements whatever the number of tickets)."""
    new_ticket(w, text=GAS, citizen_phone="13855550105")
    new_ticket(w, text="有人在小区里私搭乱建", request_type="report", citizen_phone="13855550106")
    new_ticket(w, text="邻居家养狗天天叫", confidential=True, citizen_phone="13855550107")
    new_ticket(w, text="派出所民警受贿", citizen_phone="13855550108")
    first_call = new_ticket(w, text="东华门大街有人占道经营，堵塞人行道", citizen_phone="13812345678")
    again = new_ticket(w, text="东华门大街又有人占道经营，还是没人管", citizen_phone="13812345678")
    duplicates.after_intake(w.call_taker, again)
    asked = new_ticket(w, text="东华门大街占道经营的事情什么时候处理", citizen_phone="13855550109")
    duplicates.propose_merge(w.call_taker, asked, first_call.pk)
    new_ticket(w, text=SMOKE, citizen_phone="13855550110")
    for n, text in enumerate(PLAIN[:4]):
        new_ticket(w, text=text, citizen_phone=f"1385555012{n}")


def _statements(client):
    client.get("/dispatch/")  # the first request reads new texts once (the emergency wording), then keeps them
    with CaptureQueriesContext(connection) as page:
        html = client.get("/dispatch/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    return len(page), html


@pytest.mark.parametrize("warm", [True, False], ids=["warm", "cold"])
def test_a_pages_statements_do_not_grow_with_its_cards(desk_world, client, settings, warm):
    """The router's freshness check (one statement every DISPATCH_RECHECK_SECONDS) is kept out of the count: on a
    loaded machine it fell within one page's request and not the other's."""
    settings.JIESU = {**settings.JIESU, "DISPATCH_RECHECK_SECONDS": 3600.0}
    w = desk_world
    client.force_login(w.dispatcher)
    desk._warm["done"] = warm  # desk_world puts it back after the test
    _first_three(w)
    three, html = _statements(client)
    assert html.count('class="qcard') == 3 and ('class="desk-hold"' in html) == warm
    _twelve_more(w)
    fifteen, html = _statements(client)
    assert html.count('class="qcard') == 15
    assert fifteen == three


def _card(html, ticket):
    start = html.index(f'id="t{ticket.pk}"')
    end = html.find('<article class="qcard', start)
    return html[start:end if end != -1 else len(html)]


def test_each_card_says_what_its_own_holds_say(desk_world, client):
    w = desk_world
    client.force_login(w.dispatcher)
    desk._warm["done"] = True
    _first_three(w)
    _twelve_more(w)
    queue = list(Ticket.objects.filter(state=State.NEW).select_related("district", "street", "community"))
    one_pass = desk.holds_of(queue)
    assert one_pass == {t.pk: desk.holds(t) for t in queue}
    assert {h.kind for found in one_pass.values() for h in found} == EVERY_KIND
    assert any(h.kind == "merge" and h.merged_into for found in one_pass.values() for h in found)
    assert sum(1 for found in one_pass.values() if not found) == 5  # the four plain ones, the same caller's first
    _n, html = _statements(client)
    with translation.override("zh-hans"):
        for t in queue:
            card, warning = _card(html, t), desk.accept_warning(t)
            said = re.search(r'<div class="desk-hold" role="alert">([^<]*)', card)
            assert (said.group(1).strip() if said else None) == (escape(warning) if warning else None), t.text
