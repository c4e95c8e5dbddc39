"""The reply scan over tickets, the supervisors' page (scoped) and the hint on the reply form."""
import pytest
from django.test import Client
from django.urls import reverse

from jiesu.core.errors import DomainError
from jiesu.quality import services
from jiesu.quality.models import ReplyFlag
from jiesu.tickets import services as ticket_services
from tickets.helpers import new_ticket

pytestmark = pytest.mark.django_db

FORWARDED = "您的留言已收悉。关于您反映的问题，已转相关部门调查处理，敬请关注后续回复，谢谢！"
GOOD = "经现场核实，东华门大街早市确有摊贩占道经营，城管已于今日清理占道摊点并设置疏导区。"


def replied(w, text, reply, street=None, staff=None):
    street, staff = street or w.street, staff or w.street_staff
    t = new_ticket(w, text=text, street_code=street.code)
    ticket_services.dispatch(w.dispatcher, t, street.pk)
    ticket_services.sign(staff, t)
    ticket_services.contact(staff, t, "已联系")
    return ticket_services.reply(staff, t, reply, True)


@pytest.fixture
def replies(world):
    w = world
    w.good = replied(w, "东华门大街早市摊贩占道经营，堵塞人行道", GOOD)
    w.fwd1 = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    w.fwd2 = replied(w, "路灯不亮，晚上出行不安全", FORWARDED)
    w.other = replied(w, "西长安街路灯坏了", "网友：您好！留言已收悉", w.street_b, w.street_b_staff)
    return w


def test_scan_stores_flags_with_reasons_and_is_repeatable(replies):
    assert services.scan(days=30) == (4, 3)
    flags = {f.ticket_id: f for f in ReplyFlag.objects.all()}
    assert replies.good.pk not in flags
    assert flags[replies.fwd1.pk].reasons == ["off_topic", "boilerplate", "no_result"]
    assert flags[replies.fwd1.pk].same_as_id == replies.fwd2.pk
    assert flags[replies.other.pk].reasons == ["no_result"]
    assert services.scan(days=30) == (4, 3)
    assert ReplyFlag.objects.count() == 3
    with pytest.raises(DomainError) as exc:
        services.scan(days=400)
    assert exc.value.field == "days"


def test_page_is_for_supervisors_and_scoped(replies):
    from jiesu.accounts.models import Role, User

    services.scan(days=30)
    c = Client()
    c.force_login(replies.supervisor)
    page = c.get(reverse("quality_board")).content.decode()
    assert replies.fwd1.number in page and replies.other.number in page and replies.good.number not in page
    assert "reply-times" in page and replies.street.name in page
    page = c.get(reverse("quality_board"), {"reason": "boilerplate"}).content.decode()
    assert replies.fwd1.number in page and replies.other.number not in page
    chief = User.objects.create_user("chief", password="pw", role=Role.SUPERVISOR, unit=replies.street_b)
    c.force_login(chief)
    page = c.get(reverse("quality_board")).content.decode()
    assert replies.other.number in page and replies.fwd1.number not in page
    c.force_login(replies.street_staff)                 # the unit: its own replies only (test_unit_sees_its_flags)
    page = c.get(reverse("quality_board")).content.decode()
    assert replies.fwd1.number in page and replies.other.number not in page


def test_reply_times_per_unit(replies):
    services.check_new()                             # summed from the checked replies (test_incremental)
    times = services.unit_reply_times(replies.supervisor, days=30)
    assert {t.unit.pk: t.replies for t in times} == {replies.street.pk: 3, replies.street_b.pk: 1}


def test_hint_on_the_reply_form_warns_never_blocks(world):
    w = world
    replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    t = new_ticket(w, text="路灯不亮，晚上出行不安全")
    ticket_services.dispatch(w.dispatcher, t, w.street.pk)
    ticket_services.sign(w.street_staff, t)
    ticket_services.contact(w.street_staff, t, "已联系")
    c = Client()
    c.force_login(w.street_staff)
    page = c.get(reverse("ticket_detail", args=[t.pk])).content.decode()
    assert reverse("quality_check_reply", args=[t.pk]) in page and 'id="reply-hint"' in page
    hint = c.post(reverse("quality_check_reply", args=[t.pk]), {"reply_text": FORWARDED}).content.decode()
    assert "可能没有回应诉求" in hint and "套话" in hint and "无办理结果" in hint
    fine = c.post(reverse("quality_check_reply", args=[t.pk]),
                  {"reply_text": "经现场核实，路灯线路老化，已于今日更换路灯并恢复照明。"}).content.decode()
    assert fine.strip() == ""
    c.force_login(w.street_b_staff)
    assert c.post(reverse("quality_check_reply", args=[t.pk]), {"reply_text": FORWARDED}).status_code == 403
    c.force_login(w.street_staff)
    r = c.post(reverse("ticket_act", args=[t.pk, "reply"]), {"reply_text": FORWARDED, "self_resolved": "1"})
    assert r.status_code in (200, 302)
    t.refresh_from_db()
    assert t.state == "replied"                      # the hint never blocks the reply
