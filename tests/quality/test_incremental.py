"""The reply check runs from the worker, incrementally (audit 2026-12-07): before, only `jiesu quality --days N`
checked replies, a whole window at once, and at Beijing's volume (≈ 65,000 replies a day) nobody ran it: no reply
was ever flagged. Each pass now checks the replies not yet checked (the ReplyCheck marks), in bounded batches, finds
a reply whose transaction committed after a newer one was checked, and a re-run stores nothing twice."""
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.quality import jobs, services
from jiesu.quality.models import ReplyCheck, ReplyFlag
from jiesu.tickets.models import Assignment, TicketEvent
from .test_services import FORWARDED, GOOD, replied

pytestmark = pytest.mark.django_db


def test_each_pass_checks_only_the_replies_not_yet_checked(world):
    w = world
    first = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    replied(w, "东华门大街早市摊贩占道经营，堵塞人行道", GOOD)
    assert jobs.check_new_replies() == 2
    assert jobs.check_new_replies() == 0                        # nothing new: nothing re-checked
    assert ReplyFlag.objects.filter(ticket=first).get().reasons == ["off_topic", "no_result"]
    copy = replied(w, "路灯不亮，晚上出行不安全", FORWARDED)        # the same forward to another problem
    assert jobs.check_new_replies() == 1
    flag = ReplyFlag.objects.get(ticket=copy)
    assert "boilerplate" in flag.reasons and flag.same_as_id == first.pk   # compared with the unit's earlier replies
    assert jobs.check_new_replies() == 0
    assert ReplyFlag.objects.count() == 2 and ReplyCheck.objects.count() == 3


def test_a_reply_committed_late_is_not_missed(world):
    """A reply whose transaction took its time before a newer reply's and committed after the pass read the newer
    one: its reply time is older than the newest checked, it is still checked."""
    w = world
    replied(w, "东华门大街早市摊贩占道经营，堵塞人行道", GOOD)
    assert jobs.check_new_replies() == 1
    late = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)    # committed now, written ten minutes ago
    earlier = timezone.now() - timedelta(minutes=10)
    Assignment.objects.filter(ticket=late).update(replied_at=earlier)
    TicketEvent.objects.filter(ticket=late, kind="reply").update(at=earlier)
    assert jobs.check_new_replies() == 1
    assert ReplyFlag.objects.filter(ticket=late).exists()


def test_a_pass_is_bounded_and_the_rest_waits_for_the_next(world):
    w = world
    for i in range(5):
        replied(w, f"第{i}号楼路灯不亮", FORWARDED)
    assert services.check_new(batch=2, batches=2) == 4
    assert services.check_new(batch=2, batches=2) == 1
    assert ReplyCheck.objects.count() == 5


def test_a_reply_sent_again_is_checked_again(world):
    """After 重办 the unit replies anew (a new reply time): that reply is checked too; the first one's flag stays."""
    w = world
    t = replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    assert jobs.check_new_replies() == 1
    Assignment.objects.filter(ticket=t).update(
        replied_at=timezone.now(), reply_text="经现场核实，小区垃圾清运不及时属实，物业已于今日清运完毕，并增加每日清运一次。")
    TicketEvent.objects.create(ticket=t, kind="reply", at=timezone.now())
    assert jobs.check_new_replies() == 1
    assert ReplyCheck.objects.filter(ticket=t).count() == 2 and ReplyFlag.objects.filter(ticket=t).count() == 1


def test_reply_times_are_summed_from_the_checked_replies(world):
    w = world
    replied(w, "小区垃圾清运不及时，臭味很大", FORWARDED)
    replied(w, "西长安街路灯坏了", "网友：您好！留言已收悉", w.street_b, w.street_b_staff)
    assert services.unit_reply_times(w.supervisor) == []      # not checked yet
    jobs.check_new_replies()
    times = services.unit_reply_times(w.supervisor)
    assert {t.unit.pk: t.replies for t in times} == {w.street.pk: 1, w.street_b.pk: 1}
    assert [t.unit.pk for t in services.unit_reply_times(w.street_staff)] == [w.street.pk]


def test_counted_percentiles_are_numpys():
    import numpy as np

    from jiesu.quality import timing

    rng = np.random.default_rng(3)
    values = np.round(rng.exponential(20, 997), 0)
    got = timing.summarise_counts(("u", float(v), int(n)) for v, n in zip(*np.unique(values, return_counts=True)))
    assert got[0].replies == 997
    assert got[0].median_h == round(float(np.median(values)), 1)
    assert got[0].p90_h == round(float(np.percentile(values, 90)), 1)
