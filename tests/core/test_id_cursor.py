"""The poll's cursor over a primary key (jiesu.core.id_cursor): it moves over ids that follow one another,
holds what it read above a gap, waits GRACE_S for the gap to fill, and takes a page's text without trusting it."""
from jiesu.core.id_cursor import GRACE_S, MAX_HELD, Cursor, advance, from_page, parse_held, parse_since

NOW = 1_800_000_000.0


def test_ids_that_follow_one_another_move_the_cursor_to_the_last():
    assert advance(Cursor(10), [11, 12, 13], NOW) == Cursor(13)


def test_nothing_read_leaves_the_cursor_where_it_was():
    assert advance(Cursor(10), [], NOW) == Cursor(10)


def test_a_gap_stops_the_cursor_below_it_and_holds_what_was_read_above():
    moved = advance(Cursor(10), [11, 13, 14, 16], NOW)
    assert moved == Cursor(11, ((13, 14), (16, 16)), NOW)
    assert (moved.held_text(), moved.since_text()) == ("13-14,16", "1800000000.000")


def test_a_gap_filled_later_moves_the_cursor_over_it_and_what_it_held():
    held = advance(Cursor(10), [11, 13, 14], NOW)
    assert advance(held, [12], NOW + 15) == Cursor(14)


def test_a_gap_partly_filled_waits_again_from_the_new_stop():
    held = advance(Cursor(10), [13], NOW)
    assert advance(held, [11], NOW + 15) == Cursor(11, ((13, 13),), NOW + 15)


def test_the_cursor_waits_grace_seconds_at_the_same_gap_then_moves_past_it():
    held = advance(Cursor(10), [12], NOW)
    assert advance(held, [], NOW + GRACE_S - 1) == held
    assert advance(held, [13], NOW + GRACE_S) == Cursor(13)


def test_after_passing_an_old_gap_a_new_gap_waits_its_own_time():
    held = advance(Cursor(10), [12, 14], NOW)
    assert held == Cursor(10, ((12, 12), (14, 14)), NOW)
    assert advance(held, [], NOW + GRACE_S) == Cursor(12, ((14, 14),), NOW + GRACE_S)


def test_a_cursor_holds_at_most_max_held_ranges_and_never_passes_a_gap_without_its_grace():
    """Past MAX_HELD gaps the cursor moved on over the lowest without their grace (a row committed late into one
    was never announced); now it stays below the lowest and leaves the ranges above the ones it holds unread."""
    from jiesu.core.id_cursor import advance_taking

    ids = list(range(12, 12 + 2 * (MAX_HELD + 5), 2))
    moved, taken = advance_taking(Cursor(10), [(pk, pk) for pk in ids], NOW)
    assert moved == advance(Cursor(10), ids, NOW)
    assert moved.after == 10 and len(moved.held) == MAX_HELD and moved.held[-1] == (ids[MAX_HELD - 1],) * 2
    assert taken == [(pk, pk) for pk in ids[:MAX_HELD]]
    assert advance(moved, [11], NOW + 1).after == ids[0]  # the lowest gap filled: the cursor moves over it


def test_a_range_read_inside_a_gap_when_the_cursor_is_full_is_left_unread_not_the_old_ones_dropped():
    """The ranges held before were announced: dropping one would announce it again; a new one that would need a
    range more is left for a later poll."""
    from jiesu.core.id_cursor import advance_taking

    full = Cursor(10, tuple((pk, pk) for pk in range(20, 20 + 10 * MAX_HELD, 10)), NOW)
    moved, taken = advance_taking(full, [(15, 15), (29, 29), (1000, 1005)], NOW + 1)
    assert moved.held[:2] == ((20, 20), (29, 30)) and len(moved.held) == MAX_HELD and moved.after == 10
    assert taken == [(29, 29)] and moved.since == NOW


def test_a_page_text_is_read_and_clipped_to_above_its_cursor():
    assert from_page(12, "10-14,16,20-21", "1800000000.5") == Cursor(12, ((13, 14), (16, 16), (20, 21)),
                                                                     1_800_000_000.5)
    assert from_page(12, "", "1800000000.5") == Cursor(12)  # since means nothing without a held id


def test_nonsense_from_a_page_is_dropped_not_trusted():
    assert parse_held("13-x") is None and parse_held("-5") is None and parse_held("5-3") == ()
    assert parse_held(f"13-{2 ** 63}") is None and parse_held(str(2 ** 63 - 1)) == ((2 ** 63 - 1, 2 ** 63 - 1),)
    assert from_page(12, "13-x", "1") == Cursor(12)
    assert parse_since("nan") is None and parse_since("-1") is None and parse_since("abc") is None
    assert parse_since("inf") is None  # a cursor that would never stop waiting


def test_a_huge_held_range_is_kept_as_a_range():
    """A page may send any range: it is joined as two numbers, never spelt out id by id."""
    moved = advance(from_page(0, "1-999999999999", str(NOW)), [1_000_000_000_001], NOW)
    assert moved == Cursor(999_999_999_999, ((1_000_000_000_001, 1_000_000_000_001),), NOW)


def test_ranges_read_move_the_cursor_as_their_ids_would():
    """advance_over (an import's rows read as ranges, audit of 2026-12-07) walks as advance over the same ids."""
    from jiesu.core.id_cursor import advance_over

    ranges = [(11, 2000), (2002, 5000), (5003, 5003)]
    ids = [pk for first, last in ranges for pk in range(first, last + 1)]
    assert advance_over(Cursor(10), ranges, NOW) == advance(Cursor(10), ids, NOW) == Cursor(
        2000, ((2002, 5000), (5003, 5003)), NOW)
    assert advance_over(Cursor(2000, ((2002, 5000),), NOW), [(2001, 2001), (5001, 5001)], NOW + 1) == Cursor(5001)


def test_a_cursor_above_the_tables_last_id_is_brought_back_to_it():
    from jiesu.core.id_cursor import within

    assert within(Cursor(5000, ((5002, 5100),), NOW), 4000) == Cursor(4000)  # a restored database
    assert within(Cursor(100, ((102, 105),), NOW), 104) == Cursor(100, ((102, 104),), NOW)  # the newest deleted
    assert within(Cursor(100, ((102, 105),), NOW), 101) == Cursor(100)
    assert within(Cursor(100, ((102, 105),), NOW), 105) == Cursor(100, ((102, 105),), NOW)
