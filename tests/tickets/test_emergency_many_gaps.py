"""The emergency poll with more gaps open than a cursor holds (id_cursor.MAX_HELD): two importer processes whose id
blocks interleave leave a gap below each block of the other until it commits. The cursor skipped the lowest gaps
without their grace, so an emergency committed late into one of them was never announced (docs/dispatch-desk.md)."""
from jiesu.core.id_cursor import MAX_HELD, Cursor
from jiesu.tickets import emergencies
from jiesu.tickets.models import Ticket
from tests.tickets.helpers import last_id, new_ticket, not_yet_committed

GAS = "楼道里有燃气味，燃气泄漏，请马上派人"
NOW = 1_800_000_000.0


def open_gaps(world, n):
    """`n` tickets not yet committed, each with a committed ticket above it: `n` gaps; the commits, lowest first."""
    commits = []
    for _ in range(n):
        commits.append(not_yet_committed(new_ticket(world)))
        new_ticket(world)
    return commits


def test_an_emergency_committed_late_into_the_lowest_of_many_gaps_is_announced(world):
    new_ticket(world)  # on PostgreSQL the ids of the tests before (rolled back) leave a gap below it
    after = Cursor(last_id(Ticket))
    late_gas = new_ticket(world, text=GAS, channel="app")
    commit_gas = not_yet_committed(late_gas)
    new_ticket(world)
    commits = open_gaps(world, MAX_HELD + 5)
    first = emergencies.new_emergencies(world.dispatcher, after, now=NOW)
    assert first.count == 0 and first.cursor.after == after.after  # still below the gas leak's gap
    assert len(first.cursor.held) <= MAX_HELD
    commit_gas()
    second = emergencies.new_emergencies(world.dispatcher, first.cursor, now=NOW + 15)
    assert [e.pk for e in second.named] == [late_gas.pk]


def test_an_emergency_above_many_gaps_is_announced_once_when_they_close(world):
    """Rows above the gaps the cursor can hold are left unread for a later poll: announced then, and once."""
    new_ticket(world)
    after = Cursor(last_id(Ticket))
    commits = open_gaps(world, MAX_HELD + 3)
    gas = new_ticket(world, text=GAS, channel="app")
    polls, cursor = [], after
    for step in range(3):
        found = emergencies.new_emergencies(world.dispatcher, cursor, now=NOW + 15 * step)
        polls.append([e.pk for e in found.named])
        cursor = found.cursor
        assert len(cursor.held) <= MAX_HELD
    for commit in commits:
        commit()
    for step in range(3, 6):
        found = emergencies.new_emergencies(world.dispatcher, cursor, now=NOW + 15 * step)
        polls.append([e.pk for e in found.named])
        cursor = found.cursor
    assert sum(polls, []) == [gas.pk] and cursor == Cursor(last_id(Ticket))


def test_gaps_that_never_fill_are_passed_after_their_grace_and_nothing_above_is_lost(world):
    """Rolled-back ids never fill: the cursor passes them after its grace and reaches the rows above."""
    from jiesu.core.id_cursor import GRACE_S

    new_ticket(world)
    after = Cursor(last_id(Ticket))
    open_gaps(world, MAX_HELD + 3)  # never committed: rolled back
    gas = new_ticket(world, text=GAS, channel="app")
    named, cursor, now = [], after, NOW
    for _ in range(2 * (MAX_HELD + 3) + 4):
        found = emergencies.new_emergencies(world.dispatcher, cursor, now=now)
        named += [e.pk for e in found.named]
        cursor, now = found.cursor, now + GRACE_S
    assert named == [gas.pk] and cursor == Cursor(gas.pk)
