"""The hotspot run over tickets, stored results, scoping and the command."""
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiesu.core.errors import DomainError
from jiesu.hotspots import jobs, services
from jiesu.hotspots.models import AskedRun, Hotspot, HotspotRun
from jiesu.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def test_run_groups_the_tickets_and_stores_them(hot):
    run = services.run_hotspots(days=30)
    assert run.tickets == 7
    rows = list(run.hotspots.all())
    assert [r.rank for r in rows] == [1, 2]
    first = rows[0]
    assert first.size == 4 and first.citizens == 3 and first.repeats == 1
    assert first.street_id == hot.street.pk and first.unresolved_share == 1.0
    assert set(first.tickets.values_list("pk", flat=True)) == {t.pk for t in hot.same}
    assert set(rows[1].tickets.values_list("pk", flat=True)) == {t.pk for t in hot.other}
    assert first.heat > rows[1].heat
    assert first.exemplars and "东华门大街" in first.exemplars[0]


def test_resolved_tickets_lower_the_unresolved_share(hot):
    t = hot.same[0]
    ticket_services.dispatch(hot.dispatcher, t, hot.street.pk)
    ticket_services.sign(hot.street_staff, t)
    ticket_services.contact(hot.street_staff, t, "已联系")
    ticket_services.reply(hot.street_staff, t, "已清理占道摊点", True)
    first = services.run_hotspots(days=30).hotspots.get(rank=1)
    assert first.unresolved_share == pytest.approx(0.75)


def test_bad_window_names_the_field(hot):
    with pytest.raises(DomainError) as exc:
        services.run_hotspots(days=0)
    assert exc.value.field == "days"
    assert not HotspotRun.objects.exists()


def dispatch_to_their_streets(hot):
    """A street sees its territory's tickets, and so their hotspots, once the hotline has dispatched them."""
    for t in (*hot.same, *hot.other):
        ticket_services.dispatch(hot.dispatcher, t, t.street_id)


def test_scoping_city_sees_all_street_its_own(hot):
    dispatch_to_their_streets(hot)
    run = services.run_hotspots(days=30)
    assert services.visible_hotspots(hot.supervisor, run).count() == 2
    assert services.visible_hotspots(hot.dispatcher, run).count() == 2
    mine = list(services.visible_hotspots(hot.street_staff, run))
    assert [h.street_id for h in mine] == [hot.street.pk]
    assert [h.street_id for h in services.visible_hotspots(hot.street_b_staff, run)] == [hot.street_b.pk]
    assert services.visible_hotspots(hot.citizen, run).count() == 0
    other = run.hotspots.get(street=hot.street_b)
    assert services.get_visible(hot.street_staff, other.pk) is None


def test_pages_are_scoped(hot):
    dispatch_to_their_streets(hot)
    services.run_hotspots(days=30)
    mine = Hotspot.objects.get(street=hot.street)
    theirs = Hotspot.objects.get(street=hot.street_b)
    c = Client()
    c.force_login(hot.street_staff)
    board = c.get(reverse("hotspot_board")).content.decode()
    assert mine.label in board and theirs.label not in board
    assert c.get(reverse("hotspot_detail", args=[theirs.pk])).status_code == 404
    page = c.get(reverse("hotspot_detail", args=[mine.pk])).content.decode()
    assert hot.same[0].number in page and "make-topic" not in page
    c.force_login(hot.supervisor)
    page = c.get(reverse("hotspot_detail", args=[theirs.pk])).content.decode()
    assert hot.other[0].number in page and "make-topic" in page
    c.force_login(hot.citizen)
    assert c.get(reverse("hotspot_board")).status_code == 403


def test_run_now_is_for_supervisors(hot):
    c = Client()
    c.force_login(hot.street_staff)
    assert c.post(reverse("hotspot_run"), {"days": 30}).status_code == 403
    c.force_login(hot.supervisor)
    assert c.post(reverse("hotspot_run"), {"days": 30}).status_code == 302
    assert HotspotRun.objects.count() == 0  # asked for the worker (test_asked_run.py), not run in the request
    assert AskedRun.objects.get().asked_by == hot.supervisor


def test_job_runs_only_when_due(hot, settings):
    first = jobs.run_here_if_due(every_hours=24)
    assert first is not None
    assert jobs.run_here_if_due(every_hours=24) is None
    assert HotspotRun.objects.count() == 1


def test_command_over_tickets_and_bad_csv(hot, tmp_path):
    out = io.StringIO()
    with translation.override("en"):
        call_command("hotspots", "--days", "30", stdout=out)
    assert "7 tickets, 2 problems kept" in out.getvalue()
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="missing column"):
        call_command("hotspots", "--csv", str(bad))


def test_command_over_a_csv(tmp_path):
    f = tmp_path / "votes.csv"
    f.write_text("留言编号,留言用户,留言主题,留言时间,留言详情,反对数,点赞数\n"
                 "1,u1,A2区丽发新城附近搅拌站噪音扰民,2019/11/2 10:00:00,丽发新城小区附近搅拌站夜间噪音,0,3\n"
                 "2,u2,A2区丽发新城搅拌站噪音扰民严重,2019-11-05 09:00:00,丽发新城搅拌站噪音,0,5\n"
                 "3,u3,A3区公交站台破损,2019/11/6 9:00,公交站台破损,0,0\n"
                 "4,u4,坏行,not a date,x,0,0\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("hotspots", "--csv", str(f), stdout=out, stderr=err)
    text = out.getvalue()
    assert "| 1 | 3.09 | 2 | 2 | 8 | 2019-11-02 – 2019-11-05 |" in text and "\n| 2 |" not in text
    assert "3 messages (1 skipped), 1 problem kept" in text
    assert "line 5 skipped" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_run_clusters_outside_a_transaction(hot, monkeypatch):
    """The clustering takes seconds to minutes (12 s of CPU for 18,000 tickets); inside the run's transaction it held
    SQLite's write lock (BEGIN IMMEDIATE) all that time, so every other write of the platform (intake, dispatch)
    waited and failed after 20 s with "database is locked". Only the storing is in a transaction."""
    from django.db import connection

    from jiesu.hotspots import cluster

    seen = []
    real = cluster.find_problems

    def clustering(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "find_problems", clustering)
    run = services.run_hotspots(days=30)
    assert seen == [False] and run.hotspots.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_both_store_and_drop_the_old_ones_once(hot, monkeypatch):
    """Two runs at once (the job and the page's button): each clusters outside a transaction and stores its own run;
    the runs beyond the latest are dropped once, without an error (audit check 2026-12-07)."""
    from tests.threads import at_once

    monkeypatch.setattr(services, "KEEP_RUNS", 2)
    for _ in range(2):
        services.run_hotspots(days=30)
    _runs, errors = at_once(lambda: services.run_hotspots(days=30), 2)
    assert errors == []
    assert HotspotRun.objects.count() == 2 and Hotspot.objects.count() == 4
