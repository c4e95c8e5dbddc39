"""申诉: the flagged unit appeals a reply flag, the 12345 centre decides (audit 2026-12-07, third pass). Before, a unit
whose reply was flagged (答非所问, a copied reply, a reply without the facts; about one flag in five is a real answer)
could not contest it at all. Now its staff appeal with a reason (page and API), a supervisor with the ticket in
territory upholds or withdraws it with a reason, both in the ticket's history with a notice to the other side, the
list filters by appeal state, and the unit's flag count leaves out withdrawn flags and says pending ones apart."""
import json

import pytest
from django.test import Client
from django.urls import reverse

from jiesu.accounts.models import Role, User
from jiesu.core.errors import DomainError
from jiesu.quality import services
from jiesu.quality.models import ReplyFlag
from jiesu.tickets.models import Notice, TicketEvent
from .test_dismiss import flagged  # noqa: F401  (fixture: a forwarded reply, scanned and flagged)

pytestmark = pytest.mark.django_db
WHY = "答复已写明处理结果：垃圾已于当日清运完毕，并已电话告知诉求人"
DECIDED = "经复核，答复包含办理结果，标记撤销"


def counts(w, user=None):
    return services.unit_flag_counts(user or w.supervisor, days=30).get(w.street.pk)


def test_the_unit_appeals_on_the_page_and_the_centre_withdraws_the_flag(flagged):
    w = flagged
    assert counts(w) == (1, 0)
    c = Client()
    c.force_login(w.street_staff)
    url = reverse("quality_appeal_flag", args=[w.flag.pk])
    assert url in c.get(reverse("quality_board")).content.decode()
    r = c.post(url, {"reason": WHY}, follow=True)
    assert r.redirect_chain[-1][0] == reverse("quality_board") and "已提交" in r.content.decode()
    w.flag.refresh_from_db()
    assert (w.flag.appeal_state, w.flag.appealed_by, w.flag.appeal_reason) == ("pending", w.street_staff, WHY)
    event = TicketEvent.objects.get(ticket=w.ticket, kind="reply_flag_appealed")
    assert event.actor == w.street_staff and event.note == WHY
    assert set(Notice.objects.filter(ticket=w.ticket).values_list("unit", flat=True)) == {w.hc.pk, w.district.pk}
    assert counts(w) == (0, 1)                                     # pending: counted apart, not against the unit

    c.force_login(w.supervisor)
    board = c.get(reverse("quality_board"), {"appeal": "pending"}).content.decode()
    assert w.ticket.number in board and WHY in board and reverse("quality_decide_appeal", args=[w.flag.pk]) in board
    assert w.ticket.number not in c.get(reverse("quality_board"), {"appeal": "none"}).content.decode()
    r = c.post(reverse("quality_decide_appeal", args=[w.flag.pk]), {"reason": DECIDED, "decision": "withdraw"},
               follow=True)
    assert "申诉已审核" in r.content.decode()
    w.flag.refresh_from_db()
    assert (w.flag.appeal_state, w.flag.appeal_decided_by, w.flag.appeal_decision) == ("withdrawn", w.supervisor,
                                                                                      DECIDED)
    assert TicketEvent.objects.get(ticket=w.ticket, kind="reply_appeal_withdrawn").note == DECIDED
    assert Notice.objects.filter(ticket=w.ticket, unit=w.street, text__contains=DECIDED).exists()
    assert counts(w) == (0, 0)                                     # withdrawn: counts against no one
    assert w.ticket.number not in c.get(reverse("quality_board")).content.decode()      # off the open list
    assert w.ticket.number in c.get(reverse("quality_board"), {"appeal": "withdrawn"}).content.decode()
    history = c.get(reverse("ticket_detail", args=[w.ticket.pk])).content.decode()
    assert "答复标记申诉" in history and "撤销答复标记" in history
    longest = TicketEvent._meta.get_field("kind").max_length        # SQLite would store a longer kind; PostgreSQL not
    assert all(len(k) <= longest for k in TicketEvent.objects.filter(ticket=w.ticket).values_list("kind", flat=True))
    services.scan(days=30)                                          # a re-scan leaves the decided flag as it is
    assert ReplyFlag.objects.get(ticket=w.ticket).appeal_state == "withdrawn"


def test_an_upheld_flag_counts_again(flagged):
    w = flagged
    services.appeal_flag(w.street_staff, w.flag.pk, WHY)
    district_sup = User.objects.create_user("chief-d", password="pw", role=Role.SUPERVISOR, unit=w.district)
    services.decide_appeal(district_sup, w.flag.pk, True, "答复仅称已转相关部门，未说明办理结果")
    assert ReplyFlag.objects.get(pk=w.flag.pk).appeal_state == "upheld"
    assert counts(w) == (1, 0) and counts(w, district_sup) == (1, 0)
    assert TicketEvent.objects.filter(ticket=w.ticket, kind="reply_appeal_upheld").count() == 1


def test_who_may_appeal_and_decide_and_bad_input_in_words(flagged):
    w = flagged
    c = Client()
    appeal, decide = (reverse("quality_appeal_flag", args=[w.flag.pk]),
                      reverse("quality_decide_appeal", args=[w.flag.pk]))
    c.force_login(w.street_b_staff)                                 # another unit: not its flag
    assert c.post(appeal, {"reason": WHY}).status_code == 404
    c.force_login(w.supervisor)                                     # the centre decides, it does not appeal
    assert c.post(appeal, {"reason": WHY}).status_code == 403
    with pytest.raises(DomainError) as exc:
        services.appeal_flag(w.street_staff, w.flag.pk, "   ")
    assert exc.value.field == "reason" and exc.value.message
    with pytest.raises(DomainError) as exc:                         # nothing pending to decide
        services.decide_appeal(w.supervisor, w.flag.pk, False, DECIDED)
    assert exc.value.status == 409
    services.appeal_flag(w.street_staff, w.flag.pk, WHY)
    with pytest.raises(DomainError) as exc:                         # once
        services.appeal_flag(w.street_staff, w.flag.pk, WHY)
    assert exc.value.status == 409
    with pytest.raises(DomainError) as exc:                         # decide the appeal, not dismiss around it
        services.dismiss_flag(w.supervisor, w.flag.pk, DECIDED)
    assert exc.value.status == 409
    c.force_login(w.street_staff)                                   # the unit may not decide its own appeal
    assert c.post(decide, {"reason": DECIDED, "decision": "withdraw"}).status_code == 403
    other = User.objects.create_user("chief-b", password="pw", role=Role.SUPERVISOR, unit=w.district_b)
    c.force_login(other)                                            # a supervisor of another territory
    assert c.post(decide, {"reason": DECIDED, "decision": "withdraw"}).status_code == 404
    c.force_login(w.supervisor)
    page = c.post(decide, {"reason": DECIDED, "decision": ""}, follow=True).content.decode()
    assert "维持或撤销" in page
    assert ReplyFlag.objects.get(pk=w.flag.pk).appeal_state == "pending"
    assert not TicketEvent.objects.filter(kind__in=("reply_appeal_upheld", "reply_appeal_withdrawn")).exists()


def test_the_api_appeals_and_decides(flagged):
    w = flagged
    c = Client()
    c.force_login(w.street_staff)
    base = f"/api/v1/quality/flags/{w.flag.pk}"
    r = c.post(f"{base}/appeal", json.dumps({"reason": ""}), content_type="application/json")
    assert r.status_code == 400 and r.json()["field"] == "reason"
    r = c.post(f"{base}/appeal", json.dumps({"reason": WHY}), content_type="application/json")
    assert r.status_code == 200 and r.json()["appeal_state"] == "pending"
    assert [f["id"] for f in c.get("/api/v1/quality/flags", {"appeal": "pending"}).json()] == [w.flag.pk]
    c.force_login(w.supervisor)
    r = c.post(f"{base}/decision", json.dumps({"uphold": False, "reason": DECIDED}), content_type="application/json")
    assert r.status_code == 200 and r.json()["appeal_state"] == "withdrawn"
    assert c.get("/api/v1/quality/flags").json() == []
