"""The demo generator counts an approved extension of a clock-limit reply (an emergency's, a utility's) in working
days, as the services do (tickets.models.limit_unit; docs/calendar.md, "extension → working days"): the stored
approaching point is the one the deadline worker and the pages compute from the ticket and its extension row."""
from jiesu.demo import profiles
from jiesu.demo.generate import generate
from jiesu.tickets.models import (HANDLING_STATES, ExtensionRequest, RequestState, Ticket, class_limit_unit,
                                  limit_unit, next_warning_at)
from jiesu.workcal.services import current_calendar

from .conftest import NOW


def test_an_extended_clock_limit_reply_is_warned_in_working_days(demo_world, monkeypatch):
    monkeypatch.setattr(profiles, "EXTENSION_SHARE", {**profiles.EXTENSION_SHARE, "emergency": 1.0, "utilities": 1.0})
    generate(n=300, seed=7, now=NOW, progress=False)
    approved = ExtensionRequest.objects.filter(state=RequestState.APPROVED)
    extended = [t for t in Ticket.objects.filter(state__in=HANDLING_STATES, warning_level=0).select_related("category")
                if class_limit_unit(t, "reply") == "clock_hours"
                and approved.filter(ticket=t, new_due=t.reply_due).exists()]
    assert extended  # open clock-limit tickets whose reply deadline an extension set
    calendar = current_calendar()
    for t in extended:
        assert limit_unit(t, "reply") == "working_days"
        assert t.next_check_at == next_warning_at(t, calendar=calendar)
        assert t.next_check_at != next_warning_at(t, unit="clock_hours", calendar=calendar)
