"""A topic's effect is counted once and stored with the time it was counted (models.TopicEffect): the page reads it
while it is fresh (an hour while the month runs, a week once it has ended) and says when it was counted; the worker
counts the running months' topics again before they are stale; a stale one, or one whose rule changed, is counted
again when the page is opened."""
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jiesu.topics import services
from jiesu.topics.models import Topic, TopicEffect
from threads import at_once
from tickets.helpers import new_ticket
from topics.test_services import data

pytestmark = pytest.mark.django_db


def _page(user, topic, language="zh-hans"):
    c = Client()
    c.cookies["django_language"] = language
    c.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        page = c.get(reverse("topic_detail", args=[topic.pk])).content.decode()
    counted = any('"tickets_ticket"' in q["sql"] for q in queries.captured_queries)
    return page, counted


def _figures(page):
    return [page.split(f'id="volume-{which}">', 1)[1].split("<", 1)[0] for which in ("before", "during")]


def test_the_page_counts_once_then_reads_the_stored_effect_and_says_when(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    page, counted = _page(hot.street_staff, topic)
    assert counted and _figures(page) == ["0", "7"]
    stored = TopicEffect.objects.get(topic=topic)
    assert (stored.before, stored.during) == (0, 7)
    page, counted = _page(hot.street_staff, topic)
    assert not counted and _figures(page) == ["0", "7"]  # no ticket read: the stored figures
    at = timezone.localtime(stored.counted_at).strftime("%Y-%m-%d %H:%M")
    assert f'id="effect-counted" data-at="{stored.counted_at.isoformat()}"' in page and f"统计于 {at}" in page
    assert "每小时重新统计" in page
    english, _counted = _page(hot.street_staff, topic, "en")
    assert f"Counted at {at}" in english and "counted again every hour" in english


def test_a_stale_effect_is_counted_again_with_the_new_tickets(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    _page(hot.street_staff, topic)
    TopicEffect.objects.filter(topic=topic).update(counted_at=timezone.now() - timedelta(minutes=61))
    new_ticket(hot, text="早市摊贩又占道了", citizen_phone="13800000009")  # one more ticket of the topic's category
    page, counted = _page(hot.street_staff, topic)
    assert counted and _figures(page) == ["0", "8"]
    assert timezone.now() - TopicEffect.objects.get(topic=topic).counted_at < timedelta(minutes=5)


def test_a_changed_rule_is_counted_again(hot):
    """Its texts repaired (topics 0002, jiesu hotspots --repair-stored) or its category changed: the stored figures
    were counted by another rule."""
    topic = services.create_topic(hot.supervisor, data(hot))
    _page(hot.street_staff, topic)
    Topic.objects.filter(pk=topic.pk).update(territory=hot.street_b)
    page, counted = _page(hot.street_staff, topic)
    assert counted and _figures(page) == ["0", "2"]


def test_an_ended_months_effect_stays_a_week(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    start, end = services.month_window(topic.year, topic.month)
    services.shown_effect(topic, now=end + timedelta(hours=1))
    assert services.shown_effect(topic, now=end + timedelta(days=6)).counted_at == end + timedelta(hours=1)
    assert services.shown_effect(topic, now=end + timedelta(days=8)).counted_at == end + timedelta(days=8)


def test_the_worker_counts_the_running_months_topics_before_they_are_stale(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    old = services.create_topic(hot.supervisor, data(hot, year=2020, month=1))
    now = timezone.now()
    assert services.refresh_effects(now) == 1  # the month running; not 2020's (a worker job: tickets.jobs)
    stored = TopicEffect.objects.get(topic=topic)
    assert stored.counted_at == now and not TopicEffect.objects.filter(topic=old).exists()
    assert services.refresh_effects(now + timedelta(minutes=20)) == 0
    assert services.refresh_effects(now + timedelta(minutes=31)) == 1  # before the page finds it stale (an hour)
    _page_text, counted = _page(hot.street_staff, topic)
    assert not counted


def test_a_worker_pass_counts_within_its_budget_the_stalest_first(hot):
    """A topic of a city's volume takes seconds: the worker's other jobs wait meanwhile. One topic at least."""
    first, second = (services.create_topic(hot.supervisor, data(hot, title=t)) for t in ("一", "二"))
    now = timezone.now()
    assert services.refresh_effects(now, budget=0) == 1
    assert TopicEffect.objects.get().topic_id == first.pk
    later = now + timedelta(minutes=1)
    assert services.refresh_effects(later, budget=0) == 1  # the one never counted, before the one counted
    assert TopicEffect.objects.get(topic=second).counted_at == later
    assert services.refresh_effects(later, budget=60) == 0


@pytest.mark.django_db(transaction=True)
def test_two_views_counting_at_once_store_one_effect(hot):
    topic = services.create_topic(hot.supervisor, data(hot))
    results, errors = at_once(lambda: services.shown_effect(Topic.objects.get(pk=topic.pk)).during, 4)
    assert errors == [] and results == [7] * 4
    assert TopicEffect.objects.filter(topic=topic).count() == 1
