"""A district's reply times read its own marks by index (audit 2026-12-07, third pass): before, a district or street
supervisor's reply times read the city's marks of the period (≈ 2 M a month) through the list of every ticket the
district may read (all time). Now each mark carries its ticket's district and street, and the territory's marks are
read on the (district, replied_at) / (street, replied_at) index; the same figures as before."""
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.accounts.models import Role, User
from jiesu.quality import services
from jiesu.quality.models import ReplyCheck
from .test_services import FORWARDED, GOOD, replied


def test_a_district_reads_its_territorys_marks_by_index_with_the_same_figures(world):
    w = world
    mine = replied(w, "东华门大街早市摊贩占道经营，堵塞人行道", GOOD)
    replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    replied(w, "西长安街路灯坏了", "网友：您好！留言已收悉", w.street_b, w.street_b_staff)
    services.scan(days=30)
    assert ReplyCheck.objects.get(ticket=mine).district_id == w.district.pk
    chief = User.objects.create_user("chief-d", password="pw", role=Role.SUPERVISOR, unit=w.district)
    street_chief = User.objects.create_user("chief-s", password="pw", role=Role.SUPERVISOR, unit=w.street)
    for user in (chief, street_chief):
        with CaptureQueriesContext(connection) as ran:
            times = services.unit_reply_times(user, days=30)
        assert [(t.unit.pk, t.replies) for t in times] == [(w.street.pk, 2)]
        marks = [q["sql"] for q in ran.captured_queries if "quality_replycheck" in q["sql"]]
        field = "district_id" if user is chief else "street_id"
        assert marks and all(f'"quality_replycheck"."{field}" =' in sql for sql in marks[:1]), marks
        assert not any('"tickets_ticket"."district_id"' in sql or '"tickets_ticket"."street_id"' in sql
                       for sql in marks), marks
    other = User.objects.create_user("chief-b", password="pw", role=Role.SUPERVISOR, unit=w.district_b)
    assert [(t.unit.pk, t.replies) for t in services.unit_reply_times(other, days=30)] == [(w.street_b.pk, 1)]
