"""The demo city's duplicates: open groups of one problem at one place that the intake offers for merging, and
merged duplicates that told their parent's problem."""
from collections import defaultdict

import pytest
from django.utils import timezone

from jiesu.demo import texts as T
from jiesu.demo.generate import DUPLICATE_STREETS, generate
from jiesu.dispatch import duplicates
from jiesu.dispatch.duplicates import Draft, check_intake, ticket_duplicates
from jiesu.tickets.models import Ticket


@pytest.fixture
def demo_now(demo_world):
    """300 demo tickets up to the clock's now: the open-ticket index looks at the last 30 days of the real clock."""
    duplicates.reset_index(refresh_seconds=0)
    yield generate(n=300, seed=7, now=timezone.now(), progress=False)
    duplicates.reset_index()


def open_groups():
    """{category code: [tickets]} of the new tickets sharing a category and an address in the demo users' streets."""
    by_place = defaultdict(list)
    for t in Ticket.objects.filter(state="new", street__code__in=DUPLICATE_STREETS).select_related("category"):
        by_place[t.category.code, t.address].append(t)
    return {code: tickets for (code, _address), tickets in by_place.items() if len(tickets) > 1}


def test_the_demo_has_open_duplicate_groups_that_offer_each_other(demo_now):
    from jiesu.accounts.models import User

    dispatcher = User.objects.get(username="dispatcher")
    groups = open_groups()
    assert set(groups) == {code for code, *_rest in T.DUPLICATE_GROUPS}
    for code, _title, wordings, _typed in T.DUPLICATE_GROUPS:
        group = groups[code]
        assert len(group) == len(wordings) and len({t.text for t in group}) == len(wordings)  # each in its own words
        assert len({t.street_id for t in group}) == 1 and len({t.grid_id for t in group}) == 1
        for ticket in group:
            similar = ticket_duplicates(dispatcher, ticket).similar
            others = {t.pk for t in group} - {ticket.pk}
            assert {c.ticket.pk for c in similar[:len(others)]} == others, [c.ticket.text for c in similar]
            for c in similar[:len(others)]:
                assert c.match.text >= duplicates.OPEN_INDEX.index.min_text and c.score >= duplicates.MIN_SCORE
                assert c.match.place_reason == "grid"


def test_a_newcomer_typing_a_groups_problem_at_the_intake_is_offered_the_group(demo_now):
    from jiesu.accounts.models import User

    call_taker = User.objects.get(username="calltaker")
    groups = open_groups()
    for code, _title, wordings, typed in T.DUPLICATE_GROUPS:
        group = groups[code]
        street = group[0].street
        result = check_intake(call_taker, Draft(text=typed, street_code=street.code))
        offered = [c for c in result.candidates if c.ticket.category.code == code and c.ticket in group]
        assert {c.ticket.pk for c in offered} == {t.pk for t in group}, [c.ticket.text for c in result.candidates]
        assert result.candidates[:len(group)] == offered  # above anything else the street has open
        assert all(c.match.text >= duplicates.OPEN_INDEX.index.min_text and c.score >= duplicates.MIN_SCORE
                   for c in offered)


def test_a_merged_duplicate_tells_its_parents_problem_at_its_place(demo):
    merged = list(Ticket.objects.filter(state="merged", parent__isnull=False).select_related("parent"))
    assert merged
    for child in merged:
        assert child.title == child.parent.title and child.category_id == child.parent.category_id
        assert child.address == child.parent.address and child.street_id == child.parent.street_id
