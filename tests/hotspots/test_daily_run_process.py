"""The daily hotspot run (jobs.run_if_due, a worker job) runs as the asked run does: in a process of its own at a
lower priority, recorded as an AskedRun; and a run (asked or daily) that gives no result in time has its process
group killed and the timeout recorded (docs/hotspots.md)."""
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.utils import timezone

from jiesu.core import background
from jiesu.core.errors import Conflict
from jiesu.hotspots import jobs, services
from jiesu.hotspots.models import AskedRun, AskedState, HotspotRun
from hotspots.test_asked_run_process import _board
from tickets.helpers import point_children_at_the_test_database


@pytest.mark.django_db(transaction=True)
def test_the_daily_run_is_a_process_of_its_own_recorded_as_an_asked_run(hot, monkeypatch):
    """At a city's volume the daily run took tens of minutes inside the worker: the deadline scan, notices and
    auto-dispatch waited that long. Now the worker's pass starts it and goes on."""
    point_children_at_the_test_database(monkeypatch)
    daily = jobs.run_if_due()
    assert daily.state == AskedState.RUNNING and daily.is_daily and daily.asked_by is None
    child = background.children[-1]
    assert daily.pid == child.pid != os.getpid() and daily.host == socket.gethostname()
    assert "--asked" in child.args and str(daily.pk) in child.args
    assert jobs.run_if_due() is None  # one going: not a second
    with pytest.raises(Conflict):
        services.ask_run(hot.supervisor)  # the board's ask is refused naming it
    assert child.wait(timeout=300) == 0, jobs.asked_log_path().read_text()
    daily.refresh_from_db()
    run = HotspotRun.objects.get()
    assert (daily.state, daily.going, daily.run, run.started_by) == (AskedState.DONE, False, run, None)
    assert "，每日定时任务 于" in _board(hot.supervisor) and "asked by the daily schedule at" in _board(hot.supervisor, "en")
    assert jobs.run_if_due() is None  # not due for 24 hours
    assert child not in background.children  # reaped


def test_the_daily_run_waits_while_an_asked_run_is_going(hot):
    services.ask_run(hot.supervisor)
    assert jobs.run_if_due(spawn=lambda asked: pytest.fail("started while another run is going")) is None
    assert AskedRun.objects.count() == 1


def test_the_command_if_due_still_runs_in_the_foreground(hot):
    """`jiesu hotspots --if-due 24` from cron runs where it is called (no worker involved)."""
    first = jobs.run_here_if_due(every_hours=24)
    assert first is not None and HotspotRun.objects.count() == 1
    assert jobs.run_here_if_due(every_hours=24) is None
    assert jobs.run_if_due(spawn=lambda asked: pytest.fail("not due")) is None


def _sleeping_group(asked):
    """A real process in a session of its own, as background.spawn starts `jiesu hotspots --asked ID` (its command
    line says so), with a child of its own."""
    leader = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                               "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
                               "print(child.pid, flush=True); time.sleep(600)", "hotspots", "--asked", str(asked.pk)],
                              stdout=subprocess.PIPE, start_new_session=True)
    return leader, int(leader.stdout.readline())


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead
        return stat.read().split(")")[-1].split()[0] != "Z"


def _wait_until_gone(pid):
    import time

    for _ in range(300):
        if not _alive(pid):
            return
        time.sleep(0.1)


@pytest.mark.parametrize("daily", [False, True])
def test_a_run_past_its_timeout_on_this_host_has_its_process_group_killed(hot, daily):
    started = timezone.now() - timedelta(hours=1, minutes=1)
    if daily:
        asked = AskedRun.objects.create(asked_at=started, days=30)
    else:
        asked = services.ask_run(hot.supervisor, now=started)
    services.claim_asked_run(started)
    leader, grandchild = _sleeping_group(asked)
    try:
        AskedRun.objects.filter(pk=asked.pk).update(pid=leader.pid)
        assert services.abandon_lost_asked_runs(started + timedelta(minutes=59)) == 0 and _alive(leader.pid)
        assert services.abandon_lost_asked_runs() == 1
        assert leader.wait(timeout=30) == -signal.SIGKILL
        _wait_until_gone(grandchild)  # its parent killed: init reaps it
        assert not _alive(grandchild)
        asked.refresh_from_db()
        assert (asked.state, asked.going, asked.reason) == (AskedState.FAILED, False, AskedRun.TIMED_OUT_KILLED)
        assert f"its process (process {leader.pid}) was stopped" in _board(hot.supervisor, "en")
        assert f"已终止其进程（进程 {leader.pid}）" in _board(hot.supervisor)
    finally:
        for pid in (leader.pid, grandchild):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        leader.wait(timeout=30)


def test_a_reused_pid_is_not_killed(hot):
    """The pid recorded may belong to another process by the time the timeout passes: only a process that is the
    run's own (`jiesu hotspots --asked ID`, leading its group) is killed."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True)
    try:
        started = timezone.now() - timedelta(hours=2)
        asked = services.ask_run(hot.supervisor, now=started)
        services.claim_asked_run(started)
        AskedRun.objects.filter(pk=asked.pk).update(pid=other.pid)
        assert services.abandon_lost_asked_runs() == 1
        assert other.poll() is None
        asked.refresh_from_db()
        assert asked.reason == AskedRun.TIMED_OUT
    finally:
        other.kill()
        other.wait(timeout=30)


def test_a_failed_daily_run_is_tried_again_an_hour_later_not_at_every_pass(hot):
    """No run is stored when the daily one fails: it stayed due, and every worker pass (each minute) started
    another process that failed the same way."""
    now = timezone.now()
    started = []
    first = jobs.run_if_due(now=now, spawn=lambda asked: started.append(asked.pk) or 4242)
    services.finish_asked_run(first, AskedState.FAILED, reason="out of memory")
    assert jobs.run_if_due(now=now + timedelta(minutes=1), spawn=lambda asked: started.append(asked.pk) or 4242) \
        is None
    again = jobs.run_if_due(now=now + timedelta(minutes=61), spawn=lambda asked: started.append(asked.pk) or 4243)
    assert again is not None and started == [first.pk, again.pk]
