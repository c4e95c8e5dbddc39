"""Audit of the emergency poll (2026-12-07, second engineer): what the poll answers a page whose login lapsed, and
how its cursors fare with gaps that never fill arriving faster than one a grace time (docs/dispatch-desk.md)."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.core.id_cursor import Cursor
from jiesu.tickets import emergencies, services
from jiesu.tickets.models import Ticket, TicketEvent, new_query_code
from tests.tickets.helpers import last_id, new_ticket

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
NOW = 1_800_000_000.0


@pytest.mark.parametrize("lang, words", [("zh-hans", "登录已过期"), ("en", "login has expired")])
def test_a_lapsed_login_is_told_in_json_not_sent_to_the_login_page(world, client, lang, words):
    """The page's fetch followed the login's redirect, got the login page's HTML, failed to read it as JSON and
    said nothing: the page went on polling in silence and never announced an emergency again."""
    new_ticket(world, text=GAS)
    client.cookies["django_language"] = lang
    answer = client.get("/dispatch/emergencies/", {"after": last_id(Ticket)}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 401
    assert answer.json()["error"] == "login" and words in answer.json()["message"]


def test_a_role_that_may_not_poll_is_still_refused(world, client):
    client.force_login(world.call_taker)
    assert client.get("/dispatch/emergencies/", {"after": 1}).status_code == 403


def test_an_emergency_in_no_district_is_announced_on_every_districts_page(world):
    """An app emergency the locator could not place is in no district: a queue narrowed to a district left it out,
    so with every dispatcher on duty watching a district (a desk split by district) none heard of it."""
    after = last_id(Ticket)
    unplaced = new_ticket(world, text=GAS, channel="app", street_code="")
    elsewhere = new_ticket(world, text=GAS, channel="app", street_code=world.street_b.code)
    assert unplaced.district_id is None
    for district in (world.district, world.district_b):
        found = emergencies.new_emergencies(world.dispatcher, Cursor(after), district.pk, now=NOW)
        named = [e.pk for e in found.named]
        assert unplaced.pk in named and found.count == len(named)
    found = emergencies.new_emergencies(world.dispatcher, Cursor(after), world.district.pk, now=NOW)
    assert [e.pk for e in found.named] == [unplaced.pk]  # another district's stays out
    assert elsewhere.district_id == world.district_b.pk


def test_an_unplaced_emergency_put_back_in_the_queue_is_announced_on_a_districts_page(world):
    unplaced = new_ticket(world, text=GAS, channel="app", street_code="")
    services.dispatch(world.dispatcher, unplaced, world.street.pk)
    events = Cursor(last_id(TicketEvent))
    services.return_ticket(world.street_staff, unplaced, "不属于本街道职责")
    services.arbitrate(world.dispatcher, unplaced, True, "退回热线重新派单")
    found = emergencies.new_emergencies(world.dispatcher, Cursor(last_id(Ticket)), world.district_b.pk, events,
                                        now=NOW)
    assert [(e.pk, e.requeued) for e in found.named] == [(unplaced.pk, True)]


def backlog(world, n, state="closed"):
    """`n` tickets written at once after the page's cursor, as an import writes an earlier system's rows (closed),
    each with its intake event."""
    model = new_ticket(world)
    rows = [Ticket(**{f.attname: getattr(model, f.attname) for f in Ticket._meta.concrete_fields if f.attname != "id"},
                   ) for _ in range(n)]
    for row in rows:
        row.state, row.idempotency_key, row.query_code = state, None, new_query_code()
    made = Ticket.objects.bulk_create(rows)
    TicketEvent.objects.bulk_create([TicketEvent(ticket_id=t.pk, at=model.created_at, kind="intake", to_state="new")
                                     for t in Ticket.objects.filter(pk__gt=model.pk)])
    return made


def test_an_emergency_recorded_after_an_import_is_announced_at_the_next_poll(world):
    """A poll read 500 ids: after an import of 2,000 rows the page announced a gas leak recorded after them four
    polls (a minute) late, and after an import of 100,000 rows 50 minutes late (200 polls)."""
    new_ticket(world)  # on PostgreSQL, the ids of the tests before (rolled back) leave a gap below it
    after = Cursor(last_id(Ticket))
    backlog(world, 4 * emergencies.POLL_READ)
    gas = new_ticket(world, text=GAS, channel="app")
    found = emergencies.new_emergencies(world.dispatcher, after, now=NOW)
    assert [e.pk for e in found.named] == [gas.pk] and found.cursor == Cursor(gas.pk)


def test_an_emergency_put_back_after_an_import_is_announced_at_the_next_poll(world):
    gas = new_ticket(world, text=GAS, channel="app")
    services.dispatch(world.dispatcher, gas, world.street.pk)
    after, events = Cursor(last_id(Ticket)), Cursor(last_id(TicketEvent))
    backlog(world, 4 * emergencies.POLL_READ)
    services.return_ticket(world.street_staff, gas, "不属于本街道职责")
    services.arbitrate(world.dispatcher, gas, True, "退回热线重新派单")
    found = emergencies.new_emergencies(world.dispatcher, after, None, events, now=NOW)
    assert [(e.pk, e.requeued) for e in found.named] == [(gas.pk, True)]
    assert found.event_cursor == Cursor(last_id(TicketEvent))


def test_emergencies_among_an_imports_rows_awaiting_dispatch_are_counted_once(world):
    """A recent import's open rows the router left to the hotline await dispatch: those that read as an emergency
    are announced, once, however many polls the walk takes."""
    new_ticket(world)
    after = Cursor(last_id(Ticket))
    rows = backlog(world, 3 * emergencies.POLL_READ, state="new")
    fires = [rows[10], rows[-10]]
    Ticket.objects.filter(pk__in=[t.pk for t in fires]).update(text=GAS, channel="app")
    cursor, seen = after, []
    for turn in range(10):
        found = emergencies.new_emergencies(world.dispatcher, cursor, now=NOW + turn)
        cursor, seen = found.cursor, seen + [e.pk for e in found.named]
    assert sorted(seen) == sorted(t.pk for t in fires) and cursor == Cursor(last_id(Ticket))


def work_of(poll):
    """How much the database worked for `poll()`: on SQLite its virtual machine's steps (in hundreds), on
    PostgreSQL the rows each query's plan read, found again with EXPLAIN ANALYZE."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        steps = [0]
        connection.connection.set_progress_handler(lambda: steps.__setitem__(0, steps[0] + 1), 100)
        try:
            poll()
        finally:
            connection.connection.set_progress_handler(None, 100)
        return steps[0]
    with CaptureQueriesContext(connection) as queries:
        poll()
    rows = 0
    with connection.cursor() as sql:
        for query in queries.captured_queries:
            sql.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + query["sql"])
            plans = [sql.fetchone()[0][0]["Plan"]]
            while plans:
                plan = plans.pop()
                rows += plan.get("Actual Rows", 0) * plan.get("Actual Loops", 1) + plan.get("Rows Removed by Filter", 0)
                plans += plan.get("Plans", [])
    return rows


def test_a_held_range_however_wide_is_skipped_not_read(world, client):
    """A page (forged, or a bug) sending held=1-9999999999 made every poll read the whole ticket table's index and
    filter each row out (`NOT BETWEEN`): 2,000 rows here, 24 million in a year of Beijing's calls."""
    backlog(world, 2000)
    if connection.vendor == "postgresql":  # the planner's statistics, as autovacuum keeps them on a server
        with connection.cursor() as sql:
            sql.execute("ANALYZE tickets_ticket, tickets_ticketevent")
    client.force_login(world.dispatcher)
    end = last_id(Ticket)
    plain = work_of(lambda: client.get("/dispatch/emergencies/", {"after": end, "after_event": last_id(TicketEvent)}))
    forged = work_of(lambda: client.get("/dispatch/emergencies/", {
        "after": 1, "held": "2-9999999999", "since": NOW, "after_event": 1, "held_event": "2-9999999999"}))
    assert forged <= 2 * plain + 20, (forged, plain)


@pytest.mark.parametrize("protection", [{"confidential": True}, {"request_type": "report"}])
def test_a_protected_emergency_without_a_number_is_not_handed_to_a_call_taker(world, client, protection):
    """The call-back box handed a confidential or report emergency that left no number to a call-taker
    (「请交由接线员回拨」 under 「未留联系方式」): nobody can call it back, a call-taker neither."""
    from tests.tickets.test_emergency_reveal_card import HAND_OVER, card

    gas = new_ticket(world, text=GAS, channel="app", citizen_phone="", citizen_name="", **protection)
    box = card(client, world.dispatcher, gas)
    assert "data-call-back" in box and "未留联系方式" in box and HAND_OVER not in box
    named = new_ticket(world, text=GAS, channel="app", citizen_phone="", citizen_name="王五", **protection)
    assert HAND_OVER not in card(client, world.dispatcher, named)


def test_a_page_from_before_a_restore_hears_of_the_ids_given_again(world):
    """A database restored from a backup (or a sequence reset) gives again ids a page open through it had read: its
    cursor stood above every id, and it announced nothing until the new ids passed it (an hour's intakes lost, an
    hour of silence). An empty poll whose cursor stands above the table's last id is brought back to it."""
    new_ticket(world, text=GAS)
    restored = (last_id(Ticket), last_id(TicketEvent))
    page = (Cursor(restored[0] + 1000), Cursor(restored[1] + 5000))  # what the page had read before the restore
    first = emergencies.new_emergencies(world.dispatcher, page[0], None, page[1], now=NOW)
    assert (first.count, first.cursor, first.event_cursor) == (0, Cursor(restored[0]), Cursor(restored[1]))
    gas = new_ticket(world, text=GAS, channel="app")
    assert gas.pk <= page[0].after
    second = emergencies.new_emergencies(world.dispatcher, first.cursor, None, first.event_cursor, now=NOW + 15)
    assert [e.pk for e in second.named] == [gas.pk]


def test_a_held_range_above_the_last_id_is_dropped_and_a_gap_below_still_waits(world):
    """The newest ticket deleted while the cursor holds it: the range is clipped to the ids that are, the gap below
    it still waits for its late commit (nothing is passed without its grace)."""
    from tests.tickets.helpers import not_yet_committed

    new_ticket(world)
    after = last_id(Ticket)
    late, newest = new_ticket(world, text=GAS, channel="app"), new_ticket(world)
    commit = not_yet_committed(late)
    held = emergencies.new_emergencies(world.dispatcher, Cursor(after), now=NOW).cursor
    assert held == Cursor(after, ((newest.pk, newest.pk),), NOW)
    Ticket.objects.filter(pk=newest.pk).delete()
    again = emergencies.new_emergencies(world.dispatcher, held, now=NOW + 15)
    assert again.count == 0 and again.cursor.after == after
    commit()
    assert [e.pk for e in emergencies.new_emergencies(world.dispatcher, again.cursor, now=NOW + 30).named] == [late.pk]
