"""The board's 「立即发现热点」 run is carried out in a process of its own (`jiesu hotspots --asked ID`, started by the
worker's jobs.run_asked as dispatch.jobs.spawn_retrain starts a retraining), so the worker's other jobs do not wait
for the clustering; a run whose process is gone, never started, or gave no result in time is marked failed with the
reason, and frees the next ask."""
import os
import socket
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jiesu.core import background
from jiesu.hotspots import jobs, services
from jiesu.hotspots.models import AskedRun, AskedState, HotspotRun
from tickets.helpers import point_children_at_the_test_database


def _board(user, language="zh-hans"):
    c = Client()
    c.cookies["django_language"] = language
    c.force_login(user)
    return c.get(reverse("hotspot_board")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_worker_starts_the_run_in_a_process_of_its_own(hot, monkeypatch):
    point_children_at_the_test_database(monkeypatch)
    asked = services.ask_run(hot.supervisor)
    started = jobs.run_asked()
    assert started.pk == asked.pk and started.state == AskedState.RUNNING  # the pass goes on at once
    child = background.children[-1]
    assert started.pid == child.pid != os.getpid() and started.host == socket.gethostname()
    assert "--asked" in child.args and str(asked.pk) in child.args
    assert child.wait(timeout=300) == 0, jobs.asked_log_path().read_text()
    asked.refresh_from_db()
    run = HotspotRun.objects.get()
    assert (asked.state, asked.going, asked.run, run.started_by) == (AskedState.DONE, False, run, hot.supervisor)
    assert f"#{asked.pk}" in jobs.asked_log_path().read_text()
    jobs.run_asked()
    assert child not in background.children  # reaped, not left a zombie


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_in_its_process_is_failed_and_frees_the_next(hot, monkeypatch):
    point_children_at_the_test_database(monkeypatch)
    services.ask_run(hot.supervisor)
    asked = jobs.run_asked()
    child = background.children[-1]
    child.kill()  # while it starts: before it could record anything
    child.wait(timeout=60)
    page = _board(hot.supervisor)
    asked.refresh_from_db()
    assert (asked.state, asked.going, asked.reason) == (AskedState.FAILED, False, AskedRun.PROCESS_ENDED)
    assert f"热点发现进程（进程 {child.pid}）未完成即结束" in page
    assert services.ask_run(hot.supervisor).state == AskedState.WAITING


def test_a_run_on_another_host_fails_after_the_timeout(hot):
    """Its process cannot be looked at from here (the worker's host gone, or the machine restarted): only the time
    tells. The timeout is an hour, or six times the longest kept run when that is longer."""
    now = timezone.now()
    assert services.asked_timeout() == timedelta(hours=1)
    services.ask_run(hot.supervisor, now=now - timedelta(minutes=59))
    asked = services.claim_asked_run(now - timedelta(minutes=59))
    AskedRun.objects.filter(pk=asked.pk).update(host="another-host", pid=4242)
    assert services.abandon_lost_asked_runs(now) == 0  # within the hour: maybe at work
    assert services.abandon_lost_asked_runs(now + timedelta(minutes=2)) == 1
    asked.refresh_from_db()
    assert (asked.state, asked.going, asked.reason) == (AskedState.FAILED, False, AskedRun.TIMED_OUT)
    page = _board(hot.supervisor, "en")
    assert "no result 1 hour after it started (process 4242 on another-host)" in page
    assert "进程 4242" in _board(hot.supervisor) and "1 小时" in _board(hot.supervisor)
    HotspotRun.objects.create(started_at=now, window_start=now, window_end=now, seconds=1200)
    assert services.asked_timeout() == timedelta(hours=2)  # 6 × 20 minutes


def test_a_run_whose_process_was_never_started_fails(hot):
    """The worker claimed it and stopped before starting its process (pid never written)."""
    now = timezone.now()
    services.ask_run(hot.supervisor, now=now - timedelta(minutes=11))
    asked = services.claim_asked_run(now - timedelta(minutes=11))
    AskedRun.objects.filter(pk=asked.pk).update(pid=None)
    assert services.abandon_lost_asked_runs(now - timedelta(minutes=2)) == 0
    assert services.abandon_lost_asked_runs(now) == 1
    asked.refresh_from_db()
    assert (asked.state, asked.reason) == (AskedState.FAILED, AskedRun.NEVER_STARTED)
    assert "its process was never started" in _board(hot.supervisor, "en")
