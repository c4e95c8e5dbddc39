"""The unit that replied sees its own flagged replies (audit 2026-12-07): before, /quality/ was for supervisors only
and a street's or department's clerk learnt of a flag only from the hint while typing — never which of the unit's
sent replies a supervisor was looking at. It sees its own, not another unit's, and its own reply times."""
from django.test import Client
from django.urls import reverse

from jiesu.quality import services
from .test_services import FORWARDED, GOOD, replied


def test_a_clerk_sees_the_flags_on_its_own_units_replies_only(world):
    w = world
    mine = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    good = replied(w, "东华门大街早市摊贩占道经营，堵塞人行道", GOOD)
    theirs = replied(w, "西长安街路灯坏了", "网友：您好！留言已收悉", w.street_b, w.street_b_staff)
    services.scan(days=30)
    c = Client()
    c.force_login(w.street_staff)
    r = c.get(reverse("quality_board"))
    assert r.status_code == 200
    page = r.content.decode()
    assert mine.number in page and theirs.number not in page and good.number not in page
    times = services.unit_reply_times(w.street_staff, days=30)
    assert [(t.unit.pk, t.replies) for t in times] == [(w.street.pk, 2)]
    c.force_login(w.citizen)
    assert c.get(reverse("quality_board")).status_code == 403


def test_the_clerks_menu_leads_there(world):
    c = Client()
    c.force_login(world.street_staff)
    assert f'href="{reverse("quality_board")}"' in c.get(reverse("worklist")).content.decode()
