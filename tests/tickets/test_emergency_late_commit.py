"""The emergency poll does not miss a ticket committed after a later one (docs/dispatch-desk.md, the queue): on
PostgreSQL two intakes run side by side and ticket n+1 may be committed, and read by a poll, while ticket n is
still being written. Here the late commit is played out on both databases: ticket n's row is taken out after it is
recorded and put back between two polls, the order in which a poll sees a late commit."""
from jiesu.tickets import emergencies
from jiesu.tickets.models import Ticket
from jiesu.core.id_cursor import GRACE_S, Cursor
from tests.tickets.helpers import last_id, new_ticket, not_yet_committed

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
FIRE = "小区配电箱着火了，冒烟很大，快来人"
STALL = "东华门大街有人占道经营，堵塞人行道"
NOW = 1_800_000_000.0


def poll(client, cursor):
    params = {"after": cursor["last"], "held": cursor["held"], "since": cursor["since"] or ""}
    return client.get("/dispatch/emergencies/", params).json()


def test_a_ticket_committed_after_a_later_one_is_announced_when_it_is(world, client):
    new_ticket(world, text=STALL)
    after = last_id(Ticket)
    late, early = new_ticket(world, text=FIRE), new_ticket(world, text=GAS)
    commit = not_yet_committed(late)
    client.force_login(world.dispatcher)
    first = poll(client, {"last": after, "held": "", "since": None})
    assert [e["id"] for e in first["emergencies"]] == [early.pk]
    assert (first["last"], first["held"]) == (after, str(early.pk)) and first["since"] > 0
    again = poll(client, first)
    assert (again["count"], again["last"], again["held"], again["since"]) == (0, after, str(early.pk), first["since"])
    commit()
    third = poll(client, again)
    assert [e["id"] for e in third["emergencies"]] == [late.pk]
    assert (third["last"], third["held"], third["since"]) == (early.pk, "", None)


def test_one_poll_without_the_fix_would_have_moved_past_the_late_ticket(world):
    """The control: the highest id read is above the ticket not yet committed; the cursor stays below it."""
    new_ticket(world, text=STALL)
    after = last_id(Ticket)
    late, early = new_ticket(world, text=FIRE), new_ticket(world, text=STALL)
    commit = not_yet_committed(late)
    found = emergencies.new_emergencies(world.dispatcher, Cursor(after), now=NOW)
    assert early.pk > late.pk and found.cursor == Cursor(after, ((early.pk, early.pk),), NOW)
    commit()
    assert [e.pk for e in emergencies.new_emergencies(world.dispatcher, found.cursor, now=NOW + 15).named] == [late.pk]


def test_a_gap_that_never_fills_is_passed_after_the_grace_time(world):
    new_ticket(world, text=STALL)
    after = last_id(Ticket)
    gone, kept = new_ticket(world, text=STALL), new_ticket(world, text=STALL)
    Ticket.objects.filter(pk=gone.pk).delete()  # a rollback's id, or a row deleted
    held = emergencies.new_emergencies(world.dispatcher, Cursor(after), now=NOW).cursor
    assert emergencies.new_emergencies(world.dispatcher, held, now=NOW + GRACE_S - 1).cursor == held
    fire = new_ticket(world, text=FIRE)
    passed = emergencies.new_emergencies(world.dispatcher, held, now=NOW + GRACE_S)
    assert (passed.cursor, [e.pk for e in passed.named]) == (Cursor(fire.pk), [fire.pk])
    assert kept.pk < fire.pk


def test_tickets_outside_the_queues_district_are_read_not_gaps(world):
    """A queue narrowed to one district announces its emergencies only, and the other districts' tickets do not
    stop the cursor: every id is read, then narrowed."""
    new_ticket(world, text=STALL)
    after = last_id(Ticket)
    elsewhere = new_ticket(world, text=GAS, street_code=world.street_b.code)
    here = new_ticket(world, text=FIRE)
    found = emergencies.new_emergencies(world.dispatcher, Cursor(after), world.district.pk, now=NOW)
    assert [e.pk for e in found.named] == [here.pk] and found.cursor == Cursor(here.pk)
    assert elsewhere.pk < here.pk and elsewhere.district_id != world.district.pk


def test_the_queue_page_starts_below_a_ticket_not_yet_committed(world, client):
    new_ticket(world, text=STALL)
    late, early = new_ticket(world, text=FIRE), new_ticket(world, text=STALL)
    commit = not_yet_committed(late)
    client.force_login(world.dispatcher)
    page = client.get("/dispatch/").content.decode()
    assert f'data-after="{late.pk - 1}" data-held="{early.pk}" data-since="' in page
    commit()
    found = emergencies.new_emergencies(world.dispatcher, Cursor(late.pk - 1, ((early.pk, early.pk),), NOW))
    assert [e.pk for e in found.named] == [late.pk]


def test_a_page_sending_ids_no_row_can_have_is_answered_not_failed(world, client):
    """A 25-digit held id, a since that is no time: the poll answers (the held text dropped), it does not fail on
    the database's integer range."""
    gas = new_ticket(world, text=GAS)
    client.force_login(world.dispatcher)
    found = client.get("/dispatch/emergencies/", {"after": gas.pk - 1, "held": "9999999999999999999999999",
                                                  "since": "nan"})
    assert found.status_code == 200
    assert [e["id"] for e in found.json()["emergencies"]] == [gas.pk]
