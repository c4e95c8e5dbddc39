"""`jiesu worker`: one pass runs the deadline scan and every app's periodic job; a failing job stops no other."""
import json
import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dispatch.desk_helpers import desk_world  # noqa: F401  (fixture)
from jiesu.dispatch.models import AutoDispatchRule
from jiesu.grids.models import LadderStep
from hotspots.test_asked_run import _in_this_process
from jiesu.hotspots.models import AskedRun, HotspotRun
from jiesu.tickets import jobs, services
from jiesu.tickets.models import Notice, State, Ticket
from jiesu.warnings.models import Forecast
from jiesu.whistles.models import Summons, WhistleNotice
from tickets.conftest import fast_passwords, world as ticket_world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket
from whistles.conftest import whistle, world  # noqa: F401  (fixtures: the whistles' world over the tickets')


@pytest.fixture(autouse=True)
def fresh_worker_memory():
    jobs.LAST_RUN.clear()
    yield
    jobs.LAST_RUN.clear()


@pytest.fixture
def busy(desk_world, monkeypatch):  # noqa: F811
    """Something for every job: an overdue whistle report, a new ticket under an enabled auto-dispatch rule,
    a dispatched ticket past its deadline on an overdue grid-ladder step. The daily hotspot run's process runs its
    command in this one, to see the test's database (the real process: tests/hotspots/test_daily_run_process.py)."""
    _in_this_process(monkeypatch)
    w = desk_world
    w.whistle = whistle(w)
    Summons.objects.filter(whistle=w.whistle).update(report_due=timezone.now() - timedelta(minutes=1))
    AutoDispatchRule.objects.create(category=w.category, threshold=0.5, enabled=True)
    w.late = new_ticket(w)
    services.dispatch(w.dispatcher, w.late, w.street.pk)
    past = timezone.now() - timedelta(days=30)
    Ticket.objects.filter(pk=w.late.pk).update(next_check_at=past, reply_due=past, dispatched_at=past - timedelta(1))
    LadderStep.objects.create(ticket=w.late, number=1, level="street", unit=w.street, entered_at=past, due_at=past)
    # after the dispatch above, so auto-dispatch finds it new; another stall than the late one's (the same words would
    # hold it as the late one's near duplicate: services.near_duplicate)
    w.fresh = new_ticket(w, text="东华门大街路口的早点摊把盲道占了，推车都过不去")
    return w


def worker_once():
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    return json.loads(out.getvalue())


def test_one_pass_runs_every_job(busy):
    figures = worker_once()
    assert figures["deadlines"] == 1
    assert Ticket.objects.get(pk=busy.late.pk).warning_level == jobs.OVERDUE
    assert figures["whistle_supervision"] == [2, 0]  # both summoned units were to report by now
    assert WhistleNotice.objects.filter(whistle=busy.whistle, kind=WhistleNotice.SUPERVISE).count() == 2
    assert figures["auto_dispatch"]["tickets"] == [busy.fresh.pk]
    fresh = Ticket.objects.get(pk=busy.fresh.pk)
    assert fresh.state == State.DISPATCHED and fresh.lead_unit == busy.street
    assert figures["grid_ladder"]["warned"] == 1
    assert LadderStep.objects.get(ticket=busy.late).overdue_noticed
    assert Notice.objects.filter(ticket=busy.late, kind="overdue").count() == 2  # the deadline's and the ladder's
    assert set(figures["warnings"]) >= {"series", "alerts"}  # ran (too little history here to forecast)
    daily = AskedRun.objects.get()
    assert figures["hotspots"] == {"id": daily.pk}
    assert (daily.asked_by_name, daily.run) == ("", HotspotRun.objects.get())  # the daily run, done by its process
    # ran, with nothing to do here: no reply to check, no month ended 10 days ago, no closed account's patrol,
    # no checked-reply mark a year old
    assert (figures["reply_quality"], figures["kpi_freeze"], figures["closed_account_patrols"],
            figures["reply_quality_prune"]) == (0, [], 0, 0)


def test_the_hourly_and_daily_jobs_wait_their_turn(busy):
    first = jobs.run_pass()
    assert first["warnings"] is not None and first["hotspots"] is not None
    soon = jobs.run_pass(now=timezone.now() + timedelta(minutes=30))
    assert soon["warnings"] is None and soon["hotspots"] is None
    later = jobs.run_pass(now=timezone.now() + timedelta(hours=2))
    assert later["warnings"] is not None and later["hotspots"] is None
    assert HotspotRun.objects.count() == 1


def test_a_failing_job_is_logged_and_the_others_still_run(busy, monkeypatch, caplog):
    def broken(now=None):
        raise RuntimeError("whistle tables damaged")

    monkeypatch.setattr("jiesu.whistles.jobs.scan_once", broken)
    with caplog.at_level(logging.ERROR, logger="jiesu.tickets.jobs"), pytest.raises(CommandError) as exc:
        call_command("worker", "--once", stdout=StringIO())
    assert "whistle_supervision" in str(exc.value)
    assert "whistle tables damaged" in caplog.text
    assert not WhistleNotice.objects.exclude(kind=WhistleNotice.SUMMONED).exists()   # the scan wrote none
    assert Ticket.objects.get(pk=busy.fresh.pk).state == State.DISPATCHED  # the job after it ran
    assert Ticket.objects.get(pk=busy.late.pk).warning_level == jobs.OVERDUE
    assert HotspotRun.objects.exists()


def test_a_job_that_cannot_be_imported_fails_alone(busy):
    results = jobs.run_pass(periodic=(("missing", "jiesu.nowhere.jobs.scan"),
                                      ("whistle_supervision", "jiesu.whistles.jobs.scan_once")))
    assert results["missing"] is jobs.FAILED
    assert results["whistle_supervision"] == (2, 0)


def test_another_workers_forecast_run_counts(world):  # noqa: F811
    now = timezone.now()
    week = timezone.localdate(now) + timedelta(days=7)
    Forecast.objects.create(week=week, expected=3, low=1, high=5, origin=week, made_at=now - timedelta(minutes=20))
    assert jobs.warnings_if_due(now=now) is None  # this process has never run it: the stored run counts
    assert jobs.warnings_if_due(now=now + timedelta(minutes=41)) is not None
