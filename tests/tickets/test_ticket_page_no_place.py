"""The ticket page's 位置 line of a ticket without a place always says why: the locator's reason kept at intake,
the import's reason, or, for a ticket recorded before intake kept one, that none was kept; read from the events
the page loads anyway (no query more)."""
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jiesu.tickets import services
from jiesu.tickets.models import TicketEvent

NO_REASON_ZH = "受理时未能定位，未记录原因（2026-12-07 前受理的工单未保存定位说明）"


def unplaced(world, payload=None, key=None, text="火星基地3号楼下路灯坏了"):
    """A ticket recorded without a place; its intake event's payload replaced by `payload` if given."""
    ticket, _created = services.create_ticket(world.call_taker, services.IntakeData(text=text, address="火星基地3号"))
    if key:
        type(ticket).objects.filter(pk=ticket.pk).update(idempotency_key=key)
    if payload is not None:
        TicketEvent.objects.filter(ticket=ticket, kind="intake").update(payload=payload)
    return ticket


def place_line(user, ticket, lang="zh-hans"):
    """(the 位置 line's HTML, the number of queries the page took)."""
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = lang
    client.get(f"/tickets/{ticket.pk}/")  # the session and caches warmed: the count below is the page's own
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    start = page.index("<dt>位置</dt>" if lang == "zh-hans" else "<dt>Place</dt>")
    return page[start:page.index("</dd>", start)], len(queries)


def test_a_ticket_recorded_before_the_reason_was_kept_says_so(world):
    old = unplaced(world, payload={"channel": "phone"})
    line, _queries = place_line(world.dispatcher, old)
    assert "—" in line and NO_REASON_ZH in line and "data-no-place" in line
    english, _queries = place_line(world.dispatcher, old, "en")
    assert "Not located at intake; no reason was kept (tickets recorded before 2026-12-07 kept none)" in english


def test_the_locators_reason_and_the_imports_are_said_as_before(world):
    live = unplaced(world)
    line, _queries = place_line(world.dispatcher, live)
    assert "未能定位：地址中未识别出区、街道、社区或已登记的地名" in line and NO_REASON_ZH not in line
    imported = unplaced(world, payload={"channel": "phone", "import": {"source": "csv", "id": "A", "line": 2},
                                        "no_place": "address"}, key="import:csv:A")
    line, _queries = place_line(world.dispatcher, imported)
    assert "导入时未能定位：地名库中找不到该地址" in line and NO_REASON_ZH not in line
    placed, _created = services.create_ticket(world.call_taker, services.IntakeData(
        text="路灯坏了", street_code=world.street.code))
    line, _queries = place_line(world.dispatcher, placed)
    assert "东华门街道" in line and "未能定位" not in line and "未记录原因" not in line


def test_saying_why_costs_no_query(world):
    """Three unrelated matters, so that no page shows a duplicate panel the others do not."""
    placed, _created = services.create_ticket(world.call_taker, services.IntakeData(
        text="小区门口夜间施工噪音扰民", street_code=world.street.code))
    _line, with_place = place_line(world.dispatcher, placed)
    for ticket in (unplaced(world, payload={"channel": "phone"}, text="楼道里堆满杂物无人清理"),
                   unplaced(world, payload={"import": {"source": "csv", "id": "B", "line": 3}}, key="import:csv:B",
                            text="自来水水压太低用不上水")):
        line, queries = place_line(world.dispatcher, ticket)
        assert "—" in line and queries == with_place
