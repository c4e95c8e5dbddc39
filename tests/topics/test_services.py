"""每月一题: creation rights, validation, updates by lead/co units, the change log, the effect, pages, demo."""
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiesu.core.errors import DomainError, Forbidden
from jiesu.hotspots import services as hotspot_services
from jiesu.tickets.models import Ticket
from jiesu.topics import services
from jiesu.topics.demo import ensure_demo_topics
from jiesu.topics.models import Topic, TopicChange
from jiesu.topics.services import TopicData

pytestmark = pytest.mark.django_db


def data(w, **kw):
    today = timezone.localdate()
    base = dict(title="早市占道经营治理", year=today.year, month=today.month, lead_unit=w.street.pk,
                co_units=(w.dept2.pk,), category=w.category.code)
    base.update(kw)
    return TopicData(**base)


def test_supervisor_creates_others_may_not(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    assert topic.source == "category" and list(topic.co_units.all()) == [hot.dept2]
    change = TopicChange.objects.get(topic=topic)
    assert change.kind == "created" and change.by == hot.supervisor
    for user in (hot.street_staff, hot.dispatcher, hot.citizen):
        with pytest.raises(Forbidden):
            services.create_topic(user, data(hot))
    assert Topic.objects.count() == 1


@pytest.mark.parametrize("field,value", [("title", ""), ("month", 13), ("year", "x"), ("lead_unit", 999999),
                                         ("category", "nope"), ("lead_unit", None)])
def test_bad_input_names_the_field(hot, field, value):
    with pytest.raises(DomainError) as exc:
        services.create_topic(hot.supervisor, data(hot, **{field: value}))
    assert exc.value.field == field
    assert not Topic.objects.exists()


def test_neither_hotspot_nor_category(hot):
    with pytest.raises(DomainError) as exc:
        services.create_topic(hot.supervisor, data(hot, category=""))
    assert exc.value.field == "category"


def test_lead_and_co_units_update_others_read_only(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    services.add_progress(hot.street_staff, topic, "已完成第一轮整治")
    services.add_progress(hot.dept2_staff, topic, "联合执法两次")
    with pytest.raises(Forbidden):
        services.add_progress(hot.street_b_staff, topic, "不是我们的题目")
    with pytest.raises(Forbidden):
        services.add_task(hot.street_staff, topic, "任务", hot.street.pk)
    task = services.add_task(hot.supervisor, topic, "清理摊点", hot.street.pk, "2030-01-31")
    with pytest.raises(Forbidden):
        services.finish_task(hot.dept2_staff, task)       # a co unit may not finish the lead unit's task
    services.finish_task(hot.street_staff, task)
    with pytest.raises(DomainError):
        services.finish_task(hot.street_staff, task)
    services.add_policy(hot.street_staff, topic, "占道经营管理办法", "2030-01-05", number="京〔2030〕1号")
    with pytest.raises(DomainError) as exc:
        services.add_policy(hot.supervisor, topic, "x", "05/01/2030")
    assert exc.value.field == "policy_issued_on"
    kinds = list(topic.changes.order_by("at", "id").values_list("kind", "by__username"))
    assert kinds == [("created", "sup"), ("progress", "st"), ("progress", "dp2"), ("task_added", "sup"),
                     ("task_done", "st"), ("policy_added", "st")]


def test_effect_by_category_same_length_windows(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    start, _end = services.month_window(topic.year, topic.month)
    now = start + timedelta(days=10)
    # 7 tickets of the fixture are "now"; move 3 of them 5 days before the month, 1 of them 20 days before
    ids = [t.pk for t in hot.same]
    Ticket.objects.filter(pk__in=ids[:3]).update(created_at=start - timedelta(days=5))
    Ticket.objects.filter(pk=ids[3]).update(created_at=start - timedelta(days=20))
    Ticket.objects.exclude(pk__in=ids).update(created_at=start + timedelta(days=2))
    e = services.effect(topic, now=now)
    assert (e.before, e.during) == (3, 3)      # category 占道经营: all 7 fixture tickets are of it
    assert e.before_start == start - timedelta(days=10)
    assert e.change == 0


def test_effect_by_hotspot_rule(hot):
    run = hotspot_services.run_hotspots(days=30)
    h = run.hotspots.get(rank=1)
    topic = services.create_topic(hot.supervisor, data(hot, hotspot=h.pk, category="", title=h.label))
    assert topic.source == "hotspot" and topic.streets == [hot.street.pk] and topic.exemplars
    start, _end = services.month_window(topic.year, topic.month)
    Ticket.objects.update(created_at=start + timedelta(days=1))
    e = services.effect(topic, now=start + timedelta(days=3))
    assert e.during == 4                       # the market tickets; not the rubbish (other street) or 社保卡 one
    assert e.before == 0 and e.change is None


def test_pages(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    c = Client()
    c.force_login(hot.street_b_staff)          # every government user reads
    assert topic.title in c.get(reverse("topic_year")).content.decode()
    page = c.get(reverse("topic_detail", args=[topic.pk])).content.decode()
    assert "volume-before" in page and "progress_text" not in page
    assert c.post(reverse("topic_act", args=[topic.pk, "progress"]), {"progress_text": "x"}).status_code == 403
    assert c.get(reverse("topic_new")).status_code == 403
    c.force_login(hot.street_staff)
    r = c.post(reverse("topic_act", args=[topic.pk, "progress"]), {"progress_text": "已整治"})
    assert r.status_code == 302 and topic.progress.get().text == "已整治"
    c.force_login(hot.citizen)
    assert c.get(reverse("topic_year")).status_code == 403
    c.force_login(hot.supervisor)
    r = c.post(reverse("topic_new"), {"title": "", "year": topic.year, "month": 1, "lead_unit": hot.street.pk,
                                      "category": hot.category.code})
    assert r.status_code == 400 and "请填写标题" in r.content.decode()
    r = c.post(reverse("topic_new"), {"title": "新题", "year": topic.year, "month": 1, "lead_unit": hot.street.pk,
                                      "co_units": [hot.dept.pk], "category": hot.category.code})
    assert r.status_code == 302 and Topic.objects.filter(title="新题").exists()


def test_demo_topics_are_idempotent(hot):
    User = type(hot.supervisor)
    User.objects.filter(pk=hot.supervisor.pk).update(username="supervisor")
    lines = []
    made = ensure_demo_topics(lines.append)
    assert made >= 2 and Topic.objects.filter(demo=True).count() == made
    assert Topic.objects.filter(demo=True, source="hotspot").count() == 1
    assert ensure_demo_topics(lines.append) == 0
    assert Topic.objects.filter(demo=True).count() == made
