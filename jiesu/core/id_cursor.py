"""A poll's cursor over a primary key that does not skip a row committed late (plain module, no Django).

A poll that asks for "ids above the highest id I have read" misses a row whose transaction took its id first and
committed after a later one was read: on PostgreSQL two intakes run side by side, ticket 100 is still being written
when 101 is committed and read, and the next poll asks above 101. The dispatch queue's emergency poll must not miss
that emergency (docs/dispatch-desk.md).

So the cursor walks the ids read: it moves over ids that follow one another, and stops below the first gap (an id
not read between two that were): the ids above it already read are `held` (announced once, never again), and the
gap is asked for again at the next poll. A gap left by a transaction rolled back or a row deleted never fills: once
the cursor has waited `GRACE_S` at the same gap, it moves past it. The cursor is the client's (the page keeps it
and sends it back), so the server keeps no state per page.
"""
import math
from dataclasses import dataclass

from jiesu.core.params import MAX_ID

#: How long a poll waits for a gap to fill before it takes it for a rollback (an intake's transaction lasts
#: milliseconds; an import's batch of 5,000 rows, seconds).
GRACE_S = 120
#: The most held ranges a cursor carries (a page never sends a long list). Past them the rows read above are left
#: unread for a later poll (advance_taking): a gap is never passed without its grace.
MAX_HELD = 20


@dataclass(frozen=True)
class Cursor:
    after: int                  # every id up to it has been read (or waited for long enough)
    held: tuple = ()            # ((first, last), …): ranges of ids above `after` already read, ascending
    since: float | None = None  # when the cursor first stopped at `after` below a gap (epoch seconds)

    def held_text(self):
        """The held ranges as the page sends them back: "101-105,110"."""
        return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in self.held)

    def since_text(self):
        return "" if self.since is None else f"{self.since:.3f}"


def advance(cursor, ids, now, grace=GRACE_S):
    """The cursor after a poll that read `ids` (ascending, all above `cursor.after`, none held): it moves over the
    ids that follow `after` and stops below the first gap, unless it has waited `grace` seconds at that very gap."""
    return advance_over(cursor, [(pk, pk) for pk in ids], now, grace)


def advance_over(cursor, ranges, now, grace=GRACE_S):
    """`advance` after a poll that read the ids of `ranges` ((first, last), …, ascending): an import's 100,000
    rows are two numbers, not 100,000."""
    return advance_taking(cursor, ranges, now, grace)[0]


def advance_taking(cursor, ranges, now, grace=GRACE_S):
    """(the cursor after a poll that read `ranges`, the ranges of them it took): it moves over the ids that follow
    `after` and stops below the first gap, unless it has waited `grace` seconds at that very gap, holding what it
    read above. With more than MAX_HELD gaps open (two importers whose id blocks interleave) it keeps every gap and
    every range it held before, and leaves unread the ranges it cannot hold: the caller announces only the rows of
    the ranges taken, and a later poll reads the others again. Before, it moved on over the lowest gaps without
    their grace, and a row committed late into one of them was never announced."""
    after, held, taken = cursor.after, [], []
    marked = sorted([(first, last, True) for first, last in cursor.held]
                    + [(first, last, False) for first, last in ranges])
    old_left = len(cursor.held)
    for index, (first, last, was_held) in enumerate(marked):
        old_left -= was_held
        joins_next = index + 1 < len(marked) and marked[index + 1][2] and marked[index + 1][0] <= last + 1
        if not held and (first <= after + 1 or waited_enough(cursor, after, now, grace)):
            after = max(after, last)
        elif held and first <= held[-1][1] + 1:
            held[-1][1] = max(held[-1][1], last)
        elif was_held or joins_next or len(held) + old_left < MAX_HELD:
            held.append([first, last])
        else:
            continue  # no room: left unread, read again by a later poll
        if not was_held:
            taken.append((first, last))
    if not held:
        return Cursor(after), taken
    since = cursor.since if after == cursor.after and cursor.since is not None else now
    return Cursor(after, tuple((first, last) for first, last in held), since), taken


def within(cursor, last):
    """The cursor of a table whose highest id is `last`: one standing above it (a database restored from a backup,
    a sequence reset: the ids it read are given again) is brought back to it, and held ranges above it are cut to
    it (their ids would be new rows); a gap below is left waiting."""
    if cursor.after > last:
        return Cursor(last)
    held = tuple((first, min(end, last)) for first, end in cursor.held if first <= last)
    return cursor if held == cursor.held else Cursor(cursor.after, held, cursor.since if held else None)


def waited_enough(cursor, after, now, grace):
    """Whether the gap just above `after` is the one the cursor has been stopped at for `grace` seconds."""
    return after == cursor.after and cursor.since is not None and now - cursor.since >= grace


def from_page(after, held_text="", since_text=None):
    """The Cursor a page sent back: its held ranges ("101-105,110") clipped to those above `after`; a held text
    that is none is dropped (the ids in it are then announced again, never missed)."""
    held = parse_held(held_text) or ()
    held = tuple((max(first, after + 1), last) for first, last in held if last > after)
    return Cursor(after, held, parse_since(since_text) if held else None)


def parse_held(text):
    """The ranges of a held text ("101-105,110"); None when it is not one."""
    if not text:
        return ()
    ranges = []
    for part in text.split(",")[:MAX_HELD]:
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        first, last = int(first), int(last or first)
        if last > MAX_ID:
            return None  # no row has it; the database could not even compare it (SQLite: an overflow)
        ranges.append((first, last))
    ranges.sort()
    return ranges_of_ranges(ranges)


def ranges_of_ranges(ranges):
    """The `ranges` (sorted by their first id) with those that touch or overlap joined."""
    joined = []
    for first, last in ranges:
        if first > last:
            continue
        if joined and first <= joined[-1][1] + 1:
            joined[-1][1] = max(joined[-1][1], last)
        else:
            joined.append([first, last])
    return tuple((first, last) for first, last in joined)


def parse_since(text):
    """Epoch seconds of a since text; None when none or nonsense."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value >= 0 else None
