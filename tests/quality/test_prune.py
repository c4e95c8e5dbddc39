"""The checked marks are pruned (audit 2026-12-07, third pass): a ReplyCheck per lead reply (≈ 24 M a year at Beijing's
volume) was kept for ever, though no check reads a mark older than the page's longest window (MAX_DAYS). The worker's
job deletes those, a bounded number a pass, oldest first."""
from datetime import timedelta

from django.utils import timezone

from jiesu.quality import jobs, services
from jiesu.quality.models import ReplyCheck
from .test_services import FORWARDED, GOOD, replied


def test_marks_older_than_any_window_are_deleted_a_bounded_number_a_pass(world):
    w = world
    for text in ("小区垃圾清运不及时，臭味很大", "东华门大街早市摊贩占道经营", "路灯不亮，晚上出行不安全"):
        replied(w, text, FORWARDED if "垃圾" in text else GOOD)
    services.scan(days=30)
    now = timezone.now()
    old, older, kept = ReplyCheck.objects.order_by("pk")
    ReplyCheck.objects.filter(pk=old.pk).update(replied_at=now - timedelta(days=services.MAX_DAYS + 2))
    ReplyCheck.objects.filter(pk=older.pk).update(replied_at=now - timedelta(days=services.MAX_DAYS + 30))
    ReplyCheck.objects.filter(pk=kept.pk).update(replied_at=now - timedelta(days=services.MAX_DAYS - 1))
    assert services.prune_checks(now=now, batch=1, batches=1) == 1                    # bounded, oldest first
    assert set(ReplyCheck.objects.values_list("pk", flat=True)) == {old.pk, kept.pk}
    assert jobs.prune_reply_checks(now=now) == 1
    assert list(ReplyCheck.objects.values_list("pk", flat=True)) == [kept.pk]
    assert [t.replies for t in services.unit_reply_times(w.supervisor, days=services.MAX_DAYS, now=now)] == [1]
