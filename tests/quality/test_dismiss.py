"""A false flag can be dismissed, with a reason, in the ticket's history (audit 2026-12-07): before, a flag could not
be answered at all — a supervisor who read a real answer flagged (about one in five, docs/reply-quality.md) could
neither say so nor take it off the list, and the next scan put it back anyway. Now a supervisor who may read the
ticket dismisses it with a reason; the board lists it under 已撤销 with who and why, the ticket's history records it,
and neither a re-scan nor the worker brings it back."""
import pytest
from django.test import Client
from django.urls import reverse

from jiesu.accounts.models import Role, User
from jiesu.core.errors import DomainError
from jiesu.quality import services
from jiesu.quality.models import ReplyFlag
from jiesu.tickets.models import TicketEvent
from .test_services import FORWARDED, replied

pytestmark = pytest.mark.django_db
REASON = "已电话核实，诉求人确认问题已解决，答复属实"


@pytest.fixture
def flagged(world):
    w = world
    w.ticket = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    services.scan(days=30)
    w.flag = ReplyFlag.objects.get(ticket=w.ticket)
    return w


def test_a_supervisor_dismisses_a_flag_with_a_reason_recorded_in_the_ticket_history(flagged):
    w = flagged
    c = Client()
    c.force_login(w.supervisor)
    url = reverse("quality_dismiss_flag", args=[w.flag.pk])
    assert url in c.get(reverse("quality_board")).content.decode()
    r = c.post(url, {"reason": REASON}, follow=True)
    assert r.redirect_chain[-1][0] == reverse("quality_board") and "已撤销工单" in r.content.decode()
    w.flag.refresh_from_db()
    assert w.flag.dismissed_at and w.flag.dismissed_by == w.supervisor and w.flag.dismissal_reason == REASON
    event = TicketEvent.objects.get(ticket=w.ticket, kind="reply_flag_dismissed")
    assert event.actor == w.supervisor and event.note == REASON and event.payload["reasons"] == w.flag.reasons
    assert w.ticket.number not in c.get(reverse("quality_board")).content.decode()     # off the open list
    page = c.get(reverse("quality_board"), {"show": "dismissed"}).content.decode()
    assert w.ticket.number in page and REASON in page
    history = c.get(reverse("ticket_detail", args=[w.ticket.pk])).content.decode()
    assert "答复标记已撤销" in history and "reply_flag_dismissed" not in history.replace('ev-reply_flag_dismissed', '')
    services.scan(days=30)                                   # a re-scan does not bring it back
    assert ReplyFlag.objects.get(ticket=w.ticket).dismissed_at is not None


def test_a_dismissal_needs_a_reason_and_a_supervisor_who_may_read_the_ticket(flagged):
    w = flagged
    with pytest.raises(DomainError) as exc:
        services.dismiss_flag(w.supervisor, w.flag.pk, "  ")
    assert exc.value.field == "reason"
    c = Client()
    c.force_login(w.street_staff)                            # the unit that replied may not clear its own flag
    assert c.post(reverse("quality_dismiss_flag", args=[w.flag.pk]), {"reason": REASON}).status_code == 403
    other = User.objects.create_user("chief-b", password="pw", role=Role.SUPERVISOR, unit=w.street_b)
    c.force_login(other)                                     # another territory's supervisor
    assert c.post(reverse("quality_dismiss_flag", args=[w.flag.pk]), {"reason": REASON}).status_code == 404
    w.flag.refresh_from_db()
    assert w.flag.dismissed_at is None
    services.dismiss_flag(w.supervisor, w.flag.pk, REASON)
    with pytest.raises(DomainError):                         # once
        services.dismiss_flag(w.supervisor, w.flag.pk, REASON)
    assert TicketEvent.objects.filter(kind="reply_flag_dismissed").count() == 1
