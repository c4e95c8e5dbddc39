"""The ticket's timeline says why a citizen's contact was revealed (the contact_revealed event's basis, written by
tickets.services.reveal_contact): to call back an emergency not recorded by phone, or by the viewer's duty."""
from django.utils import translation

from jiesu.core.templatetags.jiesu_ui import event_details
from jiesu.tickets.models import TicketEvent


def details(payload, language):
    with translation.override(language):
        return [str(d) for d in event_details(TicketEvent(kind="contact_revealed", payload=payload))]


def test_a_call_back_reveal_names_the_emergency_line_in_each_language():
    assert details({"basis": "call_back", "line": "119"}, "zh-hans") == ["为回拨非来电紧急诉求（119）"]
    assert details({"basis": "call_back", "line": "119"}, "en") == [
        "to call back an emergency not recorded by phone (119)"]


def test_a_reveal_by_duty_says_so_and_an_old_one_says_nothing_more():
    assert details({"basis": "role"}, "zh-hans") == ["按查看人岗位职责"]
    assert details({"basis": "role"}, "en") == ["by the viewer's duty"]
    assert details({}, "zh-hans") == []  # recorded before the basis was kept
