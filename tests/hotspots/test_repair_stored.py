"""Hotspots and topics stored before 2026-12-07 (commit c49ee84) are repaired by migrations hotspots 0002 and topics
0002 (and `jiesu hotspots --repair-stored`): a report's (举报) title no longer stands as a label, its words among the
exemplars, its address among the places; a phone number in a label is masked; a topic's copied texts follow; what had
no withheld ticket and no contact number stays as it was."""
import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from jiesu.hotspots import services
from jiesu.hotspots.cluster import Item
from jiesu.hotspots.models import Hotspot
from jiesu.topics import services as topic_services
from jiesu.topics.models import Topic, TopicChange
from jiesu.topics.services import TopicData
from tickets.helpers import new_ticket

from .conftest import SAME

ACCUSATION = "东华门大街早市摊贩占道经营，行人无法通过，人行道被堵，城管收钱"
SECRET = "城管收钱"
HOME = "东华门大街5号楼3单元"
RUBBISH = ["西长安街街道小区垃圾清运不及时臭味大，电话13912345670", "西长安街街道小区垃圾清运不及时，蚊蝇多，电话13912345671"]
LAMPS = ["西单北大街路灯不亮，夜间出行不便", "西单北大街路灯损坏不亮，夜间出行不便"]
PHONE = re.compile(r"1\d{10}")
GONE = "已无工单的一段文字，联系电话13900000000"
BEFORE = [("hotspots", "0001_initial"), ("topics", "0001_initial")]
AFTER = [("hotspots", "0002_repair_withheld_words"), ("topics", "0002_repair_copied_texts")]


def old_words(h):
    """The words a run stored before c49ee84: the most central ticket's title (a report's too, unmasked), the three
    most central texts, every ticket's address among the places."""
    tickets = [m.ticket for m in h.members.select_related("ticket__street", "ticket__community")]
    its = [Item(t.pk, t.title, t.text[:600], 0.0) for t in tickets]
    places = Counter()
    for t in tickets:
        for name in dict.fromkeys(p for p in (t.community and t.community.name, t.street and t.street.name,
                                              (t.address or "")[:30]) if p):
            places[name] += 1
    return dict(label=(its[0].title or its[0].text[:40])[:200], exemplars=[it.body[:300] for it in its[:3]],
                places=[list(x) for x in places.most_common()[:8]])


def words(h):
    h.refresh_from_db()
    return h.label, h.exemplars, h.places


def old_style(w):
    """A run as stored before c49ee84, and topics made from it: one problem whose most central ticket is a report (its
    title the label), one whose titles hold a phone number, one of plain tickets; a topic of the first with its hotspot,
    one whose hotspot is gone (its run dropped), one of the second whose hotspot is gone."""
    w.plain = [new_ticket(w, text=t, citizen_phone=f"1380000000{i}") for i, t in enumerate(SAME[:3])]
    w.report = new_ticket(w, text=ACCUSATION, request_type="report", citizen_name="卫七",
                          citizen_phone="13800000009", address=HOME)
    w.rubbish = [new_ticket(w, text=t, street_code=w.street_b.code, citizen_phone=f"1390000000{i}")
                 for i, t in enumerate(RUBBISH)]
    w.lamps = [new_ticket(w, text=t, street_code=w.street_b.code, citizen_phone=f"1370000000{i}")
               for i, t in enumerate(LAMPS)]
    w.run = services.run_hotspots(days=30)
    w.market, w.bins, w.lamp = (Hotspot.objects.get(run=w.run, tickets=t) for t in (w.report, w.rubbish[0], w.lamps[0]))
    assert Hotspot.objects.filter(run=w.run).count() == 3
    w.now = {h.pk: words(h) for h in (w.market, w.bins, w.lamp)}    # as a run stores them today
    for h in (w.market, w.bins, w.lamp):
        Hotspot.objects.filter(pk=h.pk).update(**old_words(h))
    w.before = {h.pk: words(h) for h in (w.market, w.bins, w.lamp)}
    assert w.market.label == w.report.title and SECRET in w.market.label        # the leaks a repair must mend
    assert any(SECRET in e for e in w.market.exemplars) and any(name == HOME for name, _n in w.market.places)
    assert PHONE.search(w.bins.label) and any(PHONE.search(e) for e in w.bins.exemplars)
    assert w.before[w.lamp.pk] == w.now[w.lamp.pk]                  # no report, no phone: the same words then and now

    def topic(h):
        return topic_services.create_topic(w.supervisor, TopicData(
            title="每月一题", year=w.run.started_at.year, month=w.run.started_at.month, lead_unit=w.street.pk,
            hotspot=h.pk))

    w.topic, w.orphan, w.bins_orphan = topic(w.market), topic(w.market), topic(w.bins)
    assert w.topic.exemplars == w.market.exemplars and any(SECRET in e for e in w.orphan.exemplars)
    Topic.objects.filter(pk__in=[w.orphan.pk, w.bins_orphan.pk]).update(hotspot=None)
    Topic.objects.filter(pk=w.bins_orphan.pk).update(exemplars=[*w.bins.exemplars, GONE])
    return w


def assert_repaired(w):
    market, bins, lamp = words(w.market), words(w.bins), words(w.lamp)
    assert (market, bins, lamp) == (w.now[w.market.pk], w.now[w.bins.pk], w.now[w.lamp.pk])   # as a run states them
    label, exemplars, places = market
    assert label in {t.title for t in w.plain} and SECRET not in label
    assert len(exemplars) == 3 and not any(SECRET in e for e in exemplars)
    assert HOME not in [name for name, _n in places] and ["东华门街道", 4] in places          # its street still counted
    label, exemplars, _places = bins
    assert "139****567" in label and not PHONE.search(label) and not any(PHONE.search(e) for e in exemplars)
    assert lamp == w.before[w.lamp.pk]                               # no withheld ticket, no number: untouched
    for t in (w.topic, w.orphan, w.bins_orphan):
        t.refresh_from_db()
    assert w.topic.exemplars == w.market.exemplars                   # the hotspot's, as create_topic copies them now
    assert len(w.orphan.exemplars) == 2 and not any(SECRET in e for e in w.orphan.exemplars)   # the report's dropped
    assert all(e in w.market.exemplars for e in w.orphan.exemplars)
    assert len(w.bins_orphan.exemplars) == 3 and not any(PHONE.search(e) for e in w.bins_orphan.exemplars)
    assert w.bins_orphan.exemplars[:2] == w.bins.exemplars         # masked as the repaired hotspot's
    assert w.bins_orphan.exemplars[2] == "已无工单的一段文字，联系电话139****0000"  # no ticket has it: masked still
    repaired = {c.topic_id: c for c in TopicChange.objects.filter(kind="texts_repaired")}
    assert set(repaired) == {w.topic.pk, w.orphan.pk, w.bins_orphan.pk}  # every repair is in the topic's changes
    assert repaired[w.bins_orphan.pk].by is None and repaired[w.bins_orphan.pk].detail == {"texts_before": 3,
                                                                                          "texts_after": 3}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def migrated_back():
    migrate(BEFORE)
    assert ("hotspots", "0002_repair_withheld_words") not in MigrationExecutor(connection).loader.applied_migrations
    yield
    # the database as the other tests expect it: every migration, later ones (hotspots 0003_asked_run) too
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_migrations_repair_the_runs_and_topics_stored_before(migrated_back, world):
    w = old_style(world)
    migrate(AFTER)
    assert ("topics", "0002_repair_copied_texts") in MigrationExecutor(connection).loader.applied_migrations
    assert_repaired(w)


def test_the_command_repairs_them_too_and_a_second_repair_changes_nothing(world):
    w = old_style(world)
    out = StringIO()
    call_command("hotspots", "--repair-stored", stdout=out)
    assert "热点问题：重写 2 / 3 个；每月一题：修复 3 / 3 个" in out.getvalue()    # the command line's language
    assert_repaired(w)
    assert services.repair_stored() == (3, 0)
    assert topic_services.repair_copied_texts() == (3, 0)
    assert TopicChange.objects.filter(kind="texts_repaired").count() == 3  # a repair that changes nothing: no line


def test_the_repair_works_in_batches_of_a_few_queries_whatever_their_size(world):
    w = old_style(world)
    for _ in range(3):                                               # 3 runs more: 12 hotspots
        run = services.run_hotspots(days=30)
        for h in Hotspot.objects.filter(run=run):
            Hotspot.objects.filter(pk=h.pk).update(**old_words(h))
    with CaptureQueriesContext(connection) as all_at_once:
        assert services.repair_stored(batch=500) == (12, 8)
    # the hotspots, their tickets, the exemplars' tickets, one update of the changed, the empty next batch
    assert len(all_at_once) <= 6
    for h in Hotspot.objects.all():
        Hotspot.objects.filter(pk=h.pk).update(**old_words(h))
    with CaptureQueriesContext(connection) as by_fives:
        assert services.repair_stored(batch=5) == (12, 8)
    assert len(by_fives) <= 3 * 6
    assert all(words(h) == w.now[h.pk] for h in (w.market, w.bins, w.lamp))


def test_the_repair_reads_in_the_topics_changes_in_both_languages():
    from django.utils import translation

    from jiesu.topics.views import change_labels

    with translation.override("zh-hans"):
        assert change_labels()["texts_repaired"] == "复制的诉求文字已修复：去除举报和保密诉求的内容，号码已遮蔽"
    with translation.override("en"):
        assert change_labels()["texts_repaired"].startswith("Copied texts repaired")
